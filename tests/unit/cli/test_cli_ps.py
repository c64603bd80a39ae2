"""ps rendering from fixed API JSON, compared with what docker CLI 28 printed for it."""

import time

import pytest

from dockyard.cli.inspect import render_list
from dockyard.cli.ps import container_row, display_ports

NOW = 1795804098

null = None

CONTAINERS = [
    {
        "Id": "8dfafdbc3a40aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "Names": ["/web"],
        "Image": "nginx:latest",
        "ImageID": "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        "Command": "/docker-entrypoint.sh nginx -g 'daemon off;'",
        "Created": 1795786098,
        "Ports": [
            {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
            {"IP": "::", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
            {"PrivatePort": 443, "Type": "tcp"},
            {"IP": "0.0.0.0", "PrivatePort": 53, "PublicPort": 53, "Type": "udp"},
            {"IP": "0.0.0.0", "PrivatePort": 54, "PublicPort": 54, "Type": "udp"},
            {"PrivatePort": 7000, "Type": "tcp"},
            {"PrivatePort": 7001, "Type": "tcp"},
            {"PrivatePort": 7002, "Type": "tcp"},
        ],
        "Labels": {"a": "1", "b": "2"},
        "State": "running",
        "Status": "Up 5 hours",
        "SizeRw": 1234,
        "SizeRootFs": 187654321,
        "HostConfig": {"NetworkMode": "bridge"},
        "NetworkSettings": {"Networks": {"bridge": {}, "mynet": {}}},
        "Mounts": [
            {
                "Type": "volume",
                "Name": "0123456789abcdef0123",
                "Source": "/var/lib/x",
                "Destination": "/data",
                "Driver": "local",
            },
            {"Type": "bind", "Source": "/tmp", "Destination": "/t"},
        ],
    },
    {
        "Id": "1234567890abcccccccccccccccccccccccccccccccccccccccccccccccccccc",
        "Names": ["/db", "/web/database"],
        "Image": "sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
        "ImageID": "sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
        "Command": "sh",
        "Created": 1795544898,
        "Ports": [],
        "Labels": {},
        "State": "exited",
        "Status": "Exited (0) 2 days ago",
        "HostConfig": {"NetworkMode": "default"},
        "NetworkSettings": {"Networks": {}},
        "Mounts": [],
    },
    {
        "Id": "fedcba987654eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
        "Names": ['/q"uote'],
        "Image": "busybox@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "ImageID": "sha256:1111111111111111111111111111111111111111111111111111111111111111",
        "Command": 'echo "hi\tthere" ünïcode',
        "Created": 1795804058,
        "Ports": null,
        "Labels": null,
        "State": "created",
        "Status": "Created",
        "NetworkSettings": {"Networks": {"none": {}}},
        "Mounts": null,
    },
]

EXPECTED = {
    "default": 'CONTAINER ID   IMAGE          COMMAND                     CREATED          STATUS                  PORTS                                                                                       NAMES\n8dfafdbc3a40   nginx:latest   "/docker-entrypoint.…"      5 hours ago      Up 5 hours              443/tcp, 0.0.0.0:53-54->53-54/udp, 7000-7002/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp   web\n1234567890ab   dddddddddddd   "sh"                        3 days ago       Exited (0) 2 days ago                                                                                               db\nfedcba987654   busybox        "echo \\"hi\\tthere\\" ünï…"   40 seconds ago   Created                                                                                                             q"uote\n',
    "notrunc": 'CONTAINER ID                                                       IMAGE                                                                             COMMAND                                          CREATED          STATUS                  PORTS                                                                                       NAMES\n8dfafdbc3a40aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa   nginx:latest                                                                      "/docker-entrypoint.sh nginx -g \'daemon off;\'"   5 hours ago      Up 5 hours              443/tcp, 0.0.0.0:53-54->53-54/udp, 7000-7002/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp   web\n1234567890abcccccccccccccccccccccccccccccccccccccccccccccccccccc   sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd           "sh"                                             3 days ago       Exited (0) 2 days ago                                                                                               db,web/database\nfedcba987654eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee   busybox@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff   "echo \\"hi\\tthere\\" ünïcode"                     40 seconds ago   Created                                                                                                             q"uote\n',
    "size": 'CONTAINER ID   IMAGE          COMMAND                     CREATED          STATUS                  PORTS                                                                                       NAMES     SIZE\n8dfafdbc3a40   nginx:latest   "/docker-entrypoint.…"      5 hours ago      Up 5 hours              443/tcp, 0.0.0.0:53-54->53-54/udp, 7000-7002/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp   web       1.23kB (virtual 188MB)\n1234567890ab   dddddddddddd   "sh"                        3 days ago       Exited (0) 2 days ago                                                                                               db        0B\nfedcba987654   busybox        "echo \\"hi\\tthere\\" ünï…"   40 seconds ago   Created                                                                                                             q"uote    0B\n',
    "json": '{"Command":"\\"/docker-entrypoint.…\\"","CreatedAt":"2026-11-27 13:28:18 +0000 UTC","ID":"8dfafdbc3a40","Image":"nginx:latest","Labels":"a=1,b=2","LocalVolumes":"1","Mounts":"0123456789abcd…,/tmp","Names":"web","Networks":"bridge,mynet","Platform":null,"Ports":"443/tcp, 0.0.0.0:53-54-\\u003e53-54/udp, 7000-7002/tcp, 0.0.0.0:8080-\\u003e80/tcp, [::]:8080-\\u003e80/tcp","RunningFor":"5 hours ago","Size":"1.23kB (virtual 188MB)","State":"running","Status":"Up 5 hours"}\n{"Command":"\\"sh\\"","CreatedAt":"2026-11-24 18:28:18 +0000 UTC","ID":"1234567890ab","Image":"dddddddddddd","Labels":"","LocalVolumes":"0","Mounts":"","Names":"db","Networks":"","Platform":null,"Ports":"","RunningFor":"3 days ago","Size":"0B","State":"exited","Status":"Exited (0) 2 days ago"}\n{"Command":"\\"echo \\\\\\"hi\\\\tthere\\\\\\" ünï…\\"","CreatedAt":"2026-11-27 18:27:38 +0000 UTC","ID":"fedcba987654","Image":"busybox","Labels":"","LocalVolumes":"0","Mounts":"","Names":"q\\"uote","Networks":"none","Platform":null,"Ports":"","RunningFor":"40 seconds ago","Size":"0B","State":"created","Status":"Created"}\n',
    "custom": 'CONTAINER ID   NAMES     LABELS    MOUNTS                 NETWORKS       LOCAL VOLUMES   STATE\n8dfafdbc3a40   web       a=1,b=2   0123456789abcd…,/tmp   bridge,mynet   1               running\n1234567890ab   db                                                        0               exited\nfedcba987654   q"uote                                     none           0               created\n',
}


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _render(fmt, trunc=True, size=False):
    rows = [container_row(c, trunc, NOW) for c in CONTAINERS]
    return render_list(rows, fmt, "container", size=size)


def test_default_table():
    assert _render(None) == EXPECTED["default"]


def test_no_trunc():
    assert _render(None, trunc=False) == EXPECTED["notrunc"]


def test_size_column():
    assert _render(None, size=True) == EXPECTED["size"]


def test_json_rows():
    assert _render("{{json .}}") == EXPECTED["json"]


def test_custom_table():
    fmt = "table {{.ID}}\\t{{.Names}}\\t{{.Labels}}\\t{{.Mounts}}\\t{{.Networks}}\\t{{.LocalVolumes}}\\t{{.State}}"
    assert _render(fmt) == EXPECTED["custom"]


def test_ports_grouping():
    ports = [
        {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 80, "Type": "tcp"},
        {"IP": "::", "PrivatePort": 80, "PublicPort": 80, "Type": "tcp"},
    ]
    assert display_ports(ports) == "0.0.0.0:80->80/tcp, :::80->80/tcp"
    assert display_ports([]) == ""


def test_label_method():
    row = container_row(CONTAINERS[0], True, NOW)
    assert render_list([row], '{{.Label "a"}}', "container") == "1\n"


def test_table_only_rows_hold_the_default_tables_fields() -> None:
    from dockyard.cli.ps import TABLE_FIELDS
    from dockyard.cli.tables import render_listing

    for trunc in (True, False):
        full = [container_row(c, trunc, NOW) for c in CONTAINERS]
        lean = [container_row(c, trunc, NOW, table_only=True) for c in CONTAINERS]
        for f, row in zip(full, lean, strict=True):
            assert {k: f[k] for k in TABLE_FIELDS} == {k: row[k] for k in TABLE_FIELDS}
        for size in (False, True):
            assert render_listing("container", lean, None, size=size) == render_listing(
                "container", full, None, size=size
            )


@pytest.mark.parametrize(
    "text", ["sleep 100000", "", 'sh -c "x"', "a\\b", "tab\there", "é ü", "\x7f", "nl\n", "\u2028"]
)
def test_go_quote_short_cut_quotes_as_the_loop(text: str) -> None:
    from dockyard.cli.ps import go_quote

    slow = (
        '"'
        + "".join(
            "\\" + ch
            if ch in '"\\'
            else {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(ch)
            or (f"\\x{ord(ch):02x}" if ord(ch) < 0x20 or ord(ch) == 0x7F else ch)
            for ch in text
        )
        + '"'
    )
    assert go_quote(text) == slow
