"""HTTP edge cases (issue 16, item 4): malformed requests get Go's 400 then a close, idle and
slow-header connections time out, resource errors are logged once per interval."""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from dockyard.api.http import (
    BAD_REQUEST,
    HttpServer,
    Request,
    Response,
    ThrottledLog,
    is_resource_error,
    json_response,
)
from dockyard.api.router import Router


def build() -> Router:
    router = Router()

    @router.route("POST", "/things")
    async def create(req: Request) -> Response:
        return json_response({"got": await req.json({})}, 201)

    @router.route("GET", "/_ping")
    async def ping(req: Request) -> Response:
        return Response(200, b"OK")

    return router


async def exchange(path: str, raw: bytes, timeout: float = 5) -> bytes:
    """Send `raw`, then read until the server closes (TimeoutError if it never does)."""
    reader, writer = await asyncio.open_unix_connection(path)
    writer.write(raw)
    await writer.drain()
    data = b""
    try:
        async with asyncio.timeout(timeout):
            while chunk := await reader.read(65536):
                data += chunk
    finally:
        writer.close()
    return data


def serve(tmp_path: Path, fn: Callable[[str], Awaitable[object]], **timeouts: float) -> object:
    path = str(tmp_path / "e.sock")

    async def main() -> object:
        server = HttpServer(build().dispatch, lambda: [("Api-Version", "1.45")])
        for name, value in timeouts.items():
            setattr(server, name, value)
        await server.listen_unix(path)
        try:
            return await fn(path)
        finally:
            await server.close(grace=0.5)

    return asyncio.run(main())


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",  # malformed request line
        b"GET /_ping\r\n\r\n",  # HTTP/0.9
        b"GET /_ping HTTP/1.1 extra\r\nHost: x\r\n\r\n",
        b"POST /things HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"POST /things HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"POST /things HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    ],
)
def test_malformed_requests_get_400_then_close(tmp_path: Path, raw: bytes) -> None:
    assert serve(tmp_path, lambda p: exchange(p, raw)) == BAD_REQUEST


def test_good_chunked_body_still_served(tmp_path: Path) -> None:
    raw = b"POST /things HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
    out = serve(tmp_path, lambda p: exchange(p, raw))
    assert isinstance(out, bytes) and out.startswith(b"HTTP/1.1 201")


def test_idle_connection_is_closed(tmp_path: Path) -> None:
    async def idle(path: str) -> tuple[bytes, float]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        out = await exchange(path, b"", timeout=5)
        return out, loop.time() - start

    out, took = serve(tmp_path, idle, idle_timeout=0.3)  # type: ignore[misc]
    assert out == b"" and took < 3


def test_slow_header_connection_is_closed(tmp_path: Path) -> None:
    async def slow(path: str) -> bytes:
        reader, writer = await asyncio.open_unix_connection(path)
        writer.write(b"GET /_ping HTTP/1.1\r\n")
        data = b""
        try:
            async with asyncio.timeout(5):
                for _ in range(50):  # a header line every 0.1 s, never the blank line
                    await asyncio.sleep(0.1)
                    writer.write(b"X-Slow: 1\r\n")
                    await writer.drain()
                data = await reader.read()
        except (ConnectionError, TimeoutError):
            return b"closed"
        finally:
            writer.close()
        return data

    assert serve(tmp_path, slow, header_timeout=0.3) in (b"", b"closed")


def test_keepalive_serves_a_second_request(tmp_path: Path) -> None:
    async def two(path: str) -> bytes:
        one = b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n"
        return await exchange(
            path, one + one.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
        )

    out = serve(tmp_path, two)
    assert isinstance(out, bytes) and out.count(b"HTTP/1.1 200") == 2


def test_throttled_log_once_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    throttle = ThrottledLog(interval=60)
    with caplog.at_level(logging.WARNING):
        sent = [throttle.warn("accept", "too many open files", now=t) for t in range(0, 130)]
    assert sent.count(True) == 3 and sent[0] and sent[60] and sent[120]
    assert "59 more since last logged" in caplog.records[1].getMessage()
    assert all(r.exc_info is None for r in caplog.records)


def test_accept_errors_reach_the_throttle_not_a_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def flood(path: str) -> None:
        loop = asyncio.get_running_loop()
        exc = OSError(errno.EMFILE, "Too many open files")
        for _ in range(100):
            loop.call_exception_handler(
                {"message": "socket.accept() out of system resource", "exception": exc}
            )

    with caplog.at_level(logging.WARNING):
        serve(tmp_path, flood)
    records = [r for r in caplog.records if "Too many open files" in r.getMessage()]
    assert len(records) == 1 and records[0].exc_info is None
    assert is_resource_error(OSError(errno.ENFILE, "x")) and not is_resource_error(ValueError())
