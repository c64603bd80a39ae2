"""`compose rm`: remove stopped service containers."""

from __future__ import annotations

import argparse
import sys

from ..backend import display_name
from ..convergence import stop_and_remove
from .common import add_services, backend


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    add_services(parser)
    parser.add_argument("-f", "--force", action="store_true")
    parser.add_argument("-s", "--stop", action="store_true")
    parser.add_argument("-v", "--volumes", action="store_true")
    parser.add_argument("-a", "--all", action="store_true")


def run(opts: argparse.Namespace) -> int:
    b = backend(opts)
    b.check_services(opts.services)
    containers = b.containers(opts.services or None)
    if not opts.stop:
        containers = [c for c in containers if c.get("State") not in ("running", "paused")]
    if not containers:
        print("No stopped containers", file=sys.stderr)
        return 0
    if not opts.force:
        names = ", ".join(display_name(c) for c in containers)
        sys.stdout.write(f"Going to remove {names}\n? Are you sure? [yN] ")
        sys.stdout.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            return 0
    b.each(containers, lambda c: stop_and_remove(b, c, None, volumes=opts.volumes))
    return 0
