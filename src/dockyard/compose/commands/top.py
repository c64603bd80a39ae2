"""`compose top`: the processes of each running service container."""

from __future__ import annotations

import argparse

from ..backend import display_name
from .common import add_services, backend
from .ps import print_table


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    add_services(parser)


def run(opts: argparse.Namespace) -> int:
    b = backend(opts)
    b.check_services(opts.services)
    for c in b.containers(opts.services or None, all=False):
        top = b.api(lambda c=c: b.engine.containers.top(c["Id"]), display_name(c))
        print(display_name(c))
        table = [top.get("Titles") or []] + [list(p) for p in top.get("Processes") or []]
        if table[0]:
            print_table(table)
        print()
    return 0
