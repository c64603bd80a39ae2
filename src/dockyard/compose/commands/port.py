"""`compose port`: the public address of a service container's port."""

from __future__ import annotations

import argparse

from ..errors import ComposeError
from .common import backend, pick


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("--protocol", default="tcp")
    parser.add_argument("--index", type=int, default=None)
    parser.add_argument("service")
    parser.add_argument("private_port")


def run(opts: argparse.Namespace) -> int:
    b = backend(opts)
    c = pick(b, opts.service, opts.index)
    port = int(opts.private_port.partition("/")[0])
    for p in c.get("Ports") or []:
        if p.get("PrivatePort") == port and p.get("Type") == opts.protocol and p.get("PublicPort"):
            print(f"{p.get('IP') or '0.0.0.0'}:{p['PublicPort']}")
            return 0
    raise ComposeError(f"no port {port}/{opts.protocol} for container {c['Names'][0].lstrip('/')}")
