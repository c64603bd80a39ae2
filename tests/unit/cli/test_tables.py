"""Docker's list formatting; expected outputs were printed by the docker CLI (28.2)
against a stub daemon serving the same rows."""

from __future__ import annotations

import json

import pytest

from dockyard.cli.gotemplate import TemplateError
from dockyard.cli.tables import (
    check_format,
    ellipsis,
    header_context,
    label_header,
    render,
    render_listing,
    resolve_format,
    tabwrite,
    template_string,
    text_width,
    truncate_id,
)

PS_JSON = r"""{"Command":"\"/docker-entrypoint.…\"","CreatedAt":"2026-11-27 13:26:37 +0000 UTC","ID":"3f4e5d6c7b8a","Image":"nginx:latest","Labels":"a=b,com.example.team=web","LocalVolumes":"0","Mounts":"","Names":"web","Networks":"bridge","Platform":null,"Ports":"0.0.0.0:8080-\u003e80/tcp, [::]:8080-\u003e80/tcp","RunningFor":"5 hours ago","Size":"12.3kB (virtual 187MB)","State":"running","Status":"Up 5 hours"}
{"Command":"\"docker-entrypoint.s…\"","CreatedAt":"2026-11-24 18:26:37 +0000 UTC","ID":"0123456789ab","Image":"mysql:8","Labels":"","LocalVolumes":"0","Mounts":"","Names":"db_1","Networks":"","Platform":null,"Ports":"","RunningFor":"3 days ago","Size":"0B","State":"exited","Status":"Exited (0) 2 days ago"}
"""
IMAGES_JSON = r"""{"Containers":"N/A","CreatedAt":"2026-11-12 18:26:37 +0000 UTC","CreatedSince":"2 weeks ago","Digest":"\u003cnone\u003e","ID":"1234567890ab","Repository":"nginx","SharedSize":"N/A","Size":"188MB","Tag":"latest","UniqueSize":"N/A","VirtualSize":"187.7MB"}
{"Containers":"N/A","CreatedAt":"2026-11-12 18:26:37 +0000 UTC","CreatedSince":"2 weeks ago","Digest":"\u003cnone\u003e","ID":"1234567890ab","Repository":"nginx","SharedSize":"N/A","Size":"188MB","Tag":"1.25","UniqueSize":"N/A","VirtualSize":"187.7MB"}
{"Containers":"N/A","CreatedAt":"1970-01-01 00:00:00 +0000 UTC","CreatedSince":"56 years ago","Digest":"\u003cnone\u003e","ID":"abcdefabcdef","Repository":"\u003cnone\u003e","SharedSize":"N/A","Size":"4.3kB","Tag":"\u003cnone\u003e","UniqueSize":"N/A","VirtualSize":"4.3kB"}
"""


def ps_rows() -> list[dict]:
    rows = [json.loads(line) for line in PS_JSON.strip().splitlines()]
    for r in rows:
        labels = dict(kv.split("=", 1) for kv in r["Labels"].split(",") if kv)
        r["Label"] = lambda name, labels=labels: labels.get(name, "")
    return rows


def image_rows() -> list[dict]:
    return [json.loads(line) for line in IMAGES_JSON.strip().splitlines()]


PS_DEFAULT = """\
CONTAINER ID   IMAGE          COMMAND                  CREATED       STATUS                  PORTS                                     NAMES
3f4e5d6c7b8a   nginx:latest   "/docker-entrypoint.…"   5 hours ago   Up 5 hours              0.0.0.0:8080->80/tcp, [::]:8080->80/tcp   web
0123456789ab   mysql:8        "docker-entrypoint.s…"   3 days ago    Exited (0) 2 days ago                                             db_1
"""

PS_LABEL = """\
NAMES     team      STATUS
web       web       Up 5 hours
db_1                Exited (0) 2 days ago
"""

PS_RAW = """\
container_id: 3f4e5d6c7b8a
image: nginx:latest
command: "/docker-entrypoint.…"
created_at: 2026-11-27 13:26:37 +0000 UTC
state: running
status: Up 5 hours
names: web
labels: a=b,com.example.team=web
ports: 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp

container_id: 0123456789ab
image: mysql:8
command: "docker-entrypoint.s…"
created_at: 2026-11-24 18:26:37 +0000 UTC
state: exited
status: Exited (0) 2 days ago
names: db_1
labels:
ports:

"""

