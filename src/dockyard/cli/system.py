"""events, system df, system prune, system check."""

from __future__ import annotations

import sys
from typing import Any

from .common import APIError, CLIError, Context, parser
from .shared import parse_filters, print_deleted

_EVENT_FIELDS = {  # events.Message: Go field -> json key, in field order
    "Status": "status",
    "ID": "id",
    "From": "from",
    "Type": "Type",
    "Action": "Action",
    "Actor": "Actor",
    "Scope": "scope",
    "Time": "time",
    "TimeNano": "timeNano",
}


def event_data(event: dict[str, Any]) -> Any:
    """What `events --format` sees: Docker's events.Message ({{.ID}}, {{.Time}}, ...)."""
    from .gofmt import GoRecord

    actor = event.get("Actor") or {}
    fields = {go: event.get(key) for go, key in _EVENT_FIELDS.items()}
    for go in ("Status", "ID", "From", "Type", "Action", "Scope"):
        fields[go] = fields[go] or ""
    fields["Time"], fields["TimeNano"] = fields["Time"] or 0, fields["TimeNano"] or 0
    fields["Actor"] = GoRecord(
        {"ID": actor.get("ID", ""), "Attributes": dict(sorted((actor.get("Attributes") or {}).items()))},
        "events.Actor",
    )
    omit = ("Status", "ID", "From", "Scope", "Time", "TimeNano")
    return GoRecord(fields, "*events.Message", _EVENT_FIELDS, omit)


def events(ctx: Context, argv: list[str]) -> int:
    from .inspect import time_arg

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
    tmpl = None
    if args.format:
        from .gotemplate import TemplateError, compile_template

        try:
            tmpl = compile_template("{{json .}}" if args.format == "json" else args.format)
            tmpl.execute(event_data({}))  # Docker tries it on an empty message first
        except TemplateError as exc:
            raise CLIError(f"Error parsing format: {exc}", 64) from None
    stream = ctx.api.system.events(time_arg(args.since), time_arg(args.until), filters)
    try:
        for event in stream:
            if tmpl is not None:
                try:
                    print(tmpl.execute(event_data(event)), flush=True)
                except TemplateError as exc:
                    raise CLIError(f"Error parsing format: {exc}", 64) from None  # as Docker
                continue
            print(_event_line(event), flush=True)
    except KeyboardInterrupt:
        return 0
    return 0


