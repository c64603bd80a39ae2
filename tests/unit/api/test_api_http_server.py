"""The h11 server: routing, API versions, error bodies, streaming and the raw hijack."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from dockyard.api.http import Hijack, HttpServer, Request, Response, StreamResponse, json_response
from dockyard.api.router import Router
from dockyard.errors import Conflict

HEADERS = [("Api-Version", "1.45"), ("Ostype", "linux")]


def build() -> Router:
    router = Router()

    @router.route("GET", "/things/{name:path}/json")
    async def thing(req: Request, name: str) -> Response:
        return json_response({"name": name, "version": req.api_version, "all": req.q_bool("all")})

    @router.route("POST", "/things")
    async def create(req: Request) -> Response:
        body = await req.json({})
        return json_response({"got": body}, 201)

    @router.route("DELETE", "/things/{id}")
    async def remove(req: Request, id: str) -> Response:
        raise Conflict(f"thing {id} is in use")

    @router.route("GET", "/stream")
    async def stream(req: Request) -> StreamResponse:
        async def gen() -> AsyncIterator[bytes]:
            for i in range(3):
                yield json.dumps({"n": i}).encode() + b"\n"
                await asyncio.sleep(0.01)

        return StreamResponse(gen())

    @router.route("POST", "/echo")
    async def echo(req: Request) -> Hijack:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while data := await reader.read(1024):
                writer.write(data.upper())
                await writer.drain()
            writer.close()

        return Hijack(handler)

    return router


async def request(path: str, raw: bytes) -> bytes:
    reader, writer = await asyncio.open_unix_connection(path)
    writer.write(raw)
    await writer.drain()
    data = b""
    while chunk := await reader.read(65536):
        data += chunk
    writer.close()
    return data


@pytest.fixture
def sock_path(tmp_path: Path) -> str:
    return str(tmp_path / "t.sock")


def run(sock_path: str, coro_fn) -> object:  # type: ignore[no-untyped-def]
    async def main() -> object:
        server = HttpServer(build().dispatch, lambda: HEADERS)
        await server.listen_unix(sock_path)
        try:
            return await coro_fn()
        finally:
            await server.close(grace=0.5)

    return asyncio.run(main())


def get(path: str, target: str, method: str = "GET", body: bytes = b"") -> bytes:
    return (
        f"{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def test_routes_with_version_prefix_and_path_params(sock_path: str) -> None:
    out = run(
        sock_path,
        lambda: request(sock_path, get(sock_path, "/v1.41/things/localhost:5000/a/b:1/json?all=1")),
    )
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"Api-Version: 1.45" in head
    assert json.loads(body) == {"name": "localhost:5000/a/b:1", "version": "1.41", "all": True}


@pytest.mark.parametrize(
    ("target", "status", "message"),
    [
        ("/v1.99/things/x/json", b"400", "client version 1.99 is too new"),
        ("/v1.12/things/x/json", b"400", "client version 1.12 is too old"),
        ("/nowhere", b"404", "page not found"),
    ],
)
def test_version_and_route_errors(sock_path: str, target: str, status: bytes, message: str) -> None:
    out = run(sock_path, lambda: request(sock_path, get(sock_path, target)))
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == status
    assert message in json.loads(body)["message"]


def test_malformed_json_body_is_400(sock_path: str) -> None:
    out = run(sock_path, lambda: request(sock_path, get(sock_path, "/things", "POST", b"{oops")))
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == b"400"
    assert "invalid JSON" in json.loads(body)["message"]


def test_service_error_status_and_body(sock_path: str) -> None:
    out = run(sock_path, lambda: request(sock_path, get(sock_path, "/things/abc", "DELETE")))
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == b"409"
    assert json.loads(body) == {"message": "thing abc is in use"}


def test_garbage_request_does_not_kill_server(sock_path: str) -> None:
    async def go() -> bytes:
        await request(sock_path, b"\x00\x01 not http at all\r\n\r\n")
        return await request(sock_path, get(sock_path, "/things/x/json"))

    out = run(sock_path, go)
    assert out.startswith(b"HTTP/1.1 200")


def test_streaming_is_chunked(sock_path: str) -> None:
    out = run(sock_path, lambda: request(sock_path, get(sock_path, "/stream")))
    head, _, body = out.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    assert body.count(b'{"n": ') == 3


def test_hijack_upgrade_gives_raw_duplex_stream(sock_path: str) -> None:
    def client() -> bytes:
        s = socket.socket(socket.AF_UNIX)
        s.connect(sock_path)
        s.sendall(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
            b"Content-Length: 0\r\n\r\nhello"
        )
        buf = b""
        while b"HELLO" not in buf:
            buf += s.recv(1024)
        s.sendall(b" again")
        while b"AGAIN" not in buf:
            buf += s.recv(1024)
        s.shutdown(socket.SHUT_WR)
        s.close()
        return buf

    out = run(sock_path, lambda: asyncio.to_thread(client))
    assert out.startswith(b"HTTP/1.1 101 UPGRADED")
    assert b"Upgrade: tcp" in out
    assert out.endswith(b"HELLO AGAIN")
