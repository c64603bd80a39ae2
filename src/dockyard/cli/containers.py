"""Container commands that read or snapshot one container: top, port, diff, stats,
commit, export."""

from __future__ import annotations

import sys
import time

from ..client.api import APIError
from .errors import CLIError
from .inspect import bytes_size, human_size, print_list, tabwrite
from .quickargs import parser, switches_only
from .shared import refuse_terminal, short_id, split_repo_tag, write_stream

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from typing import Any

    from .context import Context


def top(ctx: Context, argv: list[str]) -> int:
    from .flags import parse_with

    p = parser("top", usage="dockyard top CONTAINER [ps OPTIONS]")

    o, rest = parse_with(p, argv)
    if not rest:
        p.error('"top" requires at least 1 argument.')
    doc = ctx.api.containers.top(rest[0], " ".join(rest[1:]) if len(rest) > 1 else None)
    lines = ["\t".join(doc.get("Titles") or [])]
    lines.extend("\t".join(proc) for proc in doc.get("Processes") or [])
    print(tabwrite(lines, minwidth=20, padding=3))
    return 0


def _port_parser() -> Any:
    p = parser("port", usage="dockyard port CONTAINER [PRIVATE_PORT[/PROTO]]")
    p.add_argument("container")
    p.add_argument("private", nargs="?")
    return p


def port_args(argv: list[str]) -> Any:
    """CONTAINER [PRIVATE_PORT[/PROTO]] without a flag is read without argparse."""
    quick = switches_only(argv, {})
    if quick is None or not 1 <= len(quick[1]) <= 2:
        return _port_parser().parse_args(argv)
    args, names = quick
    args.container, args.private = names[0], names[1] if len(names) == 2 else None  # type: ignore[attr-defined]
    return args


def port(ctx: Context, argv: list[str]) -> int:
    args = port_args(argv)
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
            if errors and not rows:
                return 1  # docker prints no table when no container answered
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


def commit(ctx: Context, argv: list[str]) -> int:
    from .flags import parse_with

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
    if args.reference:  # checked here first, as the docker CLI does
        from dockyard.common.reference import InvalidReference, parse_normalized

        try:
            parse_normalized(args.reference, default_tag=False)
        except InvalidReference as exc:
            raise CLIError(str(exc), 1) from None
    repo, tag = split_repo_tag(args.reference) if args.reference else (None, "")
    doc = ctx.api.containers.commit(
        args.container, repo, tag, args.message, args.author, args.pause, args.change
    )
    print(doc["Id"])
    return 0


def export(ctx: Context, argv: list[str]) -> int:
    p = parser("export", usage="dockyard export [OPTIONS] CONTAINER")
    p.add_argument("-o", "--output")
    p.add_argument("container")
    args = p.parse_args(argv)
    refuse_terminal(args.output, "export")
    write_stream(ctx.api.containers.export(args.container), args.output, "export")
    return 0
