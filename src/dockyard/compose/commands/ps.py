"""`compose ps`: the project's containers as Docker Compose v2 lists them."""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

from ...common.humanize import ago
from .. import labels as L
from ..backend import display_name
from ..errors import ComposeError
from .common import add_services, backend

STATUSES = ("paused", "restarting", "removing", "running", "dead", "created", "exited")


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    add_services(parser)
    add = parser.add_argument
    add("-a", "--all", action="store_true")
    add("-q", "--quiet", action="store_true")
    add("--services", dest="list_services", action="store_true")
    add("--status", action="append", default=[])
    add("--filter", action="append", default=[])
    add("--format", default="table")
    add("--no-trunc", action="store_true")
    add("--orphans", action="store_true", default=True)


def format_ports(ports: list[dict[str, Any]]) -> str:
    out = []
    for p in sorted(ports, key=lambda p: (p.get("PrivatePort", 0), p.get("IP", ""))):
        target = f"{p['PrivatePort']}/{p.get('Type', 'tcp')}"
        if p.get("PublicPort"):
            ip = p.get("IP") or "0.0.0.0"
            ip = f"[{ip}]" if ":" in ip else ip
            out.append(f"{ip}:{p['PublicPort']}->{target}")
        else:
            out.append(target)
    return ", ".join(dict.fromkeys(out))


def _command(c: dict[str, Any], trunc: bool) -> str:
    cmd = c.get("Command") or ""
    if trunc and len(cmd) > 20:
        cmd = cmd[:19] + "…"
    return f'"{cmd}"'


def rows(containers: list[dict[str, Any]], trunc: bool) -> list[dict[str, Any]]:
    return [
        {
            "ID": c["Id"],
            "Name": display_name(c),
            "Image": c.get("Image", ""),
            "Command": _command(c, trunc),
            "Project": c["Labels"].get(L.PROJECT, ""),
            "Service": c["Labels"].get(L.SERVICE, ""),
            "Created": c.get("Created", 0),
            "CreatedText": ago(c.get("Created", 0)),
            "State": c.get("State", ""),
            "Status": c.get("Status", ""),
            "Health": "",
            "ExitCode": 0,
            "Ports": format_ports(c.get("Ports") or []),
            "Publishers": [
                {
                    "URL": p.get("IP", ""),
                    "TargetPort": p.get("PrivatePort", 0),
                    "PublishedPort": p.get("PublicPort", 0),
                    "Protocol": p.get("Type", "tcp"),
                }
                for p in c.get("Ports") or []
            ],
            "Labels": ",".join(f"{k}={v}" for k, v in (c.get("Labels") or {}).items()),
        }
        for c in containers
    ]


def print_table(table: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for r in table:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(r[:-1])]
        print("   ".join([*cells, r[-1]]).rstrip())


def run(opts: argparse.Namespace) -> int:
    b = backend(opts)
    b.check_services(opts.services)
    if opts.list_services:
        names = opts.services or list(b.project.services)
        print("\n".join(names))
        return 0
    statuses = list(opts.status)
    for f in opts.filter:
        key, _, value = f.partition("=")
        if key != "status":
            raise ComposeError(f"invalid filter {key!r}")
        statuses.append(value)
    for s in statuses:
        if s not in STATUSES:
            raise ComposeError(f"invalid status {s!r}, must be one of {', '.join(STATUSES)}")
    containers = b.containers(opts.services or None, all=opts.all or bool(statuses))
    if statuses:
        containers = [c for c in containers if c.get("State") in statuses]
    if opts.quiet:
        for c in containers:
            print(c["Id"])
        return 0
    data = rows(containers, not opts.no_trunc)
    if opts.format == "json":
        print(json.dumps([_json(r) for r in data], separators=(",", ":")))
        return 0
    if opts.format not in ("table", ""):
        template = opts.format
        header = template.startswith("table ")
        template = template[len("table ") :] if header else template
        lines = [_fill(template, _json(r)) for r in data]
        if header:
            lines.insert(0, _fill(template, {k: k.upper() for k in _json(data[0] if data else {})}))
        print("\n".join(lines))
        return 0
    table = [["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"]]
    table += [
        [
            r["Name"],
            r["Image"],
            r["Command"],
            r["Service"],
            r["CreatedText"],
            r["Status"],
            r["Ports"],
        ]
        for r in data
    ]
    print_table(table)
    return 0


def _fill(template: str, row: dict[str, Any]) -> str:
    """The `{{.Field}}` placeholders of a simple Go template (`\\t` as a tab)."""
    text = re.sub(r"{{\s*\.(\w+)\s*}}", lambda m: str(row.get(m.group(1), "")), template)
    return text.replace("\\t", "\t")


def _json(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k != "CreatedText"}
    out["Command"] = out.get("Command", "").strip('"')
    out["RunningFor"] = row.get("CreatedText", "")
    return out
