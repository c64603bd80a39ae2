"""`compose pull` and `compose push`: the images of services that name one."""

from __future__ import annotations

import argparse

from ...client.api import APIError
from ...common.reference import parse_normalized
from ..errors import ComposeError
from ..images import pull_image, registry_auth
from .common import add_services, backend


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    add_services(parser)
    add = parser.add_argument
    add("-q", "--quiet", action="store_true")
    add("--ignore-pull-failures", action="store_true")
    add("--ignore-push-failures", action="store_true")
    add("--include-deps", action="store_true")
    add("--ignore-buildable", action="store_true")
    add("--policy", default=None)


def run(opts: argparse.Namespace) -> int:
    b = backend(opts)
    names = b.check_services(opts.services) or list(b.project.services)
    names = [n for n in names if b.project.services[n].get("image")]
    if opts.command == "push":
        names = [n for n in names if b.project.services[n].get("build")] or names
        for n in names:
            _push(b, b.project.image_name(n), opts.ignore_push_failures, opts.quiet)
        return 0
    if opts.ignore_buildable:
        names = [n for n in names if not b.project.services[n].get("build")]

    def one(name: str) -> None:
        try:
            pull_image(b, b.project.image_name(name), name, quiet=opts.quiet)
        except ComposeError as exc:
            if not opts.ignore_pull_failures:
                raise
            b.progress.warn(str(exc))

    b.each(names, one)
    return 0


def _push(b, ref: str, ignore: bool, quiet: bool) -> None:
    parsed = parse_normalized(ref)
    if not quiet:
        b.progress.event("Image", ref, "Pushing")
    try:
        auth = registry_auth(ref)
        for msg in b.engine.images.push(
            parsed.familiar_name, parsed.tag or "latest", registry_auth=auth
        ):
            if msg.get("error"):
                raise ComposeError(msg["error"])
    except (APIError, ComposeError) as exc:
        if not ignore:
            raise ComposeError(f"failed to push {ref}: {exc}") from None
        b.progress.warn(f"failed to push {ref}: {exc}")
        return
    if not quiet:
        b.progress.event("Image", ref, "Pushed")
