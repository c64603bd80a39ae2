"""`inspect` for every object type, and the --format rendering list commands share.

Docker renders lists through one formatter: `table` formats get a header row made by
running the same template over a map of column titles, then a tabwriter aligns the
cells (min width 10, padding 3); other formats print one template result per row.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from .common import APIError, CLIError, Context, parser

# --- formatting shared by list commands -------------------------------------------------


def _template(fmt: str) -> Any:
    from .gotemplate import TemplateError, compile_template

    try:
        return compile_template(fmt)
    except TemplateError as exc:
        raise CLIError(f"template parsing error: {exc}", 1) from None


def execute(fmt: str, data: Any) -> str:
    from .gotemplate import TemplateError

    tmpl = _template(fmt)
    try:
        return tmpl.execute(data)
    except TemplateError as exc:
        raise CLIError(f"template: {exc}", 1) from None


def _unescape(fmt: str) -> str:
    # users type `\t` in shell quotes; docker turns the two characters into a tab
    return fmt.replace("\\t", "\t").replace("\\n", "\n")


def tabwrite(lines: list[str], minwidth: int = 10, padding: int = 3) -> str:
    """Go's text/tabwriter as Docker configures it: tab-terminated cells are aligned."""
    rows = [line.split("\t") for line in lines]
    widths: dict[int, int] = {}
    for cells in rows:
        for i, cell in enumerate(cells[:-1]):
            widths[i] = max(widths.get(i, minwidth), len(cell) + padding)
    out = []
    for cells in rows:
        parts = [cell.ljust(widths[i]) for i, cell in enumerate(cells[:-1])]
        parts.append(cells[-1])
        out.append("".join(parts))
    return "\n".join(out)


def render_list(
    rows: list[dict[str, Any]],
    fmt: str | None,
    default_table: str,
    headers: dict[str, str],
) -> str:
    """Rows (template data) -> the text `docker <x> ls --format fmt` prints (no final newline)."""
    fmt = fmt or "table"
    if fmt == "table":
        fmt = default_table
    elif fmt == "json":
        fmt = "{{json .}}"
    fmt = _unescape(fmt)
    if fmt.startswith("table"):
        body = fmt[len("table") :].lstrip(" ")
        tmpl = _template(body)
        lines = [_run(tmpl, headers)]
        lines.extend(_run(tmpl, row) for row in rows)
        return tabwrite("\n".join(lines).split("\n"))
    if fmt.strip() == "{{json .}}":
        return "\n".join(marshal_json(row) for row in rows)
    tmpl = _template(fmt)
    return "\n".join(_run(tmpl, row) for row in rows)


def marshal_json(row: dict[str, Any]) -> str:
    """A list row as `{{json .}}` prints it: Go's json.Marshal, which escapes <, > and &."""
    data = row.get("__json__") or {k: v for k, v in row.items() if not callable(v)}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(ch, esc)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def natural_key(text: str) -> list[Any]:
    """sortorder.NaturalLess: digit runs compare as numbers ("net9" < "net10")."""
    import re

    return [
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.findall(r"\d+|\D+", text)
    ]


def _run(tmpl: Any, data: Any) -> str:
    from .gotemplate import TemplateError

    try:
        return tmpl.execute(data)
    except TemplateError as exc:
        raise CLIError(f"template: {exc}", 1) from None


def print_list(
    rows: list[dict[str, Any]], fmt: str | None, default_table: str, headers: dict[str, str]
) -> None:
    text = render_list(rows, fmt, default_table, headers)
    if text or (fmt or "table").startswith("table"):
        print(text)


def dumps(data: Any) -> str:
    """Docker's inspect JSON: 4-space indent, no HTML escaping, non-ASCII kept."""
    return json.dumps(data, indent=4, ensure_ascii=False)


def print_objects(objs: list[Any], fmt: str | None) -> None:
    if fmt == "json":
        fmt = None
    if fmt:
        tmpl = _template(_unescape(fmt))
        for obj in objs:
            print(_run(tmpl, obj))
    else:
        print(dumps(objs))


# --- inspect ------------------------------------------------------------------------------

_TYPES = ("container", "image", "network", "volume")


def _fetch(ctx: Context, kind: str, name: str, size: bool) -> Any:
    from urllib.parse import quote

    ref = quote(name, safe="")
    if kind == "container":
        return ctx.client.get(f"/containers/{ref}/json", {"size": True} if size else None)
    if kind == "image":
        return ctx.client.get(f"/images/{ref}/json")
    if kind == "network":
        return ctx.client.get(f"/networks/{ref}")
    return ctx.client.get(f"/volumes/{ref}")


def inspect_objects(
    ctx: Context, kind: str | None, names: list[str], fmt: str | None, size: bool = False
) -> int:
    """Print found objects; report each missing one; exit 1 when any was missing."""
    found: list[Any] = []
    errors: list[str] = []
    for name in names:
        if kind:
            try:
                found.append(_fetch(ctx, kind, name, size))
            except APIError as exc:
                errors.append(f"Error response from daemon: {exc.message}")
            continue
        for candidate in _TYPES:
            try:
                found.append(_fetch(ctx, candidate, name, size))
                break
            except APIError as exc:
                if exc.status != 404:
                    errors.append(f"Error response from daemon: {exc.message}")
                    break
        else:
            errors.append(f"Error: No such object: {name}")
    if found or not fmt:
        print_objects(found, fmt)
    for err in errors:
        print(err, file=sys.stderr)
    return 1 if errors else 0