def _event_line(event: dict[str, Any]) -> str:
    """Docker's line: RFC 3339 with all nine digits (RFC3339NanoFixed), Z in UTC."""
    import datetime

    attrs = event["Actor"].get("Attributes", {})
    attr_text = ", ".join(f"{k}={v}" for k, v in sorted(attrs.items()))
    nanos = int(event.get("timeNano") or int(event.get("time") or 0) * 10**9)
    ts = datetime.datetime.fromtimestamp(nanos // 10**9).astimezone()
    offset = ts.strftime("%z")
    zone = "Z" if offset == "+0000" else f"{offset[:3]}:{offset[3:]}"
    stamp = f"{ts.strftime('%Y-%m-%dT%H:%M:%S')}.{nanos % 10**9:09d}{zone}"
    return f"{stamp} {event['Type']} {event['Action']} {event['Actor']['ID']} ({attr_text})"


def df(ctx: Context, argv: list[str]) -> int:
    p = parser("system df")
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument("--format")
    args = p.parse_args(argv)
    doc = ctx.api.system.df()
    if args.verbose:
        print(_df_verbose(doc), end="")
        return 0
    from .inspect import print_list

    print_list(df_rows(doc), args.format, "df")
    return 0


def _share(part: int, whole: int) -> str:
    """Docker's RECLAIMABLE cell: the size, with its share when there is a whole."""
    from dockyard.common.humanize import human_size

    return f"{human_size(part)} ({part * 100 // whole}%)" if whole > 0 else human_size(part)


def df_rows(doc: dict[str, Any]) -> list[dict[str, str]]:
    """`system df`'s four rows (images, containers, local volumes, build cache) as Docker's
    diskUsageContext computes them."""
    from dockyard.common.humanize import human_size

    images = doc.get("Images") or []
    containers = doc.get("Containers") or []
    volumes = doc.get("Volumes") or []
    cache = doc.get("BuildCache") or []
    layers = doc.get("LayersSize", 0) or 0
    used = sum(
        i.get("Size", 0) - i.get("SharedSize", 0)
        for i in images
        if i.get("Containers", 0) != 0 and -1 not in (i.get("Size", 0), i.get("SharedSize", 0))
    )
    active = [c for c in containers if c.get("State") in ("running", "paused")]
    ctr_size = sum(c.get("SizeRw", 0) or 0 for c in containers)
    ctr_active = sum(c.get("SizeRw", 0) or 0 for c in active)
    usage = [v.get("UsageData") or {} for v in volumes]
    vol_size = sum(u.get("Size", 0) for u in usage if u.get("Size", 0) != -1)
    vol_free = sum(u.get("Size", 0) for u in usage if u.get("RefCount", 0) == 0 and u.get("Size", 0) != -1)
    cache_size = doc.get("BuilderSize") or sum(b.get("Size", 0) for b in cache if not b.get("Shared"))
    cache_used = sum(b.get("Size", 0) for b in cache if b.get("InUse") and not b.get("Shared"))

    def row(kind: str, total: int, n_active: int, size: int, reclaimable: str) -> dict[str, str]:
        return {"Type": kind, "TotalCount": str(total), "Active": str(n_active),
                "Size": human_size(size), "Reclaimable": reclaimable}  # fmt: skip

    return [
        row("Images", len(images), sum(1 for i in images if i.get("Containers", 0) > 0),
            layers, _share(layers - used, layers)),
        row("Containers", len(containers), len(active), ctr_size,
            _share(ctr_size - ctr_active, ctr_size)),
        row("Local Volumes", len(volumes), sum(1 for u in usage if u.get("RefCount", 0) > 0),
            vol_size, _share(vol_free, vol_size)),
        row("Build Cache", len(cache), sum(1 for b in cache if b.get("InUse")), cache_size,
            human_size(cache_size - cache_used)),
    ]  # fmt: skip


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
    filters = parse_filters(args.filter)
    images = dict(filters or {})
    images["dangling"] = {"false" if args.all else "true": True}
    for title, key, prune in (
        ("Containers", "ContainersDeleted", lambda: api.containers.prune(filters)),
        ("Networks", "NetworksDeleted", lambda: api.networks.prune(filters)),
        ("Volumes", "VolumesDeleted", lambda: api.volumes.prune(filters) if args.volumes else {}),
        ("Images", "ImagesDeleted", lambda: api.images.prune(images)),
    ):
        try:
            doc = prune()
        except APIError as exc:
            print(f"Error response from daemon: {exc.message}", file=sys.stderr)
            continue
        names = doc.get(key) or []
        if key == "ImagesDeleted":
            names = [
                f"{verb.lower()}: {item[verb]}"
                for item in names
                for verb in ("Untagged", "Deleted")
                if item.get(verb)
            ]
        print_deleted(title, names)
        total += doc.get("SpaceReclaimed", 0) or 0
    from dockyard.common.humanize import human_size

    print(f"Total reclaimed space: {human_size(total)}")
    return 0


def check(ctx: Context, argv: list[str]) -> int:
    """dockyard's own, like `git fsck`: the image store (blobs against their digests,
    layers, tags), the containers against the runtime, monitors, mounts and cgroups, and
    the network objects on the host (namespaces, veths, addresses, nft rules, stray bridge
    addresses); --repair fixes what it can. Exit 1 while problems remain."""
    p = parser("system check")
    p.add_argument("--repair", action="store_true", help="fix what is found")
    args = p.parse_args(argv)
    problems = ctx.api.system.check(args.repair)
    for item in problems:
        done = " (repaired)" if item["Repaired"] else ""
        print(f"{item['Resource']}: {item['Problem']}{done}")
    if not problems:
        print("no problems found")
    return 1 if any(not item["Repaired"] for item in problems) else 0
