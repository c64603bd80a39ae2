"""`compose cp`: copy between a service container and the local filesystem (the
`dockyard cp` command does the copying)."""

from __future__ import annotations

import argparse

from ..backend import display_name
from ..errors import ComposeError
from .common import backend, cli, pick


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    add = parser.add_argument
    add("-a", "--archive", action="store_true")
    add("-L", "--follow-link", action="store_true")
    add("--index", type=int, default=None)
    add("--all", action="store_true")
    add("source")
    add("dest")


def _split(arg: str) -> tuple[str | None, str]:
    if ":" in arg and not arg.startswith(("/", ".")):
        service, _, path = arg.partition(":")
        return service, path
    return None, arg


def run(opts: argparse.Namespace) -> int:
    b = backend(opts)
    src_svc, src = _split(opts.source)
    dst_svc, dst = _split(opts.dest)
    if (src_svc is None) == (dst_svc is None):
        raise ComposeError("copying between services is not supported; one side must be local")
    flags = (["-a"] if opts.archive else []) + (["-L"] if opts.follow_link else [])
    service = src_svc or dst_svc
    assert service is not None
    c = pick(b, service, opts.index, running=False)
    name = display_name(c)
    if src_svc:
        return cli(["cp", *flags, f"{name}:{src}", dst])
    return cli(["cp", *flags, src, f"{name}:{dst}"])
