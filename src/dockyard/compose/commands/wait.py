"""`compose wait`: block until the services' containers stop; print their exit codes."""

from __future__ import annotations

import argparse

from .common import add_services, backend


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    add_services(parser)
    parser.add_argument("--down-project", action="store_true")


def run(opts: argparse.Namespace) -> int:
    b = backend(opts)
    b.check_services(opts.services)
    containers = b.containers(opts.services or None)
    codes = b.each(
        containers,
        lambda c: int(b.engine.containers.wait(c["Id"]).get("StatusCode", 0)),
    )
    for code in codes:
        print(code)
    if opts.down_project:
        from .down import run as down

        opts.services, opts.rmi, opts.volumes, opts.remove_orphans = [], None, False, False
        opts.timeout = None
        down(opts)
    return codes[0] if codes else 0
