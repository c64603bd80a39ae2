"""Container commands other than run/create: lifecycle, ps, logs, exec, attach, stats, cp..."""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from .common import APIError, CLIError, Context, parser
from .inspect import (
    bytes_size,
    config_format,
    go_time,
    human_size,
    print_list,
    since,
    tabwrite,
    time_arg,
)


def short_id(value: str) -> str:
    """stringid.TruncateID: drop an algorithm prefix, keep 12 characters."""
    return value.split(":", 1)[-1][:12]


def ellipsis(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def go_quote(text: str) -> str:
    """strconv.Quote for the COMMAND column."""
    out = ['"']
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def parse_filters(values: list[str]) -> dict[str, dict[str, bool]] | None:
    """-f k=v flags -> the filters JSON the docker CLI sends ({"k": {"v": true}})."""
    out: dict[str, dict[str, bool]] = {}
    for value in values:
        key, eq, val = value.partition("=")
        if not eq:
            raise CLIError("bad format of filter (expected name=value)", 125)
        out.setdefault(key.strip().lower(), {})[val] = True
    return out or None


def for_each(ctx: Context, names: list[str], action: Callable[[str], None]) -> int:
    """Apply to each name; print it on success, the daemon's error otherwise (exit 1)."""
    failed = False
    for name in names:
        try:
            action(name)
        except APIError as exc:
            print(f"Error response from daemon: {exc.message}", file=sys.stderr)
            failed = True
            continue
        print(name)
    return 1 if failed else 0


def confirm(message: str) -> bool:
    sys.stdout.write(message + " [y/N] ")
    sys.stdout.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


# --- lifecycle --------------------------------------------------------------------------------


def start(ctx: Context, argv: list[str]) -> int:
    p = parser("start", usage="dockyard start [OPTIONS] CONTAINER [CONTAINER...]")
    p.add_argument("-a", "--attach", action="store_true")
    p.add_argument("-i", "--interactive", action="store_true")
    p.add_argument("--detach-keys", default="")
    p.add_argument("containers", nargs="+")
    args = p.parse_args(argv)
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
    waiter = streams.Waiter(containers, ref, "removed" if auto_remove else "next-exit")
    try:
        containers.start(ref)
    except APIError:
        session.close()
        waiter.close()
        raise
    waiter.watch(session.hang_up_later)
    proxy = streams.SignalProxy(containers, ref) if not tty else None
    try:
        detached = session.run()
    finally:
        if proxy is not None:
            proxy.stop()
    if detached:
        waiter.close()
        return 0
    status, error = waiter.result()
    if error:
        print(f"Error response from daemon: {error}", file=sys.stderr)
    return status


def stop(ctx: Context, argv: list[str]) -> int:
    return _stop_like(ctx, argv, "stop")


def restart(ctx: Context, argv: list[str]) -> int:
    return _stop_like(ctx, argv, "restart")


def _stop_like(ctx: Context, argv: list[str], verb: str) -> int:
    p = parser(verb, usage=f"dockyard {verb} [OPTIONS] CONTAINER [CONTAINER...]")
    p.add_argument("-s", "--signal", default="")
    p.add_argument("-t", "--time", "--timeout", type=int, default=None)
    p.add_argument("containers", nargs="+")
    args = p.parse_args(argv)
    action = getattr(ctx.api.containers, verb)
    return for_each(ctx, args.containers, lambda n: action(n, args.signal, args.time))


def kill(ctx: Context, argv: list[str]) -> int:
    p = parser("kill", usage="dockyard kill [OPTIONS] CONTAINER [CONTAINER...]")
    p.add_argument("-s", "--signal", default="")
    p.add_argument("containers", nargs="+")
    args = p.parse_args(argv)
    return for_each(ctx, args.containers, lambda n: ctx.api.containers.kill(n, args.signal))


def pause(ctx: Context, argv: list[str]) -> int:
    return _simple(ctx, argv, "pause")


def unpause(ctx: Context, argv: list[str]) -> int:
    return _simple(ctx, argv, "unpause")


def _simple(ctx: Context, argv: list[str], verb: str) -> int:
    p = parser(verb, usage=f"dockyard {verb} CONTAINER [CONTAINER...]")
    p.add_argument("containers", nargs="+")
    args = p.parse_args(argv)
    return for_each(ctx, args.containers, getattr(ctx.api.containers, verb))


def rm(ctx: Context, argv: list[str]) -> int:
    p = parser("rm", usage="dockyard rm [OPTIONS] CONTAINER [CONTAINER...]")
    p.add_argument("-f", "--force", action="store_true")
    p.add_argument("-v", "--volumes", action="store_true")
    p.add_argument("-l", "--link", action="store_true")
    p.add_argument("containers", nargs="+")
    args = p.parse_args(argv)

    def remove(name: str) -> None:
        name = name.strip("/")
        if not name:
            raise CLIError("Container name cannot be empty", 1)
        ctx.api.containers.remove(name, args.force, args.volumes, args.link)

    return for_each(ctx, args.containers, remove)


def wait(ctx: Context, argv: list[str]) -> int:
    p = parser("wait", usage="dockyard wait CONTAINER [CONTAINER...]")
    p.add_argument("containers", nargs="+")
    args = p.parse_args(argv)
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
    new = args.new.strip()
    if not new or "/" in new.lstrip("/"):
        raise CLIError("Error: Neither old nor new names may be empty", 1)
    ctx.api.containers.rename(args.old, new)
    return 0


def update(ctx: Context, argv: list[str]) -> int:
    from .run import FlagError, parse_restart, ram_in_bytes

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
    deleted = doc.get("ContainersDeleted") or []
    if deleted:
        print("Deleted Containers:")
        for cid in deleted:
            print(cid)
        print()
    print(f"Total reclaimed space: {human_size(doc.get('SpaceReclaimed') or 0)}")
    return 0


# --- ps -------------------------------------------------------------------------------------


def _port_sort_key(port: dict[str, Any]) -> tuple:
    return (
        port.get("PrivatePort", 0),
        port.get("IP", "") or "",
        port.get("PublicPort", 0) or 0,
        port.get("Type", ""),
    )


def _form_group(key: str, first: int, last: int) -> str:
    ip, _, kind = key.rpartition("/")
    group = str(first) if first == last else f"{first}-{last}"
    if ip:
        group = f"{ip}:{group}->{group}"
    return f"{group}/{kind}"


def display_ports(ports: list[dict[str, Any]]) -> str:
    """The PORTS column: consecutive ports grouped into ranges as the docker CLI does."""
    groups: dict[str, list[int]] = {}
    order: list[str] = []
    result: list[str] = []
    mappings: list[str] = []
    for port in sorted(ports or [], key=_port_sort_key):
        current = port.get("PrivatePort", 0)
        key = port.get("Type", "tcp")
        ip = port.get("IP") or ""
        if ip:
            public = port.get("PublicPort", 0) or 0
            if public != current:
                host = f"[{ip}]" if ":" in ip else ip
                mappings.append(f"{host}:{public}->{current}/{port.get('Type')}")
                continue
            key = f"{ip}/{key}"
        group = groups.get(key)
        if group is None:
            groups[key] = [current, current]
            order.append(key)
            continue
        if current == group[1] + 1:
            group[1] = current
            continue
        result.append(_form_group(key, group[0], group[1]))
        groups[key] = [current, current]
    for key in order:
        first, last = groups[key]
        result.append(_form_group(key, first, last))
    return ", ".join(result + mappings)


def container_row(
    c: dict[str, Any], trunc: bool = True, now: float | None = None
) -> dict[str, Any]:
    """API container summary -> the fields docker's --format templates see."""
    names = [n.lstrip("/") for n in c.get("Names") or []]
    if trunc:
        # link aliases (/other/alias) are hidden unless --no-trunc
        names = [n for n in names if "/" not in n][:1] or names[:1]
    image = c.get("Image") or ""
    if trunc:
        image_id = c.get("ImageID") or ""
        if short_id(image_id) == short_id(image) and image.startswith("sha256:"):
            image = short_id(image)
        elif "@" in image:
            image = image.split("@", 1)[0]
    command = c.get("Command") or ""
    if trunc:
        command = ellipsis(command, 20)
    created = c.get("Created") or 0
    labels = c.get("Labels") or {}
    mounts = []
    for m in c.get("Mounts") or []:
        name = m.get("Name") or m.get("Source") or ""
        mounts.append(ellipsis(name, 15) if trunc else name)
    networks = sorted(((c.get("NetworkSettings") or {}).get("Networks") or {}).keys())
    size_rw = c.get("SizeRw") or 0
    size_root = c.get("SizeRootFs") or 0
    size = human_size(size_rw, 3)
    if size_root > 0:
        size = f"{size} (virtual {human_size(size_root, 3)})"
    return {
        "Command": go_quote(command),
        "CreatedAt": go_time(created),
        "ID": c.get("Id", "") if not trunc else short_id(c.get("Id", "")),
        "Image": image,
        "Labels": ",".join(f"{k}={v}" for k, v in labels.items()),
        "LocalVolumes": str(sum(1 for m in c.get("Mounts") or [] if m.get("Driver") == "local")),
        "Mounts": ",".join(mounts),
        "Names": ",".join(names),
        "Networks": ",".join(networks),
        "Platform": c.get("ImageManifestDescriptor", {}).get("platform")
        if c.get("ImageManifestDescriptor")
        else None,
        "Ports": display_ports(c.get("Ports") or []),
        "RunningFor": since(created, now),
        "Size": size,
        "State": c.get("State", ""),
        "Status": c.get("Status", ""),
        "Label": lambda key: labels.get(key, ""),
    }


def ps(ctx: Context, argv: list[str]) -> int:
    p = parser("ps", usage="dockyard ps [OPTIONS]")
    p.add_argument("-a", "--all", action="store_true")
    p.add_argument("-f", "--filter", action="append", default=[])
    p.add_argument("--format")
    p.add_argument("-n", "--last", type=int, default=-1)
    p.add_argument("-l", "--latest", action="store_true")
    p.add_argument("--no-trunc", action="store_true")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("-s", "--size", action="store_true")
    args = p.parse_args(argv)
    last = 1 if args.latest and args.last == -1 else args.last
    fmt = args.format or config_format("container")
    size = args.size
    if fmt and fmt not in ("table", "json", "raw") and not args.quiet:
        from .gotemplate import TemplateError
        from .tables import check_format

        try:
            # docker validates the template first and asks for sizes only when shown
            used = check_format("container", fmt)
            # {{json .}} marshals every field, Size included, so docker asks for sizes
            size = size or "Size" in used or fmt.strip() == "json" or "json ." in fmt
        except TemplateError as exc:
            raise CLIError(str(exc), 1) from None
    containers = ctx.api.containers.list(
        all=args.all or last != -1,
        limit=last if last > 0 else None,
        size=bool(size),
        filters=parse_filters(args.filter),
    )
    trunc = not args.no_trunc
    if args.quiet:
        for c in containers:
            print(short_id(c["Id"]) if trunc else c["Id"])
        return 0
    now = time.time()
    rows = [container_row(c, trunc, now) for c in containers]
    print_list(rows, fmt, "container", size=args.size)
    return 0


# --- logs / attach / exec ------------------------------------------------------------------


def logs(ctx: Context, argv: list[str]) -> int:
    from . import streams

    p = parser("logs", usage="dockyard logs [OPTIONS] CONTAINER")
    p.add_argument("--details", action="store_true")
    p.add_argument("-f", "--follow", action="store_true")
    p.add_argument("--since")
    p.add_argument("-n", "--tail", default="all")
    p.add_argument("-t", "--timestamps", action="store_true")
    p.add_argument("--until")
    p.add_argument("container")
    args = p.parse_args(argv)
    containers = ctx.api.containers
    info = containers.inspect(args.container)
    tty = bool((info.get("Config") or {}).get("Tty"))
    chunks = containers.logs(
        info["Id"],
        follow=args.follow,
        since=time_arg(args.since),
        until=time_arg(args.until),
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
    from .run import parse_with

    p = parser("attach", usage="dockyard attach [OPTIONS] CONTAINER")
    p.add_argument("--detach-keys", default="")
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


def exec_(ctx: Context, argv: list[str]) -> int:
    from . import streams
    from .run import FlagError, env_value, parse_with, read_kv_file

    p = parser("exec", usage="dockyard exec [OPTIONS] CONTAINER COMMAND [ARG...]")
    p.add_argument("-d", "--detach", action="store_true")
    p.add_argument("--detach-keys", default="")
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
    container, cmd = rest[0], rest[1:]
    env = [x for f in o.env_file for x in read_kv_file(f)]
    for value in o.env:
        try:
            env.append(env_value(value))
        except FlagError as exc:
            p.error(f'invalid argument "{value}" for "-e, --env" flag: {exc}')
    if o.detach_keys:
        try:
            streams.parse_detach_keys(o.detach_keys)
        except ValueError as exc:
            raise CLIError(str(exc), 1) from None
    if o.tty and o.interactive and not o.detach and not sys.stdin.isatty():
        raise CLIError("the input device is not a TTY", 1)
    info = ctx.api.containers.inspect(container)
    if not (info.get("State") or {}).get("Running", True):
        raise CLIError(f"Error response from daemon: container {info['Id']} is not running", 1)
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
        from .run import _start_error_code

        print(f"Error response from daemon: {exc.message}", file=sys.stderr)
        code = _start_error_code(exc.message)
        return 1 if code == 125 else code
    session = streams.Session(
        sock,
        tty=o.tty,
        stdin=attach_in,
        detach_keys=o.detach_keys,
        resize=streams.exec_resizer(execs, exec_id) if o.tty else None,
    )
    if session.run():
        return 0
    doc = execs.inspect(exec_id)
    code = doc.get("ExitCode")
    return int(code) if code is not None else 0


# --- top / port / diff ---------------------------------------------------------------------


def top(ctx: Context, argv: list[str]) -> int:
    from .run import parse_with

    p = parser("top", usage="dockyard top CONTAINER [ps OPTIONS]")

    o, rest = parse_with(p, argv)
    if not rest:
        p.error('"top" requires at least 1 argument.')
    doc = ctx.api.containers.top(rest[0], " ".join(rest[1:]) if len(rest) > 1 else None)
    lines = ["\t".join(doc.get("Titles") or [])]
    lines.extend("\t".join(proc) for proc in doc.get("Processes") or [])
    print(tabwrite(lines, minwidth=20, padding=3))
    return 0


def port(ctx: Context, argv: list[str]) -> int:
    p = parser("port", usage="dockyard port CONTAINER [PRIVATE_PORT[/PROTO]]")
    p.add_argument("container")
    p.add_argument("private", nargs="?")
    args = p.parse_args(argv)
    info = ctx.api.containers.inspect(args.container)
    ports = (info.get("NetworkSettings") or {}).get("Ports") or {}

    def host_of(binding: dict[str, str]) -> str:
        ip = binding.get("HostIp") or ""
        if ":" in ip:
            return f"[{ip}]:{binding.get('HostPort')}"
        return f"{ip}:{binding.get('HostPort')}"

    if args.private:
        num, _, proto = args.private.partition("/")
        key = f"{num}/{proto or 'tcp'}"
        bindings = ports.get(key)
        if not bindings:
            raise CLIError(
                f"Error: No public port '{args.private}' published for {args.container}", 1
            )
        for b in bindings:
            print(host_of(b))
        return 0
    lines = []
    for key in sorted(ports, key=lambda k: (int(k.split("/")[0]), k.split("/")[-1])):
        for b in ports[key] or []:
            lines.append(f"{key} -> {host_of(b)}")
    for line in lines:
        print(line)
    return 0


def diff(ctx: Context, argv: list[str]) -> int:
    p = parser("diff", usage="dockyard diff CONTAINER")
    p.add_argument("container")
    args = p.parse_args(argv)
    changes = ctx.api.containers.changes(args.container)
    for change in changes:
        kind = {0: "C", 1: "A", 2: "D"}.get(change.get("Kind"), "?")
        print(f"{kind} {change.get('Path')}")
    return 0


# --- stats ----------------------------------------------------------------------------------


def stats_row(s: dict[str, Any], container: str, trunc: bool = True) -> dict[str, Any]:
    """One stats sample (with precpu) -> the template fields docker computes."""
    cpu = s.get("cpu_stats") or {}
    pre = s.get("precpu_stats") or {}
    cpu_delta = (cpu.get("cpu_usage") or {}).get("total_usage", 0) - (
        pre.get("cpu_usage") or {}
    ).get("total_usage", 0)
    sys_delta = (cpu.get("system_cpu_usage") or 0) - (pre.get("system_cpu_usage") or 0)
    online = (
        cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or []) or 1
    )
    cpu_pct = cpu_delta / sys_delta * online * 100.0 if sys_delta > 0 and cpu_delta > 0 else 0.0
    mem = s.get("memory_stats") or {}
    stats = mem.get("stats") or {}
    usage = mem.get("usage") or 0
    # page cache is reclaimable: docker subtracts it (cgroup v1 total_inactive_file, v2 inactive_file)
    for key in ("total_inactive_file", "inactive_file"):
        if key in stats and stats[key] < usage:
            usage -= stats[key]
            break
    limit = mem.get("limit") or 0
    mem_pct = usage / limit * 100.0 if limit else 0.0
    rx = tx = 0
    for net in (s.get("networks") or {}).values():
        rx += net.get("rx_bytes", 0)
        tx += net.get("tx_bytes", 0)
    read = write = 0
    for entry in (s.get("blkio_stats") or {}).get("io_service_bytes_recursive") or []:
        op = (entry.get("op") or "").lower()
        if op == "read":
            read += entry.get("value", 0)
        elif op == "write":
            write += entry.get("value", 0)
    pids = (s.get("pids_stats") or {}).get("current", 0) or 0
    full_id = s.get("id") or container
    return {
        "Container": container,
        "Name": (s.get("name") or "").lstrip("/") or "--",
        "ID": short_id(full_id) if trunc else full_id,
        "CPUPerc": f"{cpu_pct:.2f}%",
        "MemUsage": f"{bytes_size(usage)} / {bytes_size(limit)}",
        "MemPerc": f"{mem_pct:.2f}%",
        "NetIO": f"{human_size(rx, 3)} / {human_size(tx, 3)}",
        "BlockIO": f"{human_size(read, 3)} / {human_size(write, 3)}",
        "PIDs": str(pids),
    }


def stats(ctx: Context, argv: list[str]) -> int:
    p = parser("stats", usage="dockyard stats [OPTIONS] [CONTAINER...]")
    p.add_argument("-a", "--all", action="store_true")
    p.add_argument("--format")
    p.add_argument("--no-stream", action="store_true")
    p.add_argument("--no-trunc", action="store_true")
    p.add_argument("containers", nargs="*")
    args = p.parse_args(argv)
    names = args.containers
    if not names:
        listing = ctx.api.containers.list(all=args.all)
        names = [short_id(c["Id"]) for c in listing]  # docker's CONTAINER column shows these
    interactive = not args.no_stream and sys.stdout.isatty()
    trunc = not args.no_trunc

    def sample(name: str) -> dict[str, Any] | str:
        try:
            doc = ctx.api.containers.stats(name)
        except APIError as exc:
            return exc.message
        return stats_row(doc, name, trunc)

    from concurrent.futures import ThreadPoolExecutor

    # one sample takes the daemon about a second (it measures CPU over an interval):
    # take them all at once, as docker's per-container collectors do
    with ThreadPoolExecutor(max_workers=min(32, len(names) or 1)) as pool:
        while True:
            started = time.monotonic()
            results = list(pool.map(sample, names))
            rows = [r for r in results if isinstance(r, dict)]
            errors = [r for r in results if isinstance(r, str)]
            for message in errors:
                print(f"Error response from daemon: {message}", file=sys.stderr)
            if interactive:
                sys.stdout.write("\033[2J\033[H")
            print_list(rows, args.format, "stats")
            sys.stdout.flush()
            if args.no_stream or (errors and not rows):
                return 1 if errors else 0
            try:
                time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
            except KeyboardInterrupt:
                return 0


# --- commit / export ------------------------------------------------------------------------


def split_repo_tag(ref: str) -> tuple[str, str]:
    if "@" in ref:
        return ref, ""
    name, sep, tag = ref.rpartition(":")
    if sep and "/" not in tag:
        return name, tag
    return ref, ""


def commit(ctx: Context, argv: list[str]) -> int:
    from .run import parse_with

    p = parser("commit", usage="dockyard commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]")
    p.add_argument("-a", "--author", default="")
    p.add_argument("-c", "--change", action="append", default=[])
    p.add_argument("-m", "--message", default="")
    p.add_argument("-p", "--pause", action="store_true", default=True)
    args, rest = parse_with(p, argv, interspersed=True)
    if not 1 <= len(rest) <= 2:
        p.error('"commit" requires at least 1 and at most 2 arguments.')
    args.container = rest[0]
    args.reference = rest[1] if len(rest) > 1 else None
    repo, tag = split_repo_tag(args.reference) if args.reference else (None, "")
    doc = ctx.api.containers.commit(
        args.container, repo, tag, args.message, args.author, args.pause, args.change
    )
    print(doc["Id"])
    return 0


def _write_stream(chunks: Any, output: str | None, what: str) -> None:
    if output:
        tmp = output + ".dockyard-tmp"
        with open(tmp, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
        os.replace(tmp, output)
        return
    out = sys.stdout.buffer
    for chunk in chunks:
        out.write(chunk)
    out.flush()


def refuse_terminal(output: str | None, what: str) -> None:
    if not output and sys.stdout.isatty():
        raise CLIError("cowardly refusing to save to a terminal. Use the -o flag or redirect", 1)


def export(ctx: Context, argv: list[str]) -> int:
    p = parser("export", usage="dockyard export [OPTIONS] CONTAINER")
    p.add_argument("-o", "--output")
    p.add_argument("container")
    args = p.parse_args(argv)
    refuse_terminal(args.output, "export")
    _write_stream(ctx.api.containers.export(args.container), args.output, "export")
    return 0


# --- cp ---------------------------------------------------------------------------------------

GO_MODE_DIR = 1 << 31
GO_MODE_SYMLINK = 1 << 27


def split_cp_arg(arg: str) -> tuple[str, str]:
    """ "ctr:/path" -> ("ctr", "/path"); local paths (absolute, ./x, no colon) -> ("", arg)."""
    if arg.startswith("/") or arg.startswith("."):
        return "", arg
    container, sep, path = arg.partition(":")
    if not sep:
        return "", arg
    return container, path


def cp(ctx: Context, argv: list[str]) -> int:
    p = parser(
        "cp",
        usage="dockyard cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"
        "       dockyard cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
    )
    p.add_argument("-a", "--archive", action="store_true")
    p.add_argument("-L", "--follow-link", action="store_true")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("src")
    p.add_argument("dst")
    args = p.parse_args(argv)
    src_ctr, src_path = split_cp_arg(args.src)
    dst_ctr, dst_path = split_cp_arg(args.dst)
    if src_ctr and dst_ctr:
        raise CLIError("copying between containers is not supported", 1)
    if not src_ctr and not dst_ctr:
        raise CLIError("must specify at least one container source", 1)
    if src_ctr:
        size = copy_from_container(ctx, src_ctr, src_path, dst_path, args.follow_link)
    else:
        size = copy_to_container(ctx, src_path, dst_ctr, dst_path, args.archive, args.follow_link)
    # like docker, the summary is for people: only on a terminal
    if not args.quiet and size is not None and dst_path != "-" and sys.stderr.isatty():
        shown = args.dst if dst_ctr else os.path.abspath(dst_path)
        print(f"Successfully copied {human_size(size, 3)} to {shown}", file=sys.stderr)
    return 0


def _ends_with_sep(path: str) -> bool:
    return path.endswith("/") or path.endswith("/.")


def _contents_only(path: str) -> bool:
    return path.endswith("/.") or path == "."


class _Counter(io.RawIOBase):
    """A readable stream over response chunks that counts the bytes it hands out."""

    def __init__(self, chunks: Any) -> None:
        super().__init__()
        self.chunks = chunks
        self.size = 0
        self.buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self.buf:
            chunk = next(self.chunks, b"")
            if not chunk:
                return 0
            self.size += len(chunk)
            self.buf = chunk
        n = min(len(target), len(self.buf))
        target[:n] = self.buf[:n]
        self.buf = self.buf[n:]
        return n


def copy_from_container(ctx: Context, ctr: str, src: str, dst: str, follow: bool) -> int | None:
    import shutil
    import tempfile

    if follow:
        stat = ctx.api.containers.stat_path(ctr, src)
        if stat and stat.get("mode", 0) & GO_MODE_SYMLINK and stat.get("linkTarget"):
            target = stat["linkTarget"]
            src = target if target.startswith("/") else src.rsplit("/", 1)[0] + "/" + target
    stat, resp = ctx.api.containers.get_archive(ctr, src)
    src_is_dir = bool(stat.get("mode", 0) & GO_MODE_DIR)
    if dst == "-":
        out = sys.stdout.buffer
        for chunk in resp.iter_chunks():
            out.write(chunk)
        out.flush()
        return None
    try:
        dst_exists = os.path.isdir(dst) or os.path.lexists(dst.rstrip("/") or "/")
        os.stat(dst) if dst_exists else None
    except NotADirectoryError:
        resp.read()
        raise CLIError(f"stat {os.path.abspath(dst)}/: not a directory", 1) from None
    dst_is_dir = os.path.isdir(dst)
    if not dst_exists:
        if _ends_with_sep(dst) and not src_is_dir:
            resp.read()
            raise CLIError("no such directory", 1)
        parent = os.path.dirname(os.path.abspath(dst.rstrip("/") or "/"))
        if not os.path.isdir(parent):
            resp.read()
            raise CLIError(f'invalid output path: directory "{parent}" does not exist', 1)
    elif not dst_is_dir and src_is_dir:
        resp.read()
        raise CLIError("cannot copy directory", 1)
    base = dst if dst_is_dir else os.path.dirname(os.path.abspath(dst.rstrip("/")))
    staging = tempfile.mkdtemp(prefix=".dockyard-cp-", dir=base)
    counter = _Counter(resp.iter_chunks())
    try:
        _extract_into(counter, staging)
        name = stat.get("name") or os.path.basename(src.rstrip("/")) or "/"
        top = staging if name == "/" else os.path.join(staging, name)
        if not os.path.lexists(top):
            entries = os.listdir(staging)
            top = os.path.join(staging, entries[0]) if len(entries) == 1 else staging
        if dst_is_dir:
            if _contents_only(src) and src_is_dir:
                _merge_children(top, dst)
            else:
                _merge(top, os.path.join(dst, os.path.basename(top)))
        else:
            _merge(top, os.path.abspath(dst.rstrip("/")))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return counter.size


def _extract_into(stream: Any, directory: str) -> None:
    from dockyard.fs.extract import ExtractOptions, extract_stream
    from dockyard.fs.scoped import RootDir

    opts = ExtractOptions(
        chown=(os.getuid(), os.getgid()),
        allow_devices=os.getuid() == 0,
        apply_root_metadata=False,
    )
    try:
        with RootDir(directory) as root:
            extract_stream(stream, root, [], opts)
    except Exception as exc:
        msg = getattr(exc, "message", None) or str(exc)
        raise CLIError(msg, 1) from None


def _merge(src: str, dst: str) -> None:
    """Move src to dst; directories merge into an existing directory (cp -a semantics)."""
    src_dir = os.path.isdir(src) and not os.path.islink(src)
    dst_dir = os.path.isdir(dst) and not os.path.islink(dst)
    if src_dir and dst_dir:
        _merge_children(src, dst)
        return
    if dst_dir:
        raise CLIError(f'cannot overwrite directory "{dst}" with non-directory "{src}"', 1)
    if src_dir and os.path.lexists(dst):
        raise CLIError(f'cannot overwrite non-directory "{dst}" with directory "{src}"', 1)
    os.replace(src, dst)


def _merge_children(src: str, dst: str) -> None:
    for child in os.listdir(src):
        _merge(os.path.join(src, child), os.path.join(dst, child))


def copy_to_container(
    ctx: Context, src: str, ctr: str, dst: str, archive: bool, follow: bool
) -> int | None:
    import tarfile
    import tempfile

    if src == "-":
        stat = ctx.api.containers.stat_path(ctr, dst)
        if stat is None or not stat.get("mode", 0) & GO_MODE_DIR:
            raise CLIError(f'destination "{ctr}:{dst}" must be a directory', 1)
        ctx.api.containers.put_archive(ctr, dst, sys.stdin.buffer, copy_uid_gid=archive)
        return None
    if not os.path.lexists(src.rstrip("/") or "/"):
        raise CLIError(f"lstat {os.path.abspath(src)}: no such file or directory", 1)
    real = os.path.realpath(src) if follow else src
    src_is_dir = os.path.isdir(real) and (follow or not os.path.islink(real))
    if _ends_with_sep(src) and not src_is_dir:
        raise CLIError("not a directory", 1)
    stat = ctx.api.containers.stat_path(ctr, dst)
    if stat is not None and stat.get("mode", 0) & GO_MODE_DIR:
        put_path = dst
        name = None if _contents_only(src) and src_is_dir else os.path.basename(real.rstrip("/"))
        if name in ("", "."):
            name = None
    elif stat is not None:
        if src_is_dir:
            raise CLIError("cannot copy directory", 1)
        put_path, name = _split_dst(dst)
    else:
        if _ends_with_sep(dst) and not src_is_dir:
            raise CLIError("no such directory", 1)
        put_path, name = _split_dst(dst)

    def owner(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.mtime = int(info.mtime)  # a float mtime would cost a PAX header per file
        if not archive:
            info.uid = info.gid = 0
            info.uname = info.gname = ""
        return info

    spool = tempfile.SpooledTemporaryFile(max_size=16 << 20)
    with tarfile.open(fileobj=spool, mode="w", format=tarfile.PAX_FORMAT) as tar:
        top = real.rstrip("/") or "/"
        if name is None:
            for child in sorted(os.listdir(top)):
                tar.add(os.path.join(top, child), arcname=child, filter=owner)
        else:
            tar.add(top, arcname=name, filter=owner)
        end = tar.offset
    # Go's archive/tar ends with two zero blocks; Python pads to a 10 KiB record
    size = end + 2 * tarfile.BLOCKSIZE
    spool.truncate(size)
    spool.seek(0)
    ctx.api.containers.put_archive(ctr, put_path, spool, copy_uid_gid=archive)
    return size


def _split_dst(dst: str) -> tuple[str, str]:
    path = dst.rstrip("/") or "/"
    parent, _, name = path.rpartition("/")
    return parent or "/", name
