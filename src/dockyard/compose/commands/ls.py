"""`compose ls`: the projects that have containers on this daemon."""

from __future__ import annotations

import argparse
import json
from collections import Counter

from .. import labels as L
from .common import backend
from .ps import print_table


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("-a", "--all", action="store_true")
    parser.add_argument("-q", "--quiet", action="store_true")
    parser.add_argument("--format", default="table")
    parser.add_argument("--filter", action="append", default=[])


def run(opts: argparse.Namespace) -> int:
    b = backend(opts, need_project=False)
    found = b.api(
        lambda: b.engine.containers.list(all=True, filters={"label": {L.PROJECT: True}}),
        "list containers",
    )
    projects: dict[str, dict] = {}
    for c in found:
        labels = c.get("Labels") or {}
        p = projects.setdefault(labels[L.PROJECT], {"states": Counter(), "files": ""})
        p["states"][c.get("State", "")] += 1
        p["files"] = p["files"] or labels.get(L.CONFIG_FILES, "")
    names = {}
    for f in opts.filter:
        key, _, value = f.partition("=")
        if key == "name":
            names[value] = True
    rows = []
    for name in sorted(projects):
        p = projects[name]
        if names and name not in names:
            continue
        if not opts.all and not p["states"].get("running"):
            continue
        status = ", ".join(f"{s}({n})" for s, n in sorted(p["states"].items()))
        rows.append({"Name": name, "Status": status, "ConfigFiles": p["files"]})
    if opts.quiet:
        for r in rows:
            print(r["Name"])
    elif opts.format == "json":
        print(json.dumps(rows))
    else:
        print_table([["NAME", "STATUS", "CONFIG FILES"]] + [list(r.values()) for r in rows])
    return 0