IMAGES_DEFAULT = """\
REPOSITORY   TAG       IMAGE ID       CREATED        SIZE
nginx        latest    1234567890ab   2 weeks ago    188MB
nginx        1.25      1234567890ab   2 weeks ago    188MB
<none>       <none>    abcdefabcdef   56 years ago   4.3kB
"""

IMAGES_DIGESTS = """\
REPOSITORY   TAG       DIGEST    IMAGE ID       CREATED        SIZE
nginx        latest    <none>    1234567890ab   2 weeks ago    188MB
nginx        1.25      <none>    1234567890ab   2 weeks ago    188MB
<none>       <none>    <none>    abcdefabcdef   56 years ago   4.3kB
"""

IMAGES_CUSTOM = """\
REPOSITORY:TAG   SIZE
nginx:latest     188MB
nginx:1.25       188MB
<none>:<none>    4.3kB
"""


def test_ps_default_table() -> None:
    assert render_listing("container", ps_rows()) == PS_DEFAULT
    assert render_listing("container", ps_rows(), "table") == PS_DEFAULT


def test_ps_label_method_and_its_header() -> None:
    fmt = 'table {{.Names}}\\t{{.Label "com.example.team"}}\\t{{.Status}}'
    assert render_listing("container", ps_rows(), fmt) == PS_LABEL


def test_ps_json_is_sorted_and_html_escaped() -> None:
    assert render_listing("container", ps_rows(), "json") == PS_JSON
    assert render_listing("container", ps_rows(), "{{json .}}") == PS_JSON


def test_ps_raw() -> None:
    assert render_listing("container", ps_rows(), "raw") == PS_RAW


def test_ps_quiet() -> None:
    assert render_listing("container", ps_rows(), quiet=True) == "3f4e5d6c7b8a\n0123456789ab\n"
    # A custom format loses to -q (docker warns and prints IDs).
    assert render_listing("container", ps_rows(), "{{.Names}}", quiet=True) == (
        "3f4e5d6c7b8a\n0123456789ab\n"
    )


def test_ps_custom_non_table() -> None:
    assert render_listing("container", ps_rows(), "{{.ID}}: {{.Names}}") == (
        "3f4e5d6c7b8a: web\n0123456789ab: db_1\n"
    )
    assert render_listing("container", ps_rows(), "  {{.ID}}  ") == "3f4e5d6c7b8a\n0123456789ab\n"


def test_header_functions_leave_headers_intact() -> None:
    out = render_listing("container", ps_rows(), "table {{upper .Names}}\\t{{json .Ports}}")
    assert out.splitlines()[0] == "NAMES     PORTS"
    assert out.splitlines()[1] == 'WEB       "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp"'


def test_unknown_field_is_an_error_for_rows() -> None:
    with pytest.raises(TemplateError) as e:
        render_listing("container", ps_rows(), "{{.Foo}}")
    assert str(e.value) == (
        'template parsing error: template: :1:2: executing "" at <.Foo>: '
        "can't evaluate field Foo in type *formatter.ContainerContext"
    )


def test_parse_error_text() -> None:
    with pytest.raises(TemplateError) as e:
        render_listing("image", image_rows(), "{{.Names")
    assert str(e.value) == "template parsing error: template: :1: unclosed action"


def test_check_format_like_docker_ps() -> None:
    assert check_format("container", "table {{.ID}}\\t{{.Size}}") == {"ID", "Size"}
    with pytest.raises(TemplateError) as e:
        check_format("container", "table {{.ID}}{{.Foo}}")
    assert str(e.value) == (
        'failed to execute template: template: :1:15: executing "" at <.Foo>: '
        "can't evaluate field Foo in type *formatter.ContainerContext"
    )
    with pytest.raises(TemplateError, match="failed to parse template: template: :1: unclosed"):
        check_format("container", "{{.Names")


