"""`inspect` for every object type, and the --format rendering list commands share.

Docker renders lists through one formatter: `table` formats get a header row made by
running the same template over a map of column titles, then a tabwriter aligns the
cells (min width 10, padding 3); other formats print one template result per row.
"""

from __future__ import annotations

import sys

from ..client.api import APIError
from .errors import CLIError
from .quickargs import switches_only

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from typing import Any

    from .context import Context

# --- formatting shared by list commands -------------------------------------------------


def _template(fmt: str) -> Any:
    from .gotemplate import TemplateError, compile_template

    try:
        return compile_template(fmt)
    except TemplateError as exc:
        raise CLIError(f"template parsing error: {exc}", 1) from None


def _unescape(fmt: str) -> str:
    # users type `\t` in shell quotes; docker turns the two characters into a tab
    return fmt.replace("\\t", "\t").replace("\\n", "\n")


def _run(tmpl: Any, data: Any) -> str:
    from .gotemplate import TemplateError

    try:
        return tmpl.execute(data)
    except TemplateError as exc:
        raise CLIError(f"template: {exc}", 1) from None


def render_list(rows: list[dict[str, Any]], fmt: str | None, kind: str, **opts: Any) -> str:
    """Rows -> what `docker <kind> ls --format fmt` prints (cli/tables does the work)."""
    from .tables import render_listing

    try:
        return render_listing(kind, rows, fmt, **opts)
    except Exception as exc:
        from .gotemplate import TemplateError  # the default tables need no template engine

        if not isinstance(exc, TemplateError):
            raise
        raise CLIError(str(exc), 1) from None


_CONFIG_FORMAT_KEYS = {
    "container": "psFormat",
    "image": "imagesFormat",
    "network": "networksFormat",
    "volume": "volumesFormat",
    "stats": "statsFormat",
}


def config_format(kind: str) -> str | None:
    """The default format a user set in ~/.docker/config.json (psFormat, imagesFormat, ...)."""
    from dockyard.common.dockerconfig import default_format

    key = _CONFIG_FORMAT_KEYS.get(kind)
    return default_format(key) if key else None


def print_list(rows: list[dict[str, Any]], fmt: str | None, kind: str, **opts: Any) -> None:
    if not fmt:
        fmt = config_format(kind)
    sys.stdout.write(render_list(rows, fmt, kind, **opts))


def tabwrite(lines: list[str], minwidth: int = 10, padding: int = 3) -> str:
    from .tables import tabwrite as go_tabwrite

    return go_tabwrite("\n".join(lines) + "\n", minwidth=minwidth, padding=padding).rstrip("\n")


def natural_key(text: str) -> list[Any]:
    """sortorder.NaturalLess: digit runs compare as numbers ("net9" < "net10")."""
    import re

    parts = re.findall(r"\d+|\D+", text)
    return [(0, int(x), "") if x.isdigit() else (1, 0, x) for x in parts]


def dumps(data: Any) -> str:
    """Docker's inspect JSON: 4-space indent, no HTML escaping, non-ASCII kept."""
    from ..common.leanjson import dumps_indented

    return dumps_indented(data)


def print_objects(objs: list[Any], fmt: str | None) -> None:
    if fmt == "json":
        fmt = None
    if fmt:
        from .gotemplate import TemplateError, compile_template

        try:
            tmpl = compile_template(_unescape(fmt))
        except TemplateError as exc:
            raise CLIError(f"template parsing error: {exc}", 64) from None
        for obj in objs:
            try:
                print(tmpl.execute_inspect(obj))
            except TemplateError as exc:
                print()  # docker ends the partial line before reporting
                raise CLIError(f"template parsing error: {exc}", 1) from None
    else:
        print(dumps(objs))


# --- inspect ------------------------------------------------------------------------------

_TYPES = ("container", "image", "network", "volume")


