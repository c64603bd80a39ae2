"""Docker's list output: `--format` resolution, table headers and tabwriter alignment.

    out = render_listing("container", rows, fmt=args.format, quiet=args.quiet)

Rows are flat dicts of display strings (what Docker's formatter contexts return:
"ID", "Image", "RunningFor", ...); a callable value acts as a method
(`{{.Label "x"}}`). Tables go through a copy of Go's text/tabwriter with
Docker's settings (minwidth 10, tabwidth 1, padding 3, padchar ' ', no flags).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

TABLE = "table"
RAW = "raw"
JSON = "json"
QUIET_FORMAT = "{{.ID}}"
JSON_FORMAT = "{{json .}}"

# --- headers (docker/cli formatter contexts) ------------------------------------

CONTAINER_HEADERS = {
    "ID": "CONTAINER ID",
    "Names": "NAMES",
    "Image": "IMAGE",
    "Command": "COMMAND",
    "CreatedAt": "CREATED AT",
    "RunningFor": "CREATED",
    "Ports": "PORTS",
    "State": "STATE",
    "Status": "STATUS",
    "Size": "SIZE",
    "Labels": "LABELS",
    "Mounts": "MOUNTS",
    "LocalVolumes": "LOCAL VOLUMES",
    "Networks": "NETWORKS",
    "Platform": "PLATFORM",
    "HealthStatus": "HEALTH STATUS",
}
IMAGE_HEADERS = {
    "ID": "IMAGE ID",
    "Repository": "REPOSITORY",
    "Tag": "TAG",
    "Digest": "DIGEST",
    "CreatedSince": "CREATED",
    "CreatedAt": "CREATED AT",
    "Size": "SIZE",
    "Containers": "CONTAINERS",
    "SharedSize": "SHARED SIZE",
    "UniqueSize": "UNIQUE SIZE",
}
VOLUME_HEADERS = {
    "ID": "ID",
    "Name": "VOLUME NAME",
    "Group": "GROUP",
    "Driver": "DRIVER",
    "Scope": "SCOPE",
    "Availability": "AVAILABILITY",
    "Mountpoint": "MOUNTPOINT",
    "Labels": "LABELS",
    "Links": "LINKS",
    "Size": "SIZE",
    "Status": "STATUS",
}
NETWORK_HEADERS = {
    "ID": "NETWORK ID",
    "Name": "NAME",
    "Driver": "DRIVER",
    "Scope": "SCOPE",
    "IPv4": "IPV4",
    "IPv6": "IPV6",
    "Internal": "INTERNAL",
    "Labels": "LABELS",
    "CreatedAt": "CREATED AT",
}
HISTORY_HEADERS = {
    "ID": "IMAGE",
    "CreatedSince": "CREATED",
    "CreatedAt": "CREATED AT",
    "CreatedBy": "CREATED BY",
    "Size": "SIZE",
    "Comment": "COMMENT",
}
STATS_HEADERS = {
    "Container": "CONTAINER",
    "Name": "NAME",
    "ID": "CONTAINER ID",
    "CPUPerc": "CPU %",
    "MemUsage": "MEM USAGE / LIMIT",
    "MemPerc": "MEM %",
    "NetIO": "NET I/O",
    "BlockIO": "BLOCK I/O",
    "PIDs": "PIDS",
}
DIFF_HEADERS = {"Type": "CHANGE TYPE", "Path": "PATH"}
SEARCH_HEADERS = {
    "Name": "NAME",
    "Description": "DESCRIPTION",
    "StarCount": "STARS",
    "IsOfficial": "OFFICIAL",
}
DISK_USAGE_HEADERS = {
    "Type": "TYPE",
    "TotalCount": "TOTAL",
    "Active": "ACTIVE",
    "Size": "SIZE",
    "Reclaimable": "RECLAIMABLE",
}
BUILD_CACHE_HEADERS = {
    "ID": "CACHE ID",
    "Parent": "PARENT",
    "CacheType": "CACHE TYPE",
    "Size": "SIZE",
    "CreatedSince": "CREATED",
    "LastUsedSince": "LAST USED",
    "UsageCount": "USAGE",
    "InUse": "IN USE",
    "Shared": "SHARED",
    "Description": "DESCRIPTION",
}
CONTEXT_HEADERS = {
    "Name": "NAME",
    "Description": "DESCRIPTION",
    "DockerEndpoint": "DOCKER ENDPOINT",
    "Error": "ERROR",
}


class Listing:
    """How one list command formats: headers, default table, quiet and raw formats."""

    __slots__ = ("headers", "table", "quiet", "raw", "raw_quiet", "type_name")

    def __init__(
        self,
        headers: Mapping[str, str],
        table: str,
        quiet: str | None = QUIET_FORMAT,
        raw: str | None = None,
        raw_quiet: str | None = None,
        type_name: str = "struct",
    ) -> None:
        self.headers, self.table, self.quiet = headers, table, quiet
        self.raw, self.raw_quiet = raw, raw_quiet
        # Go type named by "can't evaluate field X in type ..." errors.
        self.type_name = type_name


_CONTAINER_RAW = (
    "container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\n"
    "created_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\n"
    "names: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n"
)
_IMAGE_RAW = (
    "repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\n"
    "created_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n"
)
_IMAGE_RAW_DIGEST = (
    "repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\n"
    "created_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n"
)
_IMAGE_TABLE = (
    "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t"
    "{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}"
)
_IMAGE_TABLE_DIGEST = (
    "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t"
    "{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}"
)

LISTINGS: dict[str, Listing] = {
    "container": Listing(
        CONTAINER_HEADERS,
        "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}",
        raw=_CONTAINER_RAW,
        raw_quiet="container_id: {{.ID}}",
    ),
    "image": Listing(IMAGE_HEADERS, _IMAGE_TABLE, raw=_IMAGE_RAW, raw_quiet="image_id: {{.ID}}"),
    "volume": Listing(
        VOLUME_HEADERS,
        "table {{.Driver}}\t{{.Name}}",
        quiet="{{.Name}}",
        raw="name: {{.Name}}\\ndriver: {{.Driver}}\\n",
        raw_quiet="name: {{.Name}}",
    ),
    "network": Listing(
        NETWORK_HEADERS,
        "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
        raw="network_id: {{.ID}}\\nname: {{.Name}}\\ndriver: {{.Driver}}\\nscope: {{.Scope}}\\n",
        raw_quiet="network_id: {{.ID}}",
    ),
    "history": Listing(
        HISTORY_HEADERS,
        "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
    ),
    "stats": Listing(
        STATS_HEADERS,
        "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}",
        quiet=None,
    ),
    "diff": Listing(DIFF_HEADERS, "table {{.Type}}\t{{.Path}}", quiet=None),
    "search": Listing(
        SEARCH_HEADERS,
        "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}",
        quiet=None,
    ),
    "df": Listing(
        DISK_USAGE_HEADERS,
        "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
        quiet=None,
        raw="type: {{.Type}}\ntotal: {{.TotalCount}}\nactive: {{.Active}}\n"
        "size: {{.Size}}\nreclaimable: {{.Reclaimable}}\n",
    ),
    "buildcache": Listing(
        BUILD_CACHE_HEADERS,
        "table {{.ID}}\t{{.Type}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}"
        "\t{{.UsageCount}}\t{{.Shared}}\t{{.Description}}",
    ),
    "context": Listing(
        CONTEXT_HEADERS,
        "table {{.Name}}{{if .Current}} *{{end}}\t{{.Description}}\t{{.DockerEndpoint}}\t{{.Error}}",
        quiet="{{.Name}}",
    ),
}

_TYPE_NAMES = {
    "container": "*formatter.ContainerContext",
    "image": "*formatter.imageContext",
    "volume": "*formatter.volumeContext",
    "network": "*network.networkContext",
    "history": "*image.historyContext",
    "stats": "*container.statsContext",
    "diff": "*container.diffContext",
    "search": "*registry.searchContext",
    "df": "*formatter.diskUsageImagesContext",  # the first row, where a bad field fails
    "buildcache": "*formatter.buildCacheContext",
    "context": "*context.clientContextContext",
}
for _kind, _name in _TYPE_NAMES.items():
    LISTINGS[_kind].type_name = _name

# What `docker diff` prints when no --format is given (not a table).
DIFF_DEFAULT_FORMAT = "{{.Type}} {{.Path}}"
# `docker history --human=false`.
HISTORY_NON_HUMAN_TABLE = "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"


def resolve_format(
    kind: str,
    source: str | None,
    *,
    quiet: bool = False,
    size: bool = False,
    digest: bool = False,
    human: bool = True,
) -> str:
    """The format Docker uses for `kind` given --format, -q, -s, --digests, --human.

    "" and "table" mean the default table; "raw" the key: value listing; "json"
    one JSON object per line; anything else is the user's template.
    """
    spec = LISTINGS[kind]
    src = source or TABLE
    if src == TABLE:
        if quiet and spec.quiet:
            return spec.quiet
        if kind == "container" and size:
            return spec.table + "\t{{.Size}}"
        if kind == "image" and digest:
            return _IMAGE_TABLE_DIGEST
        if kind == "history" and not human:
            return HISTORY_NON_HUMAN_TABLE
        return spec.table
    if src == RAW and spec.raw is not None:
        if quiet and spec.raw_quiet:
            return spec.raw_quiet
        if kind == "image" and digest:
            return _IMAGE_RAW_DIGEST
        if kind == "container" and size:
            return spec.raw + "size: {{.Size}}\\n"
        return spec.raw
    if kind == "container" and quiet:
        # docker ps warns "Ignoring custom format, because both --format and --quiet are set."
        return QUIET_FORMAT
    if kind == "image" and digest and is_table(src) and "{{.Digest}}" not in src:
        return src + "\t{{.Digest}}"
    return src


# --- rendering -------------------------------------------------------------------


def is_table(fmt: str) -> bool:
    """Docker's Format.IsTable: any format starting with "table"."""
    return fmt.startswith(TABLE)


