"""version, info, events, system df, system prune."""

from __future__ import annotations

import json
import platform
import sys
from typing import Any

from .. import API_VERSION, __version__
from .common import APIError, Context, parser


def render_format(fmt: str, data: Any) -> str:
    from .gotemplate import compile_template

    return compile_template(fmt).execute(data)


def version(ctx: Context, argv: list[str]) -> int:
    p = parser("version")
    p.add_argument("-f", "--format")
    args = p.parse_args(argv)
    client_doc = {
        "Version": __version__,
        "ApiVersion": API_VERSION,
        "DefaultAPIVersion": API_VERSION,
        "GoVersion": f"python{platform.python_version()}",
        "Os": "linux",
        "Arch": "amd64" if platform.machine() == "x86_64" else platform.machine(),
    }
    server: dict[str, Any] | None = None
    error: str | None = None
    try:
        server = ctx.api.system.version()
    except Exception as exc:  # the client part still prints, like docker
        error = getattr(exc, "message", None) or str(exc)
    if args.format:
        print(render_format(args.format, {"Client": client_doc, "Server": server}))
        return 1 if error else 0
    print("Client:")
    print(f" Version:           {__version__}")
    print(f" API version:       {API_VERSION}")
    print(f" Python version:    {platform.python_version()}")
    print(f" OS/Arch:           linux/{client_doc['Arch']}")
    print()
    if server is None:
        print(f"Cannot connect to the dockyard daemon: {error}", file=sys.stderr)
        return 1
    print(f"Server: {server.get('Platform', {}).get('Name', '')}")
    print(" Engine:")
    print(f"  Version:          {server.get('Version')}")
    print(
        f"  API version:      {server.get('ApiVersion')} (minimum version {server.get('MinAPIVersion')})"
    )
    print(f"  OS/Arch:          {server.get('Os')}/{server.get('Arch')}")
    print(f"  Kernel version:   {server.get('KernelVersion')}")
    return 0


def info(ctx: Context, argv: list[str]) -> int:
    p = parser("info")
    p.add_argument("-f", "--format")
    args = p.parse_args(argv)
    doc = ctx.api.system.info()
    if args.format:
        print(render_format(args.format, doc))
        return 0
    lines = [
        "Server:",
        f" Containers: {doc['Containers']}",
        f"  Running: {doc['ContainersRunning']}",
        f"  Paused: {doc['ContainersPaused']}",
        f"  Stopped: {doc['ContainersStopped']}",
        f" Images: {doc['Images']}",
        f" Server Version: {doc['ServerVersion']}",
        f" Storage Driver: {doc['Driver']}",
        f" Logging Driver: {doc['LoggingDriver']}",
        f" Cgroup Driver: {doc['CgroupDriver']}",
        f" Cgroup Version: {doc['CgroupVersion']}",
        " Plugins:",
        f"  Volume: {' '.join(doc['Plugins']['Volume'])}",
        f"  Network: {' '.join(doc['Plugins']['Network'])}",
        f" Swarm: {(doc.get('Swarm') or {}).get('LocalNodeState') or 'inactive'}",
        f" Runtimes: {' '.join(sorted(doc['Runtimes']))}",
        f" Default Runtime: {doc['DefaultRuntime']}",
        f" Kernel Version: {doc['KernelVersion']}",
        f" Operating System: {doc['OperatingSystem']}",
        f" OSType: {doc['OSType']}",
        f" Architecture: {doc['Architecture']}",
        f" CPUs: {doc['NCPU']}",
        f" Total Memory: {doc['MemTotal'] / (1 << 30):.2f}GiB",
        f" Name: {doc['Name']}",
        f" ID: {doc['ID']}",
        f" Docker Root Dir: {doc['DockerRootDir']}",
        f" Debug Mode: {str(doc['Debug']).lower()}",
        f" Live Restore Enabled: {str(doc['LiveRestoreEnabled']).lower()}",
    ]
    mirrors = doc.get("RegistryConfig", {}).get("Mirrors") or []
    if mirrors:
        lines.append(" Registry Mirrors:")
        lines.extend(f"  {m}" for m in mirrors)
    print("\n".join(lines))
    return 0


