"""`compose build`: build the images of services with a `build` section."""

from __future__ import annotations

import argparse
import os

from ..images import build_service
from .common import add_services, backend


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    add_services(parser)
    add = parser.add_argument
    add("--no-cache", action="store_true")
    add("--pull", action="store_true")
    add("--build-arg", action="append", default=[])
    add("-q", "--quiet", action="store_true")
    add("--ssh", default=None)
    add("--push", action="store_true")
    add("--with-dependencies", action="store_true")
    add("-m", "--memory", default=None)
    add("--builder", default=None)
    add("--check", action="store_true")
    add("--print", dest="print_only", action="store_true")


def run(opts: argparse.Namespace) -> int:
    b = backend(opts)
    names = b.check_services(opts.services) or list(b.project.services)
    args: dict[str, str | None] = {}
    for item in opts.build_arg:
        key, sep, value = item.partition("=")
        args[key] = value if sep else os.environ.get(key)
    names = [n for n in names if b.project.services[n].get("build")]
    b.each(
        names,
        lambda n: build_service(
            b, n, no_cache=opts.no_cache, pull=opts.pull, build_args=args, quiet=opts.quiet
        ),
    )
    return 0