def test_images() -> None:
    assert render_listing("image", image_rows()) == IMAGES_DEFAULT
    assert render_listing("image", image_rows(), digest=True) == IMAGES_DIGESTS
    fmt = "table {{.Repository}}:{{.Tag}}\\t{{.Size}}"
    assert render_listing("image", image_rows(), fmt) == IMAGES_CUSTOM
    assert render_listing("image", image_rows(), quiet=True) == (
        "1234567890ab\n1234567890ab\nabcdefabcdef\n"
    )
    assert render_listing("image", image_rows(), "table {{.ID}}", digest=True).splitlines()[0] == (
        "IMAGE ID       DIGEST"
    )


def test_empty_table_prints_only_the_header() -> None:
    assert render_listing("volume", []) == "DRIVER    VOLUME NAME\n"
    assert render_listing("network", [], "{{.ID}}") == ""


@pytest.mark.parametrize(
    ("kind", "kw", "want"),
    [
        (
            "container",
            {},
            "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}",
        ),
        (
            "container",
            {"size": True},
            "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}\t{{.Size}}",
        ),
        ("container", {"quiet": True}, "{{.ID}}"),
        ("volume", {"quiet": True}, "{{.Name}}"),
        ("network", {}, "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"),
        (
            "history",
            {"human": False},
            "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
        ),
        (
            "stats",
            {"quiet": True},
            "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}",
        ),
    ],
)
def test_resolve_format(kind: str, kw: dict, want: str) -> None:
    assert resolve_format(kind, None, **kw) == want


def test_template_string() -> None:
    assert template_string("table") == ""
    assert template_string("json") == "{{json .}}"
    assert template_string("table {{.ID}}\\t{{.Name}}") == "{{.ID}}\t{{.Name}}"
    assert template_string("  {{.ID}}\\n ") == "{{.ID}}\n"


def test_label_header() -> None:
    assert label_header("com.example.my-label_x") == "my label x"
    assert header_context({"ID": "CONTAINER ID"})["Label"]("a.b") == "b"


def test_render_plain_dicts_print_no_value_for_missing() -> None:
    assert render([{"A": "1"}], "{{.A}} {{.B}}", {}) == "1 <no value>\n"


def test_stats_headers() -> None:
    row = {
        "ID": "3f4e5d6c7b8a",
        "Name": "web",
        "CPUPerc": "0.00%",
        "MemUsage": "1.953MiB / 15.5GiB",
        "MemPerc": "0.01%",
        "NetIO": "1.2kB / 0B",
        "BlockIO": "0B / 0B",
        "PIDs": "2",
    }
    out = render_listing("stats", [row])
    assert out.splitlines()[0] == (
        "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT    MEM %     NET I/O      BLOCK I/O   PIDS"
    )


# Outputs of Go's text/tabwriter.NewWriter(out, 10, 1, 3, ' ', 0).
@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("a\tb\n", "a         b\n"),
        ("a\tb\nno tabs here\nc\td\te\n", "a         b\nno tabs here\nc         d         e\n"),
        (
            "x\t\ty\n\t\t\nlongerthanten12345\tq\tz\n",
            "x                              y\n                               \nlongerthanten12345   q         z\n",
        ),
        ("ID\tNAME\n", "ID        NAME\n"),
        (
            "a\tb\tc\nd\te\nf\tg\th\ti\n",
            "a         b         c\nd         e\nf         g         h         i\n",
        ),
        ("trailing\t\n\tlead\n", "trailing   \n           lead\n"),
        ("no newline\tat end", "no newline   at end"),
        ("", ""),
        ("\n\n", "\n\n"),
        ("a\tb\tc\n\nd\te\tf\n", "a         b         c\n\nd         e         f\n"),
        (
            "aaaaaaaaaaaaaaaaaaaaaaaaaa\tb\tc\nd\teeeeeeeeeeeeeeeeeeeeeeeee\tf\n",
            "aaaaaaaaaaaaaaaaaaaaaaaaaa   b                           c\nd                            eeeeeeeeeeeeeeeeeeeeeeeee   f\n",
        ),
        # Docker's fork measures cells with go-runewidth: CJK takes two columns.
        ("日本語\tb\nab\tc\n", "日本語    b\nab        c\n"),
    ],
)
def test_tabwriter(text: str, want: str) -> None:
    assert tabwrite(text) == want