def events(ctx: Context, argv: list[str]) -> int:
    p = parser("events")
    p.add_argument("-f", "--filter", action="append", default=[])
    p.add_argument("--format")
    p.add_argument("--since")
    p.add_argument("--until")
    args = p.parse_args(argv)
    filters: dict[str, list[str]] = {}
    for f in args.filter:
        k, _, v = f.partition("=")
        filters.setdefault(k, []).append(v)
    stream = ctx.api.system.events(_time_arg(args.since), _time_arg(args.until), filters)
    try:
        for event in stream:
            if args.format:
                print(render_format(args.format, event), flush=True)
                continue
            attrs = event["Actor"].get("Attributes", {})
            attr_text = ", ".join(f"{k}={v}" for k, v in sorted(attrs.items()))
            import datetime

            ts = datetime.datetime.fromtimestamp(event["timeNano"] / 1e9).astimezone()
            stamp = ts.strftime("%Y-%m-%dT%H:%M:%S.%f000%z")
            stamp = stamp[:-2] + ":" + stamp[-2:]
            print(
                f"{stamp} {event['Type']} {event['Action']} {event['Actor']['ID']} ({attr_text})",
                flush=True,
            )
    except KeyboardInterrupt:
        return 0
    return 0


def _time_arg(value: str | None) -> str | None:
    if value is None:
        return None
    from dockyard.common.humanize import parse_timestamp_arg

    return parse_timestamp_arg(value)


