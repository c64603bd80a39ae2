"""start, stop, restart, kill, pause, unpause, rm, wait, rename, update, container prune."""

from __future__ import annotations

import sys

from ..client.api import APIError
from ..common import dockerconfig
from .errors import CLIError
from .quickargs import parser, switches_only
from .shared import confirm, for_each, parse_filters, print_deleted

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .context import Context


def _args(
    make_parser: Callable[[], Any],
    argv: list[str],
    switches: dict[str, str],
    values: dict[str, str] | None = None,
    defaults: dict[str, Any] | None = None,
    ints: tuple[str, ...] = (),
) -> Any:
    """What make_parser()'s parser reads from argv (CONTAINER... last, as `containers`):
    plain lines without argparse. `defaults` are the parser's for values not given (a
    callable is called then); the values named in `ints` are read as its `type=int`."""
    quick = switches_only(argv, switches, values=values)
    if quick is None or not quick[1]:
        return make_parser().parse_args(argv)
    args, names = quick
    for name, default in (defaults or {}).items():
        if getattr(args, name) is None:
            setattr(args, name, default() if callable(default) else default)
    for name in ints:
        value = getattr(args, name)
        if value is not None:
            try:
                setattr(args, name, int(value))
            except ValueError:
                return make_parser().parse_args(argv)  # argparse words the error
    args.containers = names
    return args


def _start_parser() -> Any:
    p = parser("start", usage="dockyard start [OPTIONS] CONTAINER [CONTAINER...]")
    p.add_argument("-a", "--attach", action="store_true")
    p.add_argument("-i", "--interactive", action="store_true")
    p.add_argument("--detach-keys", default=dockerconfig.detach_keys())
    p.add_argument("containers", nargs="+")
    return p


def start_args(argv: list[str]) -> Any:
    switches = {"-a": "attach", "--attach": "attach", "-i": "interactive"}
    switches["--interactive"] = "interactive"
    values = {"--detach-keys": "detach_keys"}
    return _args(_start_parser, argv, switches, values, {"detach_keys": dockerconfig.detach_keys})


