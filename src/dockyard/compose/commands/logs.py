"""`compose logs`: every service's output, prefixed and coloured per container."""

from __future__ import annotations

import argparse

from ...common.timefmt import get_timestamp
from .. import labels as L
from ..logstream import LogPrinter, service_label, stream_logs
from .common import add_services, backend, use_colour


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    add_services(parser)
    add = parser.add_argument
    add("-f", "--follow", action="store_true")
    add("-n", "--tail", default="all")
    add("--since", default=None)
    add("--until", default=None)
    add("-t", "--timestamps", action="store_true")
    add("--no-color", action="store_true")
    add("--no-log-prefix", action="store_true")
    add("--index", type=int, default=None)


def run(opts: argparse.Namespace) -> int:
    b = backend(opts)
    b.check_services(opts.services)
    containers = b.containers(opts.services or None)
    if opts.index is not None:
        containers = [c for c in containers if L.container_number(c) == opts.index]
    printer = LogPrinter(
        [service_label(c, b.name) for c in containers],
        use_colour(opts),
        prefix=not opts.no_log_prefix,
    )
    since = get_timestamp(opts.since) if opts.since else None
    until = get_timestamp(opts.until) if opts.until else None
    threads = stream_logs(
        b,
        containers,
        printer,
        follow=opts.follow,
        tail=opts.tail,
        since=since,
        until=until,
        timestamps=opts.timestamps,
    )
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.2)
    except KeyboardInterrupt:
        return 130
    return 0