def template_string(fmt: str) -> str:
    """Docker's Format.templateString: strip "table", trim spaces, expand \\t and \\n."""
    if fmt == TABLE:
        return ""
    if fmt == JSON:
        return JSON_FORMAT
    if fmt.startswith(TABLE):
        fmt = fmt[len(TABLE) :]
    fmt = fmt.strip(" ")
    return fmt.replace("\\t", "\t").replace("\\n", "\n")


def label_header(name: str) -> str:
    """Header for `{{.Label "com.example.my-key"}}`: the last dotted part, - and _ as spaces."""
    return name.split(".")[-1].replace("-", " ").replace("_", " ")


def header_context(headers: Mapping[str, str]) -> dict[str, Any]:
    """The data a table's header row is rendered from (Docker's SubHeaderContext)."""
    ctx: dict[str, Any] = dict(headers)
    ctx["Label"] = label_header
    return ctx


def render(
    rows: Iterable[Mapping[str, Any]],
    fmt: str,
    headers: Mapping[str, str],
    type_name: str | None = None,
) -> str:
    """Format rows with a Docker format string; tables get a header row and alignment.

    With `type_name` the rows act as Docker's formatter contexts (Go structs):
    unknown fields are errors and `{{json .}}` is sorted and HTML-escaped.
    Raises TemplateError("template parsing error: ...") as the docker CLI reports it.
    """
    src = template_string(fmt)
    rows = list(rows)
    if is_table(fmt):
        plain = _plain_table(rows, src, headers)
        if plain is not None:
            return plain
    from dockyard.cli.gofmt import GoStruct
    from dockyard.cli.gotemplate import HEADER_FUNCS, TemplateError, compile_template

    try:
        tmpl = compile_template(src)
    except TemplateError as e:
        raise TemplateError(f"template parsing error: {e}") from None
    out: list[str] = []
    for row in rows:
        data = GoStruct(row, type_name) if type_name else row
        try:
            out.append(tmpl.execute(data))
        except TemplateError as e:
            raise TemplateError(f"template parsing error: {e}") from None
        out.append("\n")
    if not is_table(fmt):
        return "".join(out)
    header = tmpl.execute_partial(header_context(headers), HEADER_FUNCS)
    return tabwrite(header + "\n" + "".join(out))


