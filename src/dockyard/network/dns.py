"""Embedded DNS for user-defined networks.

One UDP and one TCP listener per network, on the network's gateway address (the address
put in the containers' resolv.conf). Names of the network are answered from a lookup
callable the manager provides (it knows who asks by the source address, which is how
--link aliases stay private to the linking container); everything else is forwarded to
the host's resolvers from the daemon's own namespace, so loopback resolvers work too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from . import dnswire as w

log = logging.getLogger(__name__)

# (network key, source ip, lower-case name) -> addresses, or None when not ours
Lookup = Callable[[str, str, str], "list[str] | None"]
# (network key, ip) -> names for PTR, or None when not ours
Reverse = Callable[[str, str], "list[str] | None"]
# (network key, source ip) -> resolvers to forward to; None: the server's defaults
Upstreams = Callable[[str, str], "list[tuple[str, int]] | None"]

FORWARD_TIMEOUT = 2.0
UDP_MAX = 512


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, server: DnsServer, key: str) -> None:
        self.server, self.key = server, key
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.server._spawn(self._answer(data, addr))

    async def _answer(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = await self.server.handle(self.key, addr[0], data, tcp=False)
        if reply and self.transport and not self.transport.is_closing():
            self.transport.sendto(reply, addr)


class _Upstream(asyncio.DatagramProtocol):
    def __init__(self, qid: bytes) -> None:
        self.qid = qid
        self.done: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if data[:2] == self.qid and not self.done.done():
            self.done.set_result(data)

    def error_received(self, exc: Exception) -> None:
        if not self.done.done():
            self.done.set_exception(exc)


class DnsServer:
    def __init__(
        self,
        lookup: Lookup,
        reverse: Reverse | None = None,
        upstreams: list[tuple[str, int]] | None = None,
        upstreams_for: Upstreams | None = None,
    ) -> None:
        self.lookup = lookup
        self.reverse = reverse
        self.upstreams = list(upstreams or [])
        self.upstreams_for = upstreams_for
        self.listeners: dict[str, tuple[asyncio.DatagramTransport, asyncio.Server]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start_listener(self, key: str, ip: str, port: int = 53) -> int:
        """Serve network `key` on ip:port (UDP and TCP); port 0 picks a free one.
        Returns the port."""
        if key in self.listeners:
            return self.listeners[key][0].get_extra_info("sockname")[1]
        loop = asyncio.get_running_loop()
        for _ in range(10 if port == 0 else 1):
            udp, _ = await loop.create_datagram_endpoint(
                lambda: _Udp(self, key), local_addr=(ip, port)
            )
            bound = udp.get_extra_info("sockname")[1]
            try:
                tcp = await asyncio.start_server(
                    lambda r, wr: self._tcp_client(key, r, wr), host=ip, port=bound
                )
            except OSError:
                udp.close()
                if port:
                    raise
                continue  # the TCP side of that free UDP port is taken: try another
            self.listeners[key] = (udp, tcp)
            return bound
        raise OSError(f"no free port for DNS on {ip}")

    async def stop_listener(self, key: str) -> None:
        entry = self.listeners.pop(key, None)
        if entry:
            udp, tcp = entry
            udp.close()
            tcp.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(tcp.wait_closed(), 1)

    async def close(self) -> None:
        for key in list(self.listeners):
            await self.stop_listener(key)
        for task in list(self._tasks):
            task.cancel()

    async def _tcp_client(
        self, key: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peer = writer.get_extra_info("peername")[0]
        try:
            while True:
                size = struct.unpack("!H", await reader.readexactly(2))[0]
                data = await reader.readexactly(size)
                reply = await self.handle(key, peer, data, tcp=True)
                if reply is None:
                    break
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def handle(self, key: str, src: str, data: bytes, tcp: bool) -> bytes | None:
        """Answer one query: ours from the table, the rest forwarded."""
        try:
            q = w.parse_query(data)
        except w.WireError:
            return None  # not even a header we can answer to
        if q.flags & w.FLAG_QR:
            return None
        try:
            return await self._answer(key, src, q, data, tcp)
        except Exception:  # e.g. the network went away mid-query: answer, and keep serving
            log.exception("dns query from %s", src)
            return w.response(q, w.SERVFAIL)

    async def _answer(self, key: str, src: str, q: w.Query, data: bytes, tcp: bool) -> bytes:
        if q.opcode != 0 or q.question is None:
            return w.response(q, w.NOTIMP)
        qn = q.question
        if qn.qclass == w.CLASS_IN:
            if qn.qtype == w.QTYPE_PTR and self.reverse:
                ip = w.ptr_ip(qn.name)
                names = self.reverse(key, ip) if ip else None
                if names:
                    return w.ptr_response(q, names)
            addrs = self.lookup(key, src, qn.name)
            if addrs is not None:
                if qn.qtype != w.QTYPE_A:
                    return w.response(q, w.NOERROR, authoritative=True)  # name exists, no data
                reply = w.a_response(q, addrs)
                if not tcp and len(reply) > UDP_MAX:
                    return w.truncated(q)
                return reply
        upstreams = self.upstreams_for(key, src) if self.upstreams_for else None
        return await self.forward(q, data, tcp, self.upstreams if upstreams is None else upstreams)

    async def forward(
        self, q: w.Query, data: bytes, tcp: bool, upstreams: list[tuple[str, int]]
    ) -> bytes:
        if not upstreams:
            return w.response(q, w.REFUSED)
        for host, port in upstreams:
            try:
                if tcp:
                    return await asyncio.wait_for(_forward_tcp(host, port, data), FORWARD_TIMEOUT)
                return await asyncio.wait_for(_forward_udp(host, port, data), FORWARD_TIMEOUT)
            except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
                log.debug("dns upstream %s:%s failed: %s", host, port, exc)
        return w.response(q, w.SERVFAIL)


async def _forward_udp(host: str, port: int, data: bytes) -> bytes:
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_datagram_endpoint(
        lambda: _Upstream(data[:2]), remote_addr=(host, port)
    )
    try:
        transport.sendto(data)
        return await proto.done
    finally:
        transport.close()


async def _forward_tcp(host: str, port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(struct.pack("!H", len(data)) + data)
        await writer.drain()
        size = struct.unpack("!H", await reader.readexactly(2))[0]
        return await reader.readexactly(size)
    finally:
        writer.close()


class LoopThread:
    """Runs coroutines for synchronous callers: on the daemon's loop when given one,
    otherwise on a private loop in a background thread (tests, tools)."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._thread: threading.Thread | None = None
        if loop is None:
            loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=loop.run_forever, name="dns", daemon=True)
            self._thread.start()
        self.loop = loop

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 10) -> Any:
        if self.loop.is_closed():
            coro.close()
            raise RuntimeError("DNS loop is closed")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:  # waiting here would deadlock the loop
            coro.close()
            raise RuntimeError("NetworkManager must be called from a worker thread")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self._thread is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)
            self.loop.close()
            self._thread = None
