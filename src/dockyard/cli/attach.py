"""The commands that stream a container's I/O: logs, attach, exec."""

from __future__ import annotations

import sys

from dockyard.common import dockerconfig
from dockyard.common.detachkeys import parse_detach_keys

from ..client.api import APIError
from .errors import CLIError
from .quickargs import parser, switches_only
from .shared import start_error_code

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from typing import Any

    from .context import Context


def _logs_parser() -> Any:
    p = parser("logs", usage="dockyard logs [OPTIONS] CONTAINER")
    p.add_argument("--details", action="store_true")
    p.add_argument("-f", "--follow", action="store_true")
    p.add_argument("--since")
    p.add_argument("-n", "--tail", default="all")
    p.add_argument("-t", "--timestamps", action="store_true")
    p.add_argument("--until")
    p.add_argument("container")
    return p


_LOGS_SWITCHES = {"--details": "details", "-f": "follow", "--follow": "follow",
                  "-t": "timestamps", "--timestamps": "timestamps"}  # fmt: skip
_LOGS_VALUES = {"--since": "since", "-n": "tail", "--tail": "tail", "--until": "until"}


def logs_args(argv: list[str]) -> Any:
    """What _logs_parser reads; plain lines (one CONTAINER) without argparse."""
    quick = switches_only(argv, _LOGS_SWITCHES, values=_LOGS_VALUES)
    if quick is None or len(quick[1]) != 1:
        return _logs_parser().parse_args(argv)
    args, names = quick
    args.container = names[0]  # type: ignore[attr-defined]
    if args.tail is None:  # type: ignore[attr-defined]
        args.tail = "all"  # type: ignore[attr-defined]
    return args


def logs(ctx: Context, argv: list[str]) -> int:
    from . import streams
    from .inspect import time_arg

    args = logs_args(argv)
    containers = ctx.api.containers
    info = containers.inspect(args.container)
    tty = bool((info.get("Config") or {}).get("Tty"))
    chunks = containers.logs(
        info["Id"],
        follow=args.follow,
        since=time_arg(args.since, "since"),
        until=time_arg(args.until, "until"),
        timestamps=args.timestamps,
        details=args.details,
        tail=args.tail,
    )
    try:
        streams.copy_frames(chunks, tty)
    except streams.StreamError as exc:
        raise CLIError(f"Error response from daemon: {exc}", 1) from None
    return 0


def attach(ctx: Context, argv: list[str]) -> int:
    from . import streams
    from .flags import parse_with

    p = parser("attach", usage="dockyard attach [OPTIONS] CONTAINER")
    p.add_argument("--detach-keys", default=dockerconfig.detach_keys())
    p.add_argument("--no-stdin", action="store_true")
    p.add_argument("--sig-proxy", action="store_true", default=True)
    args, rest = parse_with(p, argv, interspersed=True)
    if len(rest) != 1:
        p.error('"attach" requires exactly 1 argument.')
    args.container = rest[0]
    containers = ctx.api.containers
    info = containers.inspect(args.container)
    state = info.get("State") or {}
    if not state.get("Running"):
        raise CLIError("You cannot attach to a stopped container, start it first", 1)
    if state.get("Paused"):
        raise CLIError("You cannot attach to a paused container, unpause it first", 1)
    if state.get("Restarting"):
        raise CLIError("You cannot attach to a restarting container, wait until it is running", 1)
    ref = info["Id"]
    config = info.get("Config") or {}
    tty = bool(config.get("Tty"))
    stdin = not args.no_stdin and bool(config.get("OpenStdin"))
    sock = containers.attach(ref, stdin=stdin, detach_keys=args.detach_keys)
    session = streams.Session(
        sock,
        tty=tty,
        stdin=stdin,
        detach_keys=args.detach_keys,
        resize=streams.container_resizer(containers, ref) if tty else None,
    )
    proxy = None
    if args.sig_proxy and not tty:
        proxy = streams.SignalProxy(containers, ref)
    try:
        detached = session.run()
    finally:
        if proxy is not None:
            proxy.stop()
    if detached:
        # docker attach reports the detach as an error (run -it does not)
        raise CLIError("read escape sequence", 1)
    try:
        doc = containers.wait(ref)
    except APIError:
        return 0
    return int(doc.get("StatusCode", 0))