def _plain_cell(cell: str) -> tuple[str, str | None] | None:
    """`{{.Field}}` -> (Field, None); `{{if .Field }}{{.Field}}{{else}}TEXT{{end}}` (the
    images table's CREATED) -> (Field, TEXT); None for anything else."""
    if cell.startswith("{{if ."):
        name = cell[6:].split(" }}", 1)[0]
        head = f"{{{{if .{name} }}}}{{{{.{name}}}}}{{{{else}}}}"
        text = cell[len(head) : -len("{{end}}")]
        if not (cell.startswith(head) and cell.endswith("{{end}}") and "{{" not in text):
            return None
        return (name, text) if name.isidentifier() else None
    name = cell[3:-2]
    if cell.startswith("{{.") and cell.endswith("}}") and name.isidentifier():
        return name, None
    return None


def _plain_table(
    rows: Iterable[Mapping[str, Any]], src: str, headers: Mapping[str, str]
) -> str | None:
    """A table whose cells are only `{{.Field}}` of text fields (every default table), set
    without the template engine; None when the format or a value asks for more."""
    fields = []
    for cell in src.split("\t"):
        field = _plain_cell(cell)
        if field is None or field[0] not in headers:
            return None
        fields.append(field)
    lines = ["\t".join(headers[name] for name, _ in fields)]
    for row in rows:
        cells = []
        for name, text in fields:
            value = row.get(name)
            if not isinstance(value, str):
                return None
            cells.append(text if text is not None and not value else value)
        lines.append("\t".join(cells))
    return tabwrite("\n".join(lines) + "\n")