def df(ctx: Context, argv: list[str]) -> int:
    p = parser("system df")
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument("--format")
    args = p.parse_args(argv)
    doc = ctx.api.system.df()
    if args.format == "json" or (args.format and args.format.strip() == "{{json .}}"):
        print(json.dumps(doc))
        return 0
    from dockyard.common.humanize import human_size

    if args.verbose:
        print(_df_verbose(doc), end="")
        return 0
    images = doc.get("Images") or []
    containers = doc.get("Containers") or []
    volumes = doc.get("Volumes") or []
    img_size = doc.get("LayersSize", 0)
    active_images = sum(1 for i in images if i.get("Containers", 0) > 0)
    img_reclaim = sum(i.get("Size", 0) for i in images if i.get("Containers", 0) <= 0)
    ctr_size = sum(c.get("SizeRw", 0) or 0 for c in containers)
    active_ctrs = sum(1 for c in containers if c.get("State") == "running")
    ctr_reclaim = sum(c.get("SizeRw", 0) or 0 for c in containers if c.get("State") != "running")
    vol_size = sum((v.get("UsageData") or {}).get("Size", 0) for v in volumes)
    active_vols = sum(1 for v in volumes if (v.get("UsageData") or {}).get("RefCount", 0) > 0)
    vol_reclaim = sum(
        (v.get("UsageData") or {}).get("Size", 0)
        for v in volumes
        if (v.get("UsageData") or {}).get("RefCount", 0) == 0
    )

    def pct(part: int, whole: int) -> str:
        return f"{human_size(part)} ({int(part * 100 / whole) if whole else 0}%)"

    rows = [
        ("TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"),
        (
            "Images",
            str(len(images)),
            str(active_images),
            human_size(img_size),
            pct(img_reclaim, img_size),
        ),
        (
            "Containers",
            str(len(containers)),
            str(active_ctrs),
            human_size(ctr_size),
            pct(ctr_reclaim, ctr_size),
        ),
        (
            "Local Volumes",
            str(len(volumes)),
            str(active_vols),
            human_size(vol_size),
            pct(vol_reclaim, vol_size),
        ),
        ("Build Cache", "0", "0", "0B", "0B"),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        print("   ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return 0


def _df_verbose(doc: dict[str, Any]) -> str:
    """`system df -v`: Docker's per-image, per-container and per-volume tables."""
    from dockyard.common.humanize import ago, human_size

    from .tables import ellipsis, tabwrite, truncate_id

    def table(header: list[str], rows: list[list[str]]) -> str:
        return tabwrite("\n".join("\t".join(r) for r in [header, *rows]) + "\n")

    images = []
    for img in doc.get("Images") or []:
        # One row per image, under its first tag, as docker prints it.
        for tag in (img.get("RepoTags") or ["<none>:<none>"])[:1]:
            repo, _, t = tag.rpartition(":")
            shared = img.get("SharedSize", 0) or 0
            shared = max(shared, 0)
            size = img.get("Size", 0) or 0
            images.append([repo, t, truncate_id(img["Id"]), ago(img.get("Created", 0)),
                           human_size(size, 3), human_size(shared, 3),
                           human_size(size - shared), str(max(img.get("Containers", 0), 0))])  # fmt: skip
    containers = []
    for c in doc.get("Containers") or []:
        volumes = sum(1 for m in c.get("Mounts") or [] if m.get("Type") == "volume")
        containers.append([truncate_id(c["Id"]), ellipsis(c.get("Image", ""), 30),
                           '"' + ellipsis(c.get("Command", ""), 20) + '"', str(volumes),
                           human_size(c.get("SizeRw", 0) or 0, 3), ago(c.get("Created", 0)),
                           c.get("Status", ""), (c.get("Names") or ["/"])[0].lstrip("/")])  # fmt: skip
    volumes = []
    for v in doc.get("Volumes") or []:
        usage = v.get("UsageData") or {}
        volumes.append([v["Name"], str(max(usage.get("RefCount", 0), 0)),
                        human_size(max(usage.get("Size", 0), 0))])  # fmt: skip
    out = ["Images space usage:\n\n"]
    out.append(table(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE",
                      "UNIQUE SIZE", "CONTAINERS"], images))  # fmt: skip
    out.append("\nContainers space usage:\n\n")
    out.append(table(["CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE", "CREATED",
                      "STATUS", "NAMES"], containers))  # fmt: skip
    out.append("\nLocal Volumes space usage:\n\n")
    out.append(table(["VOLUME NAME", "LINKS", "SIZE"], volumes))
    out.append("\nBuild cache usage: 0B\n\n")
    out.append(table(["CACHE ID", "CACHE TYPE", "SIZE", "CREATED", "LAST USED", "USAGE",
                      "SHARED"], []))  # fmt: skip
    return "".join(out)


def prune(ctx: Context, argv: list[str]) -> int:
    p = parser("system prune")
    p.add_argument("-a", "--all", action="store_true")
    p.add_argument("-f", "--force", action="store_true")
    p.add_argument("--volumes", action="store_true")
    p.add_argument("--filter", action="append", default=[])
    args = p.parse_args(argv)
    if not args.force:
        print(
            "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container"
        )
        if args.volumes:
            print("  - all anonymous volumes not used by at least one container")
        print(
            "  - all dangling images"
            if not args.all
            else "  - all images without at least one container associated to them"
        )
        answer = input("\nAre you sure you want to continue? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            return 0
    total = 0
    api = ctx.api
    dangling = {"dangling": ["false" if args.all else "true"]}
    for prune in (
        api.containers.prune,
        api.networks.prune,
        api.volumes.prune if args.volumes else None,
        lambda: api.images.prune(dangling),
    ):
        if prune is None:
            continue
        try:
            doc = prune()
        except APIError as exc:
            print(f"Error response from daemon: {exc.message}", file=sys.stderr)
            continue
        total += doc.get("SpaceReclaimed", 0) or 0
    from dockyard.common.humanize import human_size

    print(f"Total reclaimed space: {human_size(total)}")
    return 0
