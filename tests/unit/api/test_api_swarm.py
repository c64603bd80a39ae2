"""Swarm, plugin and session routes answer as Docker on a node outside a swarm."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from dockyard.api.app import build_router
from dockyard.api.http import HttpServer
from dockyard.api.plugins import NO_PLUGINS
from dockyard.api.session import check_session_request
from dockyard.api.swarm import NOT_IN_SWARM, NOT_MANAGER, go_parse_uint_error

NOT_SUPPORTED = (
    "dockyard does not support swarm mode: this node cannot {} a swarm. "
    'For multi-host work use Kubernetes ("dockyard kube generate").'
)
JSON = {"Content-Type": "application/json"}


async def call(
    sock: str, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_unix_connection(sock)
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    writer.write(
        f"{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra}"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    data = await reader.read()
    writer.close()
    head, _, payload = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), payload


def serve(tmp_path: Path, requests: list[tuple]) -> list[tuple[int, bytes]]:  # type: ignore[type-arg]
    sock = str(tmp_path / "api.sock")
    daemon = SimpleNamespace(services={}, config=None, id="x")

    async def main() -> list[tuple[int, bytes]]:
        server = HttpServer(build_router(daemon).dispatch, lambda: [])  # type: ignore[arg-type]
        await server.listen_unix(sock)
        try:
            return [await call(sock, *r) for r in requests]
        finally:
            await server.close(grace=0.5)

    return asyncio.run(main())


CASES = [
    # (method, target, body, headers, status, message)
    ("GET", "/v1.45/swarm", b"", None, 503, NOT_MANAGER),
    ("GET", "/swarm/unlockkey", b"", None, 503, NOT_MANAGER),
    ("POST", "/swarm/leave?force=1", b"", None, 503, NOT_IN_SWARM),
    ("POST", "/swarm/unlock", b'{"UnlockKey":"k"}', JSON, 503, NOT_MANAGER),
    (
        "POST",
        "/swarm/init",
        b'{"ListenAddr":"0.0.0.0"}',
        JSON,
        501,
        NOT_SUPPORTED.format("initialize"),
    ),
    ("POST", "/swarm/join", b"{}", JSON, 501, NOT_SUPPORTED.format("join")),
    ("POST", "/swarm/init", b"{", JSON, 400, None),
    (
        "POST",
        "/swarm/init",
        b"{}",
        {"Content-Type": "text/plain"},
        400,
        "unsupported Content-Type header (text/plain): must be 'application/json'",
    ),
    (
        "POST",
        "/swarm/init",
        b"[]",
        JSON,
        400,
        "invalid JSON: json: cannot unmarshal array into Go value of type swarm.InitRequest",
    ),
    ("POST", "/swarm/init", b"{} {}", JSON, 400, "unexpected content after JSON"),
    ("POST", "/swarm/update?version=1", b"{}", JSON, 503, NOT_MANAGER),
    (
        "POST",
        "/swarm/update?version=x",
        b"{}",
        JSON,
        400,
        "invalid swarm version 'x': strconv.ParseUint: parsing \"x\": invalid syntax",
    ),
    (
        "POST",
        "/swarm/update?version=1&rotateWorkerToken=maybe",
        b"",
        None,
        400,
        "invalid value for rotateWorkerToken: maybe",
    ),
    ("GET", "/nodes", b"", None, 503, NOT_MANAGER),
    ("GET", "/nodes/n1", b"", None, 503, NOT_MANAGER),
    ("DELETE", "/nodes/n1?force=1", b"", None, 503, NOT_MANAGER),
    ("POST", "/nodes/n1/update?version=3", b"{}", JSON, 503, NOT_MANAGER),
    (
        "POST",
        "/nodes/n1/update",
        b"{}",
        JSON,
        400,
        "invalid node version '': strconv.ParseUint: parsing \"\": invalid syntax",
    ),
    ("GET", "/services", b"", None, 503, NOT_MANAGER),
    (
        "GET",
        "/services?status=yes",
        b"",
        None,
        400,
        'invalid value for status: yes: strconv.ParseBool: parsing "yes": invalid syntax',
    ),
    ("GET", "/v1.40/services?status=yes", b"", None, 503, NOT_MANAGER),
    ("GET", "/services/s1", b"", None, 503, NOT_MANAGER),
    ("POST", "/services/create", b'{"Name":"web"}', JSON, 503, NOT_MANAGER),
    ("POST", "/services/s1/update?version=1", b"{}", JSON, 503, NOT_MANAGER),
    (
        "POST",
        "/services/s1/update?version=1&registryAuthFrom=x",
        b"{}",
        JSON,
        400,
        "invalid registryAuthFrom 'x'",
    ),
    ("DELETE", "/services/s1", b"", None, 503, NOT_MANAGER),
    ("GET", "/services/s1/logs?stdout=1", b"", None, 503, NOT_MANAGER),
    (
        "GET",
        "/services/s1/logs",
        b"",
        None,
        400,
        "must specify at least one of 'stdout' or 'stderr'",
    ),
    ("GET", "/tasks", b"", None, 503, NOT_MANAGER),
    ("GET", "/tasks/t1", b"", None, 503, NOT_MANAGER),
    ("GET", "/tasks/t1/logs?stderr=1", b"", None, 503, NOT_MANAGER),
    ("GET", "/secrets", b"", None, 503, NOT_MANAGER),
    ("POST", "/secrets/create", b'{"Name":"s","Data":""}', JSON, 503, NOT_MANAGER),
    (
        "POST",
        "/v1.36/secrets/create",
        b'{"Templating":{"Name":"golang"}}',
        JSON,
        400,
        "secret templating is not supported on the specified API version: 1.36",
    ),
    ("GET", "/secrets/s1", b"", None, 503, NOT_MANAGER),
    ("DELETE", "/secrets/s1", b"", None, 503, NOT_MANAGER),
    ("POST", "/secrets/s1/update?version=2", b"{}", JSON, 503, NOT_MANAGER),
    ("POST", "/secrets/s1/update?version=-2", b"{}", JSON, 400, "invalid secret version"),
    ("GET", "/configs", b"", None, 503, NOT_MANAGER),
    ("POST", "/configs/create", b"{}", JSON, 503, NOT_MANAGER),
    ("GET", "/configs/c1", b"", None, 503, NOT_MANAGER),
    ("DELETE", "/configs/c1", b"", None, 503, NOT_MANAGER),
    ("POST", "/configs/c1/update?version=x", b"{}", JSON, 400, "invalid config version"),
    (
        "PUT",
        "/volumes/v1?version=1",
        b"{}",
        JSON,
        503,
        "volume update only valid for cluster volumes, but swarm is unavailable",
    ),
    ("GET", "/plugins/foo/json", b"", None, 404, 'plugin "foo" not found'),
    (
        "GET",
        "/plugins/vieux/sshfs:latest/json",
        b"",
        None,
        404,
        'plugin "vieux/sshfs:latest" not found',
    ),
    ("DELETE", "/plugins/foo?force=1", b"", None, 404, 'plugin "foo" not found'),
    ("POST", "/plugins/foo/enable?timeout=30", b"", None, 404, 'plugin "foo" not found'),
    ("POST", "/plugins/foo/enable", b"", None, 400, 'strconv.Atoi: parsing "": invalid syntax'),
    ("POST", "/plugins/foo/disable", b"", None, 404, 'plugin "foo" not found'),
    ("POST", "/plugins/foo/push", b"", None, 404, 'plugin "foo" not found'),
    ("POST", "/plugins/foo/set", b'["DEBUG=1"]', JSON, 404, 'plugin "foo" not found'),
    ("POST", "/plugins/foo/upgrade?remote=foo", b"[]", JSON, 404, 'plugin "foo" not found'),
    (
        "GET",
        "/plugins?filters=%7B%22nope%22%3A%5B%22x%22%5D%7D",
        b"",
        None,
        400,
        "invalid filter 'nope'",
    ),
    (
        "POST",
        "/plugins/pull?remote=vieux/sshfs",
        b"[]",
        JSON,
        501,
        NO_PLUGINS,
    ),
    ("GET", "/plugins/privileges?remote=vieux/sshfs", b"", None, 501, NO_PLUGINS),
    ("POST", "/plugins/create?name=p", b"tar", None, 501, NO_PLUGINS),
    ("POST", "/session", b"", None, 400, "no upgrade proto in request"),
    (
        "POST",
        "/session",
        b"",
        {"Upgrade": "tcp", "Connection": "Upgrade"},
        400,
        "protocol tcp not supported",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]} {c[1]} {c[4]}" for c in CASES])
def test_route_answers_as_docker(tmp_path: Path, case: tuple) -> None:  # type: ignore[type-arg]
    method, target, body, headers, status, message = case
    [(got_status, payload)] = serve(tmp_path, [(method, target, body, headers)])
    assert got_status == status, payload
    got = json.loads(payload)["message"]
    if message is None:
        assert got.startswith("invalid JSON: ")
    else:
        assert got == message


def test_plugin_list_is_empty(tmp_path: Path) -> None:
    [(status, payload)] = serve(tmp_path, [("GET", "/plugins")])
    assert (status, json.loads(payload)) == (200, [])


@pytest.mark.parametrize(
    ("raw", "err"),
    [
        ("0", None),
        ("18446744073709551615", None),
        (
            "18446744073709551616",
            'strconv.ParseUint: parsing "18446744073709551616": value out of range',
        ),
        ("+1", 'strconv.ParseUint: parsing "+1": invalid syntax'),
        ("", 'strconv.ParseUint: parsing "": invalid syntax'),
    ],
)
def test_go_parse_uint(raw: str, err: str | None) -> None:
    assert go_parse_uint_error(raw) == err


def test_session_h2c_is_refused_with_a_reason() -> None:
    assert "classic builder" in check_session_request({"upgrade": "h2c"})