def check_format(kind: str, fmt: str) -> set[str]:
    """docker ps's up-front check of --format; returns the fields it reads.

    Like Docker it parses the text as given ("table" prefix included), raising
    TemplateError("failed to parse template: ...") or ("failed to execute
    template: ..."). `"Size" in check_format("container", f)` tells ps to ask
    the daemon for sizes.
    """
    from dockyard.cli.gofmt import GoStruct
    from dockyard.cli.gotemplate import TemplateError, compile_template

    try:
        tmpl = compile_template(fmt)
    except TemplateError as e:
        raise TemplateError(f"failed to parse template: {e}") from None
    spec = LISTINGS[kind]
    probe = GoStruct(dict.fromkeys(spec.headers, ""), spec.type_name)
    probe["Label"] = lambda _name: ""
    try:
        tmpl.execute(probe)
    except TemplateError as e:
        raise TemplateError(f"failed to execute template: {e}") from None
    return tmpl.fields()


def render_listing(
    kind: str,
    rows: Iterable[Mapping[str, Any]],
    fmt: str | None = None,
    *,
    quiet: bool = False,
    size: bool = False,
    digest: bool = False,
    human: bool = True,
) -> str:
    """Render a list command's rows exactly as `docker <kind> ls` would print them."""
    resolved = resolve_format(kind, fmt, quiet=quiet, size=size, digest=digest, human=human)
    spec = LISTINGS[kind]
    return render(rows, resolved, spec.headers, spec.type_name)


# --- cell helpers (docker/cli formatter/displayutils) ----------------------------


def truncate_id(value: str) -> str:
    """stringid.TruncateID: drop a "sha256:" style prefix, keep 12 characters."""
    return value.split(":", 1)[-1][:12]


def _char_width(c: str) -> int:
    import unicodedata

    return 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1


def ellipsis(s: str, max_width: int) -> str:
    """Docker's Ellipsis: cut to `max_width` display cells, ending in "…" when cut."""
    if max_width <= 0:
        return ""
    if max_width == 1:
        return s[:1]
    if s.isascii():
        return s if len(s) <= max_width else s[: max_width - 1] + "…"
    total = 0
    cut = None
    for i, c in enumerate(s):
        total += _char_width(c)
        if cut is None and total > max_width - 1:
            cut = i
    if total <= max_width or not cut:
        return s
    return s[:cut] + "…"


# --- text/tabwriter ----------------------------------------------------------------


def text_width(s: str) -> int:
    """Terminal cells of s, as go-runewidth counts them (wide CJK = 2, combining = 0)."""
    if s.isascii():
        return len(s)
    import unicodedata

    w = 0
    for c in s:
        if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf", "Cc"):
            continue
        w += 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
    return w


def tabwrite(
    text: str,
    minwidth: int = 10,
    tabwidth: int = 1,
    padding: int = 3,
    padchar: str = " ",
    align_right: bool = False,
) -> str:
    """Go's text/tabwriter over a whole text: tab-terminated cells become aligned columns.

    Defaults are Docker's `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`. Column
    blocks are runs of adjacent lines that have a cell in that column; the text
    after a line's last tab is not part of any column.
    """
    raw_lines = text.split("\n")
    lines: list[list[str]] = [ln.split("\t") for ln in raw_lines[:-1]]
    last = raw_lines[-1]
    lines.append(last.split("\t") if last else [])
    widths_cache = [[text_width(c) for c in ln] for ln in lines]
    out: list[str] = []
    widths: list[int] = []
    use_tabs = padchar == "\t"

    def pad(textw: int, cellw: int) -> None:
        if use_tabs:
            # Go pads with tabs rounded to tabwidth cells.
            if tabwidth == 0:
                return
            cellw = (cellw + tabwidth - 1) // tabwidth * tabwidth
            n = cellw - textw
            out.append("\t" * ((n + tabwidth - 1) // tabwidth))
        else:
            out.append(padchar * (cellw - textw))

    def write_lines(line0: int, line1: int) -> None:
        for i in range(line0, line1):
            line, ws = lines[i], widths_cache[i]
            for j, cell in enumerate(line):
                if not cell:
                    if j < len(widths):
                        pad(ws[j], widths[j])
                elif not align_right:
                    out.append(cell)
                    if j < len(widths):
                        pad(ws[j], widths[j])
                else:
                    if j < len(widths):
                        pad(ws[j], widths[j])
                    out.append(cell)
            if i + 1 < len(lines):
                out.append("\n")

    def fmt(line0: int, line1: int) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write_lines(line0, this)
            line0 = this
            width = minwidth
            while this < line1:
                line = lines[this]
                if column >= len(line) - 1:
                    break
                w = widths_cache[this][column]
                if w + padding > width:
                    width = w + padding
                this += 1
            widths.append(width)
            fmt(line0, this)
            widths.pop()
            line0 = this
        write_lines(line0, line1)

    fmt(0, len(lines))
    return "".join(out)
