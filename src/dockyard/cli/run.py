"""`run` and `create`: create the container (pulling a missing image), then start it
and stay attached unless -d."""

from __future__ import annotations

import os
import sys

from ..client.api import APIError
from .createbody import build_create, create_parser, quick_args
from .errors import CLIError, StatusExit
from .flags import parse_with
from .shared import start_error_code

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    import argparse
    from typing import Any

    from .context import Context


def _fail(ctx: Context, message: str, code: int = 125) -> StatusExit:
    print(f"dockyard: {message}\n\n{ctx.usage_hint()}", file=sys.stderr)
    return StatusExit(code)


def _daemon_fail(ctx: Context, message: str) -> Exception:
    """A refused create: `run` reports it as a usage error (125); `create` prints it as is
    and exits 1, as the docker CLI does."""
    if ctx.command.split()[-1] == "create":
        return CLIError(message, 1)
    return _fail(ctx, message)


def pull_image(ctx: Context, image: str, platform: str, quiet: bool, out: Any) -> None:
    from .registry import pull_stream

    pull_stream(ctx, image, platform=platform, quiet=quiet, out=out)


def _image_tagged(image: str) -> str:
    from dockyard.common.reference import InvalidReference, parse_normalized

    try:
        return parse_normalized(image).familiar()
    except InvalidReference:
        return image


def create_container(
    ctx: Context, body: dict[str, Any], params: dict[str, str], pull: str, quiet: bool
) -> str:
    """POST /containers/create, pulling first when the image is missing (per --pull)."""
    image = body["Image"]
    if pull not in ("missing", "always", "never"):
        raise _fail(
            ctx, f'invalid pull option: \'{pull}\': must be one of "always", "missing" or "never"'
        )
    if pull == "always":
        _pull_for_create(ctx, image, params, quiet)
    try:
        resp = ctx.api.containers.create(body, **params)
    except APIError as exc:
        if exc.status != 404 or pull == "never" or "No such image" not in exc.message:
            raise _daemon_fail(ctx, f"Error response from daemon: {exc.message}") from None
        print(f"Unable to find image '{_image_tagged(image)}' locally", file=sys.stderr)
        _pull_for_create(ctx, image, params, quiet)
        try:
            resp = ctx.api.containers.create(body, **params)
        except APIError as exc2:
            raise _daemon_fail(ctx, f"Error response from daemon: {exc2.message}") from None
    for warning in resp.get("Warnings") or []:
        print(f"WARNING: {warning}", file=sys.stderr)
    return resp["Id"]


def _pull_for_create(ctx: Context, image: str, params: dict[str, str], quiet: bool) -> None:
    try:
        pull_image(ctx, image, params.get("platform", ""), quiet, sys.stderr)
    except APIError as exc:
        raise _fail(ctx, f"Error response from daemon: {exc.message}") from None
    except CLIError as exc:
        raise _fail(ctx, exc.message) from None


def _parse(
    ctx: Context, command: str, argv: list[str]
) -> tuple[Any, argparse.Namespace, list[str], Any]:
    """(parser, options, [IMAGE, COMMAND...], the create body and query when already built).

    The commonest lines skip argparse (createbody.quick_args) and come with their body and
    no parser; a line whose body fails is read again by argparse, which reports it."""
    quick = quick_args(command, argv)
    if quick is not None:
        o, rest = quick
        try:
            return None, o, rest, build_create(None, o, rest[0], rest[1:])  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - argparse's path below gives the real error
            pass
    p = create_parser(command)
    o, rest = parse_with(p, argv)
    if not rest:
        p.error(f'"{command}" requires at least 1 argument.')
    return p, o, rest, None


def _console_size() -> list[int]:
    try:
        size = os.get_terminal_size(sys.stdout.fileno())
        return [size.lines, size.columns]
    except OSError:
        return [0, 0]


def _write_cidfile(path: str, cid: str) -> None:
    if not path:
        return
    if os.path.exists(path):
        raise CLIError(
            f"dockyard: container ID file found, make sure the other container isn't running or delete {path}",
            125,
        )
    with open(path, "w") as f:
        f.write(cid)


def create(ctx: Context, argv: list[str]) -> int:
    p, o, rest, built = _parse(ctx, "create", argv)
    body, params = built or build_create(p, o, rest[0], rest[1:])
    if o.tty and sys.stdout.isatty():
        body["HostConfig"]["ConsoleSize"] = _console_size()
    if o.cidfile and os.path.exists(o.cidfile):
        raise _daemon_fail(
            ctx,
            f"container ID file found, make sure the other container isn't running or delete {o.cidfile}",
        )
    cid = create_container(ctx, body, params, o.pull, o.quiet)
    _write_cidfile(o.cidfile, cid)
    print(cid)
    return 0


def run(ctx: Context, argv: list[str]) -> int:
    p, o, rest, built = _parse(ctx, "run", argv)
    if o.detach and o.attach:
        p.error("conflicting options: cannot specify both --attach and --detach")
    body, params = built or build_create(p, o, rest[0], rest[1:])
    if o.detach:
        body["AttachStdin"] = body["AttachStdout"] = body["AttachStderr"] = False
        body["StdinOnce"] = False
    tty = o.tty
    if tty and not o.detach and o.interactive and not sys.stdin.isatty():
        raise CLIError("the input device is not a TTY", 1)
    if tty and sys.stdout.isatty():
        body["HostConfig"]["ConsoleSize"] = _console_size()
    detach_keys = o.detach_keys
    if detach_keys:
        from dockyard.common.detachkeys import parse_detach_keys

        try:
            parse_detach_keys(detach_keys)
        except ValueError as exc:
            raise _fail(ctx, str(exc)) from None
    if o.cidfile and os.path.exists(o.cidfile):
        raise _fail(
            ctx,
            f"container ID file found, make sure the other container isn't running or delete {o.cidfile}",
        )
    cid = create_container(ctx, body, params, o.pull, o.quiet)
    _write_cidfile(o.cidfile, cid)
    if o.detach:
        try:
            ctx.api.containers.start(cid)
        except APIError as exc:
            print(cid)
            raise _fail(
                ctx, f"Error response from daemon: {exc.message}", start_error_code(exc.message)
            ) from None
        print(cid)
        return 0
    return _run_attached(ctx, cid, body, o, detach_keys)


def _run_attached(
    ctx: Context, cid: str, body: dict[str, Any], o: argparse.Namespace, detach_keys: str
) -> int:
    from . import streams

    containers = ctx.api.containers
    stdin, stdout, stderr = body["AttachStdin"], body["AttachStdout"], body["AttachStderr"]
    session = None
    if stdin or stdout or stderr:
        try:
            sock = containers.attach(cid, stdin, stdout, stderr, detach_keys)
        except APIError as exc:
            raise _fail(ctx, f"Error response from daemon: {exc.message}") from None
        session = streams.Session(
            sock,
            tty=o.tty,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            detach_keys=detach_keys,
            resize=streams.container_resizer(containers, cid) if o.tty else None,
        )
    condition = "removed" if o.rm else "next-exit"
    try:
        result = streams.start_and_follow(
            containers, cid, session, condition, o.sig_proxy and not o.tty
        )
    except APIError as exc:
        raise _fail(
            ctx, f"Error response from daemon: {exc.message}", start_error_code(exc.message)
        ) from None
    if result is None:
        return 0
    status, error = result
    if error:
        print(f"dockyard: Error response from daemon: {error}", file=sys.stderr)
        return 125 if status == 0 else status
    return status
