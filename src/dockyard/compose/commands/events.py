"""`compose events`: the daemon's container events for the project, as they happen."""

from __future__ import annotations

import argparse
import json
import time

from .. import labels as L
from .common import add_services, backend


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    add_services(parser)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--since", default=None)
    parser.add_argument("--until", default=None)


def run(opts: argparse.Namespace) -> int:
    b = backend(opts)
    b.check_services(opts.services)
    filters = {"type": {"container": True}, "label": {f"{L.PROJECT}={b.name}": True}}
    stream = b.api(
        lambda: b.engine.system.events(since=opts.since, until=opts.until, filters=filters),
        "events",
    )
    try:
        for ev in stream:
            attrs = (ev.get("Actor") or {}).get("Attributes") or {}
            service = attrs.get(L.SERVICE, "")
            if opts.services and service not in opts.services:
                continue
            when = ev.get("timeNano", 0) / 1e9 or ev.get("time", 0)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(when))
            stamp += f".{int(when % 1 * 1e6):06d}"
            action = ev.get("Action", "")
            cid = (ev.get("Actor") or {}).get("ID", ev.get("id", ""))
            shown = {k: v for k, v in attrs.items() if not k.startswith(L.PREFIX)}
            if opts.json:
                print(
                    json.dumps(
                        {
                            "time": stamp,
                            "type": "container",
                            "action": action,
                            "id": cid,
                            "service": service,
                            "attributes": shown,
                        }
                    )
                )
            else:
                kv = ", ".join(f"{k}={v}" for k, v in sorted(shown.items()))
                print(f"{stamp} container {action} {cid} ({kv})", flush=True)
    except KeyboardInterrupt:
        return 130
    return 0
