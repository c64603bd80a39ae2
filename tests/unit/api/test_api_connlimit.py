"""Connection caps per client and in total, below the fd limit (issue 16)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from dockyard.api.connlimit import ConnectionLimits, client_key
from dockyard.api.http import HttpServer, Response


def test_caps_stay_below_the_fd_limit() -> None:
    for limit in (1024, 20000, 1 << 20):
        caps = ConnectionLimits.for_fd_limit(limit)
        assert caps.per_client <= caps.total < limit
    assert ConnectionLimits.for_fd_limit(20000).per_client == 5000


def test_admit_per_client_and_total() -> None:
    caps = ConnectionLimits(total=3, per_client=2)
    assert caps.admit("a") and caps.admit("a") and not caps.admit("a")
    assert caps.admit("b") and not caps.admit("c")  # total reached
    caps.release("a")
    assert caps.admit("c") and caps.open_connections == 3
    for key in ("a", "b", "c"):
        caps.release(key)
    assert caps.open_connections == 0 and caps.admit("a")


def test_unix_peer_is_the_process() -> None:
    import os

    a, b = socket.socketpair(socket.AF_UNIX)
    with a, b:
        assert client_key(a, "") == f"pid:{os.getpid()}"
    assert client_key(None, ("10.0.0.5", 4000)) == "ip:10.0.0.5"


def test_server_refuses_over_the_cap_with_503_and_recovers(tmp_path: Path) -> None:
    path = str(tmp_path / "c.sock")

    async def ping(req):  # type: ignore[no-untyped-def]
        return Response(200, b"OK")

    async def main() -> tuple[bytes, bytes]:
        server = HttpServer(ping, lambda: [])
        server.limits = ConnectionLimits(total=10, per_client=2)
        await server.listen_unix(path)
        try:
            held = [await asyncio.open_unix_connection(path) for _ in range(2)]
            await asyncio.sleep(0.1)
            reader, writer = await asyncio.open_unix_connection(path)
            refused = await asyncio.wait_for(reader.read(), 5)
            writer.close()
            held[0][1].close()
            await asyncio.sleep(0.1)
            reader, writer = await asyncio.open_unix_connection(path)
            writer.write(b"GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            served = await asyncio.wait_for(reader.read(), 5)
            writer.close()
            held[1][1].close()
            return refused, served
        finally:
            await server.close(grace=0.5)

    refused, served = asyncio.run(main())
    assert refused.startswith(b"HTTP/1.1 503") and b"too many connections" in refused
    assert served.startswith(b"HTTP/1.1 200") and served.endswith(b"OK")


def test_a_burst_of_connections_fits_the_listen_backlog(tmp_path: Path) -> None:
    """300 clients connecting before the server accepts any: none refused with EAGAIN (the
    backlog is the kernel's somaxconn, as Go's, not asyncio's 100)."""
    path = str(tmp_path / "b.sock")

    async def ping(req):  # type: ignore[no-untyped-def]
        return Response(200, b"OK")

    async def main() -> int:
        server = HttpServer(ping, lambda: [])
        await server.listen_unix(path)
        socks = []
        try:
            for _ in range(300):  # no await: the loop accepts nothing meanwhile
                s = socket.socket(socket.AF_UNIX)
                s.setblocking(False)
                s.connect(path)  # BlockingIOError when the backlog is full
                socks.append(s)
            return len(socks)
        finally:
            for s in socks:
                s.close()
            await server.close(grace=0.5)

    assert asyncio.run(main()) == 300