_EXEC_SWITCHES = {"-d": "detach", "--detach": "detach", "-i": "interactive",
                  "--interactive": "interactive", "--privileged": "privileged", "-t": "tty",
                  "--tty": "tty"}  # fmt: skip


def _exec_args(argv: list[str]) -> tuple[Any, list[str], list[str]]:
    """(options, [CONTAINER, COMMAND...], env): switches alone skip argparse."""
    quick = switches_only(argv, _EXEC_SWITCHES, interspersed=False)
    if quick is not None and len(quick[1]) >= 2:
        o = quick[0]
        o.detach_keys, o.user, o.workdir = dockerconfig.detach_keys(), "", ""
        return o, quick[1], []
    from .flags import FlagError, env_value, parse_with, read_kv_file

    p = parser("exec", usage="dockyard exec [OPTIONS] CONTAINER COMMAND [ARG...]")
    p.add_argument("-d", "--detach", action="store_true")
    p.add_argument("--detach-keys", default=dockerconfig.detach_keys())
    p.add_argument("-e", "--env", action="append", default=[])
    p.add_argument("--env-file", action="append", default=[])
    p.add_argument("-i", "--interactive", action="store_true")
    p.add_argument("--privileged", action="store_true")
    p.add_argument("-t", "--tty", action="store_true")
    p.add_argument("-u", "--user", default="")
    p.add_argument("-w", "--workdir", default="")
    o, rest = parse_with(p, argv)
    if len(rest) < 2:
        p.error('"exec" requires at least 2 arguments.')
    env = [x for f in o.env_file for x in read_kv_file(f)]
    for value in o.env:
        try:
            env.append(env_value(value))
        except FlagError as exc:
            p.error(f'invalid argument "{value}" for "-e, --env" flag: {exc}')
    return o, rest, env


def exec_(ctx: Context, argv: list[str]) -> int:
    from . import streams

    o, rest, env = _exec_args(argv)
    container, cmd = rest[0], rest[1:]
    if o.detach_keys:
        try:
            parse_detach_keys(o.detach_keys)
        except ValueError as exc:
            raise CLIError(str(exc), 1) from None
    if o.tty and o.interactive and not o.detach and not sys.stdin.isatty():
        raise CLIError("the input device is not a TTY", 1)
    info = ctx.api.containers.inspect(container)
    if not (info.get("State") or {}).get("Running", True):
        raise CLIError(f"Error response from daemon: Container {info['Id']} is not running", 1)
    attach_in = o.interactive and not o.detach
    console_size = None
    if o.tty and not o.detach and sys.stdout.isatty():
        size = streams.terminal_size()
        if size:
            console_size = list(size)
    execs = ctx.api.exec
    exec_id = execs.create(
        container,
        cmd,
        user=o.user,
        privileged=o.privileged,
        tty=o.tty,
        attach_stdin=attach_in,
        attach_stdout=not o.detach,
        attach_stderr=not o.detach,
        detach=o.detach,
        detach_keys=o.detach_keys,
        env=env,
        workdir=o.workdir,
        console_size=console_size,
    )
    if o.detach:
        execs.start_detached(exec_id, o.tty)
        return 0
    try:
        sock = execs.start(exec_id, o.tty, console_size)
    except APIError as exc:
        print(f"Error response from daemon: {exc.message}", file=sys.stderr)
        code = start_error_code(exc.message)
        return 1 if code == 125 else code
    session = streams.Session(
        sock,
        tty=o.tty,
        stdin=attach_in,
        detach_keys=o.detach_keys,
        resize=streams.exec_resizer(execs, exec_id) if o.tty else None,
    )
    if session.run():
        raise CLIError("read escape sequence", 1)  # as docker exec reports a detach
    doc = execs.inspect(exec_id)
    code = doc.get("ExitCode")
    return int(code) if code is not None else 0
