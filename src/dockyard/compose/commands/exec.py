"""`compose exec`: a command in a running service container (the terminal plumbing is the
`dockyard exec` command's)."""

from __future__ import annotations

import argparse
import sys

from ..backend import display_name
from .common import backend, cli, pick


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    add = parser.add_argument
    add("-d", "--detach", action="store_true")
    add("-T", "--no-TTY", dest="no_tty", action="store_true")
    add("-u", "--user", default=None)
    add("-w", "--workdir", default=None)
    add("-e", "--env", action="append", default=[])
    add("--index", type=int, default=None)
    add("--privileged", action="store_true")
    add("-i", "--interactive", action="store_true", default=True)
    add("service")
    add("cmd", nargs=argparse.REMAINDER)


def run(opts: argparse.Namespace) -> int:
    b = backend(opts)
    c = pick(b, opts.service, opts.index)
    args = ["exec"]
    if opts.detach:
        args.append("-d")
    else:
        args.append("-i")
        if not opts.no_tty and sys.stdin.isatty():
            args.append("-t")
    for flag, value in (("-u", opts.user), ("-w", opts.workdir)):
        if value:
            args += [flag, value]
    for item in opts.env:
        args += ["-e", item]
    if opts.privileged:
        args.append("--privileged")
    return cli([*args, display_name(c), *opts.cmd])