def _fetch(ctx: Context, kind: str, name: str, size: bool) -> Any:
    if kind == "container":
        return ctx.api.containers.inspect(name, size)
    if kind == "image":
        return ctx.api.images.inspect(name)
    if kind == "network":
        return ctx.api.networks.inspect(name)
    return ctx.api.volumes.inspect(name)


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
    from .common import parser

    p = parser(command)
    p.add_argument("-f", "--format")
    if with_size:
        p.add_argument("-s", "--size", action="store_true")
    if with_type:
        p.add_argument("--type", choices=None)
    p.add_argument("names", nargs="+", metavar="NAME")
    return p


def quick_inspect_args(argv: list[str], with_size: bool, with_type: bool) -> Any:
    """The namespace _inspect_parser gives for a plain line (flags, then names), or None."""
    switches = {"-s": "size", "--size": "size"} if with_size else {}
    values = {"-f": "format", "--format": "format"}
    if with_type:
        values["--type"] = "type"
    quick = switches_only(argv, switches, values=values)
    if quick is None or not quick[1]:
        return None
    args, names = quick
    args.names = names  # type: ignore[attr-defined]
    return args


def inspect_args(command: str, argv: list[str], with_size: bool, with_type: bool) -> Any:
    args = quick_inspect_args(argv, with_size, with_type)
    if args is None:
        args = _inspect_parser(command, with_size, with_type).parse_args(argv)
    return args


def inspect(ctx: Context, argv: list[str]) -> int:
    args = inspect_args("inspect", argv, True, True)
    if args.type and args.type not in _TYPES:
        kinds = ("config", "container", "image", "network", "node", "plugin", "secret")
        kinds += ("service", "task", "volume")
        choices = ", ".join(f'"{k}"' for k in kinds)
        raise CLIError(f'unknown type: "{args.type}": must be one of {choices}', 1)
    return inspect_objects(ctx, args.type, args.names, args.format, args.size)


def container_inspect(ctx: Context, argv: list[str]) -> int:
    args = inspect_args("container inspect", argv, True, False)
    return inspect_objects(ctx, "container", args.names, args.format, args.size)


def image_inspect(ctx: Context, argv: list[str]) -> int:
    args = inspect_args("image inspect", argv, False, False)
    return inspect_objects(ctx, "image", args.names, args.format)


def network_inspect(ctx: Context, argv: list[str]) -> int:
    p = _inspect_parser("network inspect", False, False)
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    return inspect_objects(ctx, "network", args.names, args.format)


def volume_inspect(ctx: Context, argv: list[str]) -> int:
    args = inspect_args("volume inspect", argv, False, False)
    return inspect_objects(ctx, "volume", args.names, args.format)


# --- human units: re-exported from cli/humanize for the command modules ----------------------


def human_size(size: float, precision: int = 4) -> str:
    from dockyard.common.humanize import human_size as hs

    return hs(size, precision)


def bytes_size(size: float) -> str:
    from dockyard.common.humanize import bytes_size as bs

    return bs(size)


def human_duration(seconds: float) -> str:
    from dockyard.common.humanize import human_duration as hd

    return hd(seconds)


def since(timestamp: float, now: float | None = None) -> str:
    """ "3 minutes ago" for a unix time, as the CREATED columns print it."""
    from dockyard.common.humanize import ago

    return ago(timestamp, now)


def go_time(timestamp: float) -> str:
    """Go's time.Time String() in local time: "2024-01-02 03:04:05 +0000 UTC"."""
    from dockyard.common.timefmt import go_time_string

    return go_time_string(timestamp)


def parse_rfc3339(text: str) -> float:
    from dockyard.common.timefmt import is_zero_time, parse_rfc3339_float

    return 0.0 if is_zero_time(text) else parse_rfc3339_float(text)


def time_arg(value: str | None, flag: str = "") -> str | None:
    """--since/--until: a duration ("10m") relative to now, RFC 3339 or a unix timestamp.

    A bad value exits 1 with Docker's text, prefixed `invalid value for "<flag>"` when
    `flag` is given (logs says which flag; events does not).
    """
    if not value:
        return value
    from dockyard.common.timefmt import get_timestamp

    try:
        return get_timestamp(value)
    except ValueError as exc:
        prefix = f'invalid value for "{flag}": ' if flag else ""
        raise CLIError(f"{prefix}{exc}", 1) from None
