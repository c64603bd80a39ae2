"""Helpers the command modules share: the backend for parsed flags, colour choice."""

from __future__ import annotations

import argparse
import os
import sys

from ..backend import Backend
from ..options import load_project
from ..progress import Progress


def backend(opts: argparse.Namespace, need_project: bool = True) -> Backend:
    project = load_project(opts) if need_project else None
    quiet = opts.progress == "quiet"
    return Backend(project, Progress(quiet=quiet), parallel=opts.parallel)


def use_colour(opts: argparse.Namespace) -> bool:
    if getattr(opts, "no_color", False) or opts.ansi == "never" or os.environ.get("NO_COLOR"):
        return False
    if opts.ansi == "always":
        return True
    return sys.stdout.isatty()


def add_services(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("services", nargs="*", metavar="SERVICE")


def add_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-t", "--timeout", type=int, default=None)


def cli(args: list[str]) -> int:
    """Run a `dockyard` CLI command (exec, start -ai, cp: the terminal plumbing lives there)
    against the same daemon; returns its exit code."""
    import subprocess

    from ..backend import docker_host

    cmd = [sys.executable, "-m", "dockyard.cli.main", "-H", docker_host(), *args]
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 130


def pick(b: Backend, service: str, index: int | None, running: bool = True) -> dict:
    """The container `--index` names (default: the first) of a service."""
    from .. import labels as L
    from ..errors import ComposeError

    b.check_services([service])
    found = b.service_containers(service, all=not running)
    if index is not None:
        found = [c for c in found if L.container_number(c) == index]
    if not found:
        raise ComposeError(f'service "{service}" is not running')
    return found[0]