def _inspect_parser(command: str, with_size: bool, with_type: bool) -> Any:
    p = parser(command)
    p.add_argument("-f", "--format")
    if with_size:
        p.add_argument("-s", "--size", action="store_true")
    if with_type:
        p.add_argument("--type", choices=None)
    p.add_argument("names", nargs="+", metavar="NAME")
    return p


def inspect(ctx: Context, argv: list[str]) -> int:
    args = _inspect_parser("inspect", True, True).parse_args(argv)
    if args.type and args.type not in _TYPES:
        raise CLIError(f'"{args.type}" is not a valid value for --type', 1)
    return inspect_objects(ctx, args.type, args.names, args.format, args.size)


def container_inspect(ctx: Context, argv: list[str]) -> int:
    args = _inspect_parser("container inspect", True, False).parse_args(argv)
    return inspect_objects(ctx, "container", args.names, args.format, args.size)


def image_inspect(ctx: Context, argv: list[str]) -> int:
    args = _inspect_parser("image inspect", False, False).parse_args(argv)
    return inspect_objects(ctx, "image", args.names, args.format)


def network_inspect(ctx: Context, argv: list[str]) -> int:
    p = _inspect_parser("network inspect", False, False)
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    return inspect_objects(ctx, "network", args.names, args.format)


def volume_inspect(ctx: Context, argv: list[str]) -> int:
    args = _inspect_parser("volume inspect", False, False).parse_args(argv)
    return inspect_objects(ctx, "volume", args.names, args.format)


# --- human units (go-units), kept here until cli/humanize.py offers them -------------------

_DECIMAL = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
_BINARY = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")


def _go_g(value: float, precision: int) -> str:
    # Go's %.Ng and Python's agree except for the exponent form, which sizes never reach
    return f"{value:.{precision}g}"


def human_size(size: float, precision: int = 4) -> str:
    """units.HumanSizeWithPrecision: decimal units, `%.4g` by default ("4.26MB")."""
    i = 0
    while size >= 1000 and i < len(_DECIMAL) - 1:
        size /= 1000.0
        i += 1
    return _go_g(size, precision) + _DECIMAL[i]


def bytes_size(size: float) -> str:
    """units.BytesSize: binary units with `%.4g` ("1.5MiB")."""
    i = 0
    while size >= 1024 and i < len(_BINARY) - 1:
        size /= 1024.0
        i += 1
    return _go_g(size, 4) + _BINARY[i]


def human_duration(seconds: float) -> str:
    """units.HumanDuration ("Less than a second", "About a minute", "3 weeks")."""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"


def since(timestamp: float, now: float | None = None) -> str:
    """ "3 minutes ago" for a unix time, as the CREATED columns print it."""
    import time

    now = time.time() if now is None else now
    return human_duration(now - timestamp) + " ago"


def parse_rfc3339(text: str) -> float:
    """API timestamps ("2024-01-02T03:04:05.123456789Z") -> unix time; 0 for the zero time."""
    import datetime

    if not text or text.startswith("0001-01-01"):
        return 0.0
    main, _, frac = text.partition(".")
    tz = "Z"
    if frac:
        digits = "".join(c for c in frac if c.isdigit())
        tz = frac[len(digits) :] or "Z"
    else:
        for sep in ("Z", "+", "-"):
            idx = main.find(sep, 19)
            if idx != -1:
                main, tz = main[:idx], main[idx:]
                break
        digits = ""
    tz = "+00:00" if tz == "Z" else tz
    dt = datetime.datetime.fromisoformat(main + tz)
    return dt.timestamp() + (float("0." + digits) if digits else 0.0)


def go_time(timestamp: float) -> str:
    """Go's time.Time String() in local time: "2024-01-02 03:04:05 +0000 UTC"."""
    import datetime

    dt = datetime.datetime.fromtimestamp(int(timestamp)).astimezone()
    return dt.strftime("%Y-%m-%d %H:%M:%S %z ") + (dt.tzname() or "")


def time_arg(value: str | None) -> str | None:
    """--since/--until: a duration ("10m") relative to now, RFC 3339 or a unix timestamp."""
    if value is None or value == "":
        return value
    import re
    import time

    m = re.fullmatch(r"((?:\d+(?:\.\d+)?(?:h|m|s|ms|us|ns))+)", value)
    if m:
        total = 0.0
        units = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
        for num, unit in re.findall(r"(\d+(?:\.\d+)?)(h|ms|us|ns|m|s)", value):
            total += float(num) * units[unit]
        return f"{time.time() - total:.9f}"
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return value
    try:
        ts = parse_rfc3339(value if "T" in value else value + "T00:00:00Z")
    except ValueError:
        raise CLIError(f'invalid value for "since": {value!r}', 125) from None
    return f"{ts:.9f}"
