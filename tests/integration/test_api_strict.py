"""Wrongly typed bodies and bad names get Docker's 400 over a real socket, and nothing is
stored (issue 16, item 3)."""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import daemon_harness  # noqa: E402

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]


@pytest.fixture(scope="module")
def dyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    d = daemon_harness.TestDaemon(Path(tmp_path_factory.mktemp("dystrict")))
    try:
        d.start()
        yield d
    finally:
        d.stop()


def call(d: Any, method: str, path: str, body: bytes = b"") -> tuple[int, Any]:
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(30)
        s.connect(str(d.socket))
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: d\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        s.sendall(head.encode() + body)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    payload = data.partition(b"\r\n\r\n")[2]
    return status, json.loads(payload) if payload.strip() else None


BAD_CREATE = [
    (b'{"Image": "busybox", "Cmd": 5}', "Cmd"),
    (b'{"Image": "busybox", "Env": "A=B"}', "Env"),
    (b'{"Image": "busybox", "HostConfig": "x"}', "HostConfig"),
    (b'{"Image": "busybox", "Labels": ["a"]}', "Labels"),
    (b'{"Image": "busybox", "HostConfig": {"RestartPolicy": "x"}}', "RestartPolicy"),
    (b'{"Image": "busybox", "User": 5}', "User"),
    (b'{"Image": "busybox", "HostConfig": {"ShmSize": "x"}}', "ShmSize"),
    (b'{"Image": "busybox", "HostConfig": {"PidsLimit": "x"}}', "PidsLimit"),
    (b'{"Image": "busybox", "HostConfig": {"PortBindings": "x"}}', "PortBindings"),
    (b'{"Image": "busybox", "HostConfig": {"Memory": NaN}}', "invalid character"),
    (b'{"Image": "busybox", "HostConfig": {"Memory": 1e400}}', "1e400"),
    (b'{"Image":' * 100_000 + b"1" + b"}" * 100_000, "exceeded max depth"),
]


@pytest.mark.parametrize(("body", "field"), BAD_CREATE)
def test_create_with_wrong_types_is_400_and_stores_nothing(
    dyd: Any, body: bytes, field: str
) -> None:
    status, doc = call(dyd, "POST", "/containers/create", body)
    assert status == 400 and field in doc["message"], doc
    assert call(dyd, "GET", "/containers/json?all=1") == (200, [])


def test_update_with_wrong_types_is_400(dyd: Any) -> None:
    status, doc = call(dyd, "POST", "/containers/nope/update", b'{"Memory": "1g"}')
    assert status == 400 and "UpdateConfig.Memory" in doc["message"], doc


@pytest.mark.parametrize("name", ["../x", "a/b", "bad name!", "a\\u0000b", "x" * 10_000])
def test_bad_network_names_are_400_and_ls_still_works(dyd: Any, name: str) -> None:
    status, doc = call(dyd, "POST", "/networks/create", f'{{"Name": "{name}"}}'.encode())
    assert status == 400 and "network name" in doc["message"], doc
    for body in (b'{"Name": 5}', b'{"Name": "ok", "Labels": ["a"]}'):
        assert call(dyd, "POST", "/networks/create", body)[0] == 400
    proc = dyd.docker("network", "ls", "--format", "{{.Name}}")
    assert proc.returncode == 0 and set(proc.stdout.split()) == {"bridge", "host", "none"}


def test_long_volume_name_is_400(dyd: Any) -> None:
    status, doc = call(dyd, "POST", "/volumes/create", json.dumps({"Name": "v" * 300}).encode())
    assert status == 400 and "too long" in doc["message"], doc
    assert call(dyd, "GET", "/volumes")[1]["Volumes"] in (None, [])


@pytest.mark.parametrize(
    "raw",
    [b"GET /_ping\r\n\r\n", b"POST /containers/create HTTP/1.1\r\nContent-Length: -1\r\n\r\n"],
)
def test_malformed_http_is_400_then_close_and_daemon_serves_on(dyd: Any, raw: bytes) -> None:
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(str(dyd.socket))
        s.sendall(raw)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 400 Bad Request\r\n") and b"Connection: close" in data
    assert call(dyd, "GET", "/containers/json")[0] == 200


BAD_OTHER = [
    ("/networks/create", {"Name": "n1", "Internal": "yes"}, "CreateRequest.Internal"),
    ("/networks/create", {"Name": "n1", "IPAM": {"Config": [{"Subnet": 5}]}}, "IPAM.Config.Subnet"),
    ("/networks/create", {"Name": "n1", "Options": {"mtu": 1500}}, "CreateRequest.Options"),
    ("/volumes/create", {"Name": "v1", "DriverOpts": {"size": 5}}, "CreateOptions.DriverOpts"),
    ("/volumes/create", {"Name": "v1\n"}, "invalid characters"),
    ("/containers/create?name=" + "c" * 300, {"Image": "busybox"}, "too long"),
    ("/containers/create?name=ab%0A", {"Image": "busybox"}, "Invalid container name"),
    ("/containers/nope/exec", {"Cmd": "ls"}, "ExecConfig.Cmd"),
    ("/exec/nope/start", {"Detach": "yes"}, "ExecStartCheck.Detach"),
    ("/auth", {"serveraddress": '{"a":5}'}, "invalid registry address"),
    ("/commit?container=nope", {"Cmd": 5}, "Config.Cmd"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "body", "needle"), BAD_OTHER)
def test_other_bodies_are_checked_and_store_nothing(
    dyd: Any, path: str, body: dict, needle: str
) -> None:
    if path.startswith("/containers/create"):
        dyd.load_image("busybox")  # names are checked once the image is found, as dockerd does
    status, doc = call(dyd, "POST", path, json.dumps(body).encode())
    assert status == 400 and needle in doc["message"], doc
    assert call(dyd, "GET", "/containers/json?all=1") == (200, [])
    assert call(dyd, "GET", "/volumes")[1]["Volumes"] in (None, [])
    names = {n["Name"] for n in call(dyd, "GET", "/networks")[1]}
    assert names == {"bridge", "host", "none"}


def test_commit_with_a_bad_repository_leaves_no_image(dyd: Any) -> None:
    dyd.load_image("busybox")
    assert dyd.cli("create", "--name", "tocommit", "busybox", "true").returncode == 0
    try:
        before = call(dyd, "GET", "/images/json?all=1")[1]
        status, doc = call(dyd, "POST", "/commit?container=tocommit&repo=BAD..", b"")
        assert status == 400 and "invalid reference format" in doc["message"], doc
        assert call(dyd, "GET", "/images/json?all=1")[1] == before
    finally:
        dyd.cli("rm", "-f", "tocommit")