def start(ctx: Context, argv: list[str]) -> int:
    args = start_args(argv)
    if args.attach or args.interactive:
        if len(args.containers) > 1:
            raise CLIError("dockyard: you cannot start and attach multiple containers at once", 1)
        return _start_attached(ctx, args.containers[0], args.interactive, args.detach_keys)
    failed = []
    for name in args.containers:
        try:
            ctx.api.containers.start(name)
        except APIError as exc:
            print(f"Error response from daemon: {exc.message}", file=sys.stderr)
            failed.append(name)
            continue
        print(name)
    if failed:
        print(f"Error: failed to start containers: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _start_attached(ctx: Context, name: str, interactive: bool, detach_keys: str) -> int:
    from . import streams

    containers = ctx.api.containers
    info = containers.inspect(name)
    ref = info["Id"]
    config = info.get("Config") or {}
    tty = bool(config.get("Tty"))
    stdin = interactive and bool(config.get("OpenStdin"))
    sock = containers.attach(ref, stdin=stdin, detach_keys=detach_keys)
    session = streams.Session(
        sock,
        tty=tty,
        stdin=stdin,
        detach_keys=detach_keys,
        resize=streams.container_resizer(containers, ref) if tty else None,
    )
    auto_remove = bool((info.get("HostConfig") or {}).get("AutoRemove"))
    condition = "removed" if auto_remove else "next-exit"
    result = streams.start_and_follow(containers, ref, session, condition, not tty)
    if result is None:
        return 0
    status, error = result
    if error:
        print(f"Error response from daemon: {error}", file=sys.stderr)
    return status


def stop(ctx: Context, argv: list[str]) -> int:
    return _stop_like(ctx, argv, "stop")


def restart(ctx: Context, argv: list[str]) -> int:
    return _stop_like(ctx, argv, "restart")


def _stop_parser(verb: str) -> Any:
    p = parser(verb, usage=f"dockyard {verb} [OPTIONS] CONTAINER [CONTAINER...]")
    p.add_argument("-s", "--signal", default="")
    p.add_argument("-t", "--time", "--timeout", type=int, default=None)
    p.add_argument("containers", nargs="+")
    return p


def stop_args(verb: str, argv: list[str]) -> Any:
    values = {"-s": "signal", "--signal": "signal", "-t": "time", "--time": "time"}
    values["--timeout"] = "time"
    return _args(lambda: _stop_parser(verb), argv, {}, values, {"signal": ""}, ints=("time",))


def _stop_like(ctx: Context, argv: list[str], verb: str) -> int:
    args = stop_args(verb, argv)
    action = getattr(ctx.api.containers, verb)
    return for_each(ctx, args.containers, lambda n: action(n, args.signal, args.time))


def _kill_parser() -> Any:
    p = parser("kill", usage="dockyard kill [OPTIONS] CONTAINER [CONTAINER...]")
    p.add_argument("-s", "--signal", default="")
    p.add_argument("containers", nargs="+")
    return p


def kill_args(argv: list[str]) -> Any:
    return _args(_kill_parser, argv, {}, {"-s": "signal", "--signal": "signal"}, {"signal": ""})


def kill(ctx: Context, argv: list[str]) -> int:
    args = kill_args(argv)
    return for_each(ctx, args.containers, lambda n: ctx.api.containers.kill(n, args.signal))


def pause(ctx: Context, argv: list[str]) -> int:
    return _simple(ctx, argv, "pause")


def unpause(ctx: Context, argv: list[str]) -> int:
    return _simple(ctx, argv, "unpause")


def _names_parser(verb: str) -> Any:
    p = parser(verb, usage=f"dockyard {verb} CONTAINER [CONTAINER...]")
    p.add_argument("containers", nargs="+")
    return p


def names_args(verb: str, argv: list[str]) -> Any:
    """pause, unpause, wait: CONTAINER... and no flags."""
    return _args(lambda: _names_parser(verb), argv, {})


def _simple(ctx: Context, argv: list[str], verb: str) -> int:
    args = names_args(verb, argv)
    return for_each(ctx, args.containers, getattr(ctx.api.containers, verb))


def _rm_parser() -> Any:
    p = parser("rm", usage="dockyard rm [OPTIONS] CONTAINER [CONTAINER...]")
    p.add_argument("-f", "--force", action="store_true")
    p.add_argument("-v", "--volumes", action="store_true")
    p.add_argument("-l", "--link", action="store_true")
    p.add_argument("containers", nargs="+")
    return p


def rm_args(argv: list[str]) -> Any:
    switches = {"-f": "force", "--force": "force", "-v": "volumes", "--volumes": "volumes"}
    switches.update({"-l": "link", "--link": "link"})
    return _args(_rm_parser, argv, switches)


def rm(ctx: Context, argv: list[str]) -> int:
    args = rm_args(argv)

    def remove(name: str) -> None:
        name = name.strip("/")
        if not name:
            raise CLIError("Container name cannot be empty", 1)
        ctx.api.containers.remove(name, args.force, args.volumes, args.link)

    return for_each(ctx, args.containers, remove, missing_ok=args.force)


def wait(ctx: Context, argv: list[str]) -> int:
    args = names_args("wait", argv)
    failed = False
    for name in args.containers:
        try:
            doc = ctx.api.containers.wait(name)
        except APIError as exc:
            print(f"Error response from daemon: {exc.message}", file=sys.stderr)
            failed = True
            continue
        print(doc.get("StatusCode", 0))
    return 1 if failed else 0


def rename(ctx: Context, argv: list[str]) -> int:
    p = parser("rename", usage="dockyard rename CONTAINER NEW_NAME")
    p.add_argument("old")
    p.add_argument("new")
    args = p.parse_args(argv)
    old, new = args.old.strip(), args.new.strip()
    if not old or not new:
        raise CLIError("Error: Neither old nor new names may be empty", 1)
    try:
        ctx.api.containers.rename(old, new)
    except APIError as exc:
        print(f"Error response from daemon: {exc.message}", file=sys.stderr)
        raise CLIError(f"Error: failed to rename container named {old}", 1) from None
    return 0


def update(ctx: Context, argv: list[str]) -> int:
    from .createbody import parse_restart
    from .flags import FlagError, ram_in_bytes

    p = parser("update", usage="dockyard update [OPTIONS] CONTAINER [CONTAINER...]")
    p.add_argument("--blkio-weight", type=int)
    p.add_argument("--cpu-period", type=int)
    p.add_argument("--cpu-quota", type=int)
    p.add_argument("--cpu-rt-period", type=int)
    p.add_argument("--cpu-rt-runtime", type=int)
    p.add_argument("-c", "--cpu-shares", type=int)
    p.add_argument("--cpus")
    p.add_argument("--cpuset-cpus")
    p.add_argument("--cpuset-mems")
    p.add_argument("-m", "--memory")
    p.add_argument("--memory-reservation")
    p.add_argument("--memory-swap")
    p.add_argument("--pids-limit", type=int)
    p.add_argument("--restart")
    p.add_argument("containers", nargs="+")
    args = p.parse_args(argv)
    body: dict[str, Any] = {}
    try:
        for flag, key in (
            ("memory", "Memory"),
            ("memory_reservation", "MemoryReservation"),
        ):
            value = getattr(args, flag)
            if value:
                body[key] = ram_in_bytes(value)
        if args.memory_swap:
            body["MemorySwap"] = -1 if args.memory_swap == "-1" else ram_in_bytes(args.memory_swap)
        if args.restart:
            body["RestartPolicy"] = parse_restart(args.restart)
    except FlagError as exc:
        p.error(str(exc))
    if args.cpus:
        try:
            body["NanoCpus"] = round(float(args.cpus) * 1e9)
        except ValueError:
            p.error(
                f'invalid argument "{args.cpus}" for "--cpus" flag: failed to parse {args.cpus} as a rational number'
            )
    for flag, key in (
        ("blkio_weight", "BlkioWeight"),
        ("cpu_period", "CpuPeriod"),
        ("cpu_quota", "CpuQuota"),
        ("cpu_rt_period", "CpuRealtimePeriod"),
        ("cpu_rt_runtime", "CpuRealtimeRuntime"),
        ("cpu_shares", "CpuShares"),
        ("cpuset_cpus", "CpusetCpus"),
        ("cpuset_mems", "CpusetMems"),
        ("pids_limit", "PidsLimit"),
    ):
        value = getattr(args, flag)
        if value is not None:
            body[key] = value
    if not body:
        raise CLIError("you must provide one or more flags when using this command", 1)
    failed = False
    for name in args.containers:
        try:
            doc = ctx.api.containers.update(name, body)
        except APIError as exc:
            print(f"Error response from daemon: {exc.message}", file=sys.stderr)
            failed = True
            continue
        for warning in doc.get("Warnings") or []:
            print(warning, file=sys.stderr)
        print(name)
    return 1 if failed else 0


def prune(ctx: Context, argv: list[str]) -> int:
    p = parser("container prune")
    p.add_argument("-f", "--force", action="store_true")
    p.add_argument("--filter", action="append", default=[])
    args = p.parse_args(argv)
    if not args.force and not confirm(
        "WARNING! This will remove all stopped containers.\nAre you sure you want to continue?"
    ):
        return 0
    doc = ctx.api.containers.prune(parse_filters(args.filter))
    print_deleted("Containers", doc.get("ContainersDeleted") or [], doc.get("SpaceReclaimed") or 0)
    return 0