def test_text_width() -> None:
    assert text_width("abc") == 3
    assert text_width("日本") == 4
    assert text_width("e\u0301") == 1
    assert text_width("…") == 1


@pytest.mark.parametrize(
    ("text", "width", "want"),
    [
        ("/docker-entrypoint.sh nginx", 20, "/docker-entrypoint.…"),
        ("short", 20, "short"),
        ("exactly-twenty-chars", 20, "exactly-twenty-chars"),
        ("日本語のコマンドです", 7, "日本語…"),
        ("日本語", 6, "日本語"),
        ("abc", 1, "a"),
        ("abc", 0, ""),
    ],
)
def test_ellipsis(text: str, width: int, want: str) -> None:
    assert ellipsis(text, width) == want


def test_truncate_id() -> None:
    assert truncate_id("sha256:1234567890abcdef") == "1234567890ab"
    assert truncate_id("3f4e5d6c7b8a9f0e1d2c") == "3f4e5d6c7b8a"


def test_plain_default_tables_match_the_template_engine() -> None:
    from dockyard.cli import tables
    from dockyard.cli.gotemplate import HEADER_FUNCS, compile_template

    rows = [
        {"ID": "abc", "Image": "busybox", "Command": '"sh"', "RunningFor": "1 second ago",
         "Status": "Up 1 second", "Ports": "", "Names": "web", "Size": "0B"},
        {"ID": "défg", "Image": "a-very-long-image-name:tag", "Command": '"sleep 1…"',
         "RunningFor": "2 hours ago", "Status": "Exited (0) 1 hour ago", "Ports": "80/tcp",
         "Names": "x", "Size": "1kB"},
    ]  # fmt: skip
    spec = tables.LISTINGS["container"]
    for fmt in (spec.table, spec.table + "\t{{.Size}}"):
        src = tables.template_string(fmt)
        tmpl = compile_template(src)
        header = tmpl.execute_partial(tables.header_context(spec.headers), HEADER_FUNCS)
        slow = tables.tabwrite(header + "\n" + "".join(tmpl.execute(r) + "\n" for r in rows))
        assert tables.render(rows, fmt, spec.headers, spec.type_name) == slow
    # a value that is not text goes through the engine
    assert tables._plain_table([{"ID": 1}], "{{.ID}}", {"ID": "ID"}) is None
    assert tables._plain_table([], "{{.ID}} {{.Name}}", {"ID": "ID"}) is None


def test_plain_image_tables_match_the_template_engine() -> None:
    from dockyard.cli import tables
    from dockyard.cli.gotemplate import HEADER_FUNCS, compile_template

    rows = [
        {"Repository": "busybox", "Tag": "latest", "Digest": "sha256:ab", "ID": "c9c14f4b40a9",
         "CreatedSince": "11 months ago", "Size": "1.98MB"},
        {"Repository": "<none>", "Tag": "<none>", "Digest": "<none>", "ID": "0123456789ab",
         "CreatedSince": "", "Size": "0B"},
    ]  # fmt: skip
    spec = tables.LISTINGS["image"]
    for fmt in (spec.table, tables.resolve_format("image", None, digest=True)):
        src = tables.template_string(fmt)
        assert tables._plain_table(rows, src, spec.headers) is not None
        tmpl = compile_template(src)
        header = tmpl.execute_partial(tables.header_context(spec.headers), HEADER_FUNCS)
        slow = tables.tabwrite(header + "\n" + "".join(tmpl.execute(r) + "\n" for r in rows))
        assert tables.render(rows, fmt, spec.headers, spec.type_name) == slow
        assert "N/A" in slow
    for cell in ("{{if .ID}}{{.ID}}{{else}}N/A{{end}}", "{{if .ID }}{{.Tag}}{{else}}x{{end}}",
                 "{{if .ID }}{{.ID}}{{else}}{{.Tag}}{{end}}", "{{if .ID }}{{.ID}}{{end}}"):  # fmt: skip
        assert tables._plain_table([], cell, {"ID": "ID", "Tag": "TAG"}) is None, cell
