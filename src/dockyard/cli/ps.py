"""`ps`: the container list and its columns (PORTS ranges, COMMAND quoting, sizes)."""

from __future__ import annotations

import sys
import time

from ..common.humanize import ago as since
from ..common.humanize import human_size
from ..common.timefmt import go_time_string as go_time
from .errors import CLIError
from .quickargs import switches_only
from .shared import ellipsis, parse_filters, short_id

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from typing import Any

    from .context import Context


def go_quote(text: str) -> str:
    """strconv.Quote for the COMMAND column."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'  # nothing to escape (the common case)
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


# the fields of the default table (and of its -s form)
TABLE_FIELDS = frozenset({"ID", "Image", "Command", "RunningFor", "Status", "Ports", "Names",
                          "Size"})  # fmt: skip


def container_row(
    c: dict[str, Any], trunc: bool = True, now: float | None = None, table_only: bool = False
) -> dict[str, Any]:
    """API container summary -> the fields docker's --format templates see (only those of
    TABLE_FIELDS with `table_only`: the default table reads no more)."""
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
    size_rw = c.get("SizeRw") or 0
    size_root = c.get("SizeRootFs") or 0
    size = human_size(size_rw, 3)
    if size_root > 0:
        size = f"{size} (virtual {human_size(size_root, 3)})"
    row = {
        "Command": go_quote(command),
        "ID": c.get("Id", "") if not trunc else short_id(c.get("Id", "")),
        "Image": image,
        "Names": ",".join(names),
        "Ports": display_ports(c.get("Ports") or []),
        "RunningFor": since(created, now),
        "Size": size,
        "State": c.get("State", ""),
        "Status": c.get("Status", ""),
    }
    if table_only:
        return row
    labels = c.get("Labels") or {}
    mounts = []
    for m in c.get("Mounts") or []:
        name = m.get("Name") or m.get("Source") or ""
        mounts.append(ellipsis(name, 15) if trunc else name)
    networks = sorted(((c.get("NetworkSettings") or {}).get("Networks") or {}).keys())
    platform = c.get("ImageManifestDescriptor")
    # added after the table's fields: the order is not seen (Go's formatter sorts them)
    row.update(
        {
            "CreatedAt": go_time(created),
            "Labels": ",".join(f"{k}={v}" for k, v in labels.items()),
            "LocalVolumes": str(
                sum(1 for m in c.get("Mounts") or [] if m.get("Driver") == "local")
            ),
            "Mounts": ",".join(mounts),
            "Networks": ",".join(networks),
            "Platform": platform.get("platform") if platform else None,
            "Label": lambda key: labels.get(key, ""),
        }
    )
    return row


_SWITCHES = {"-a": "all", "--all": "all", "-l": "latest", "--latest": "latest",
             "--no-trunc": "no_trunc", "-q": "quiet", "--quiet": "quiet", "-s": "size",
             "--size": "size"}  # fmt: skip


def _parse(argv: list[str]) -> Any:
    quick = switches_only(argv, _SWITCHES)
    if quick is not None and not quick[1]:
        args = quick[0]
        args.filter, args.format, args.last = [], None, -1  # type: ignore[attr-defined]
        return args
    from .common import parser

    p = parser("ps", usage="dockyard ps [OPTIONS]")
    p.add_argument("-a", "--all", action="store_true")
    p.add_argument("-f", "--filter", action="append", default=[])
    p.add_argument("--format")
    p.add_argument("-n", "--last", type=int, default=-1)
    p.add_argument("-l", "--latest", action="store_true")
    p.add_argument("--no-trunc", action="store_true")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("-s", "--size", action="store_true")
    return p.parse_args(argv)


def ps(ctx: Context, argv: list[str]) -> int:
    from ..common.dockerconfig import default_format

    args = _parse(argv)
    last = 1 if args.latest and args.last == -1 else args.last
    fmt = args.format or default_format("psFormat")
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
    rows = [container_row(c, trunc, now, table_only=not fmt) for c in containers]
    if fmt:
        from .inspect import print_list

        print_list(rows, fmt, "container", size=args.size)
        return 0
    from .tables import render_listing  # the default table needs no template engine

    sys.stdout.write(render_listing("container", rows, None, size=args.size))
    return 0
