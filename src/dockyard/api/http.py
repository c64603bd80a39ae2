"""A small HTTP/1.1 server on asyncio + h11 that speaks what Docker clients need.

Why not a framework: attach/exec need the raw `Upgrade: tcp` hijack (101, then a raw duplex
stream on the same socket) and streaming endpoints need their headers flushed at once; with h11
we own the connection and can do both plainly.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import h11

from .connlimit import ConnectionLimits, client_key, fd_limit

log = logging.getLogger(__name__)

MAX_HEADER_BYTES = 64 * 1024
READ_CHUNK = 256 * 1024
# A kept-alive connection may wait this long for its next request; once its first byte came,
# the request head must be complete within HEADER_TIMEOUT (slowloris). Bodies may be slow.
IDLE_TIMEOUT = 300.0
HEADER_TIMEOUT = 30.0
# Resource errors (EMFILE at accept, ...) are logged at most once per this many seconds.
RESOURCE_LOG_INTERVAL = 60.0

# What Go's net/http writes for a request it cannot parse, before closing the connection.
BAD_REQUEST = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Connection: close\r\n\r\n400 Bad Request"
)
RESOURCE_ERRNOS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
# Answer to a client over its connection cap (then the connection is closed).
TOO_MANY_CONNECTIONS = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Connection: close\r\nContent-Length: 59\r\n\r\n"
    b'{"message":"too many connections from this client, retry"}\n'
)


class ThrottledLog:
    """One warning per key and interval, with the count of those left out since."""

    def __init__(self, interval: float = RESOURCE_LOG_INTERVAL) -> None:
        self.interval = interval
        self._last: dict[str, float] = {}
        self._dropped: dict[str, int] = {}

    def warn(self, key: str, message: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            self._dropped[key] = self._dropped.get(key, 0) + 1
            return False
        dropped = self._dropped.pop(key, 0)
        self._last[key] = now
        log.warning("%s%s", message, f" ({dropped} more since last logged)" if dropped else "")
        return True


def listen_backlog() -> int:
    """The kernel's somaxconn, as Go's net package uses (asyncio's 100 refuses a burst of
    200 clients connecting at once with EAGAIN)."""
    try:
        with open("/proc/sys/net/core/somaxconn") as f:
            return max(128, min(int(f.read()), 65535))
    except (OSError, ValueError):
        return 4096


def is_resource_error(exc: BaseException | None) -> bool:
    return isinstance(exc, OSError) and exc.errno in RESOURCE_ERRNOS


class Request:
    """One parsed request; the body is read lazily so uploads can stream."""

    def __init__(self, conn: _Connection, event: h11.Request) -> None:
        self._conn = conn
        self.method: str = event.method.decode()
        target = event.target.decode("latin-1")
        path, _, qs = target.partition("?")
        self.raw_path = urllib.parse.unquote(path)
        self.path = self.raw_path
        self.query: dict[str, list[str]] = urllib.parse.parse_qs(qs, keep_blank_values=True)
        self.headers: dict[str, str] = {
            k.decode().lower(): v.decode("latin-1") for k, v in event.headers
        }
        self.api_version: str = ""
        self.path_params: dict[str, str] = {}
        self._body_done = False

    # --- query helpers: Docker's parameter conventions ---
    def q(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def q_bool(self, name: str, default: bool = False) -> bool:
        value = self.q(name)
        if value is None:
            return default
        # Docker treats "", "0", "false", "no" as false, anything else as true.
        return value.strip().lower() not in ("", "0", "false", "no")

    def q_int(self, name: str, default: int | None = None) -> int | None:
        from ..errors import InvalidParameter

        value = self.q(name)
        if value in (None, ""):
            return default
        try:
            return int(value)
        except ValueError:
            raise InvalidParameter(f"invalid value for {name}: {value!r}") from None

    def q_json(self, name: str, default: Any = None) -> Any:
        from ..errors import InvalidParameter

        value = self.q(name)
        if value in (None, ""):
            return default
        try:
            return json.loads(value)
        except ValueError as exc:
            raise InvalidParameter(f"invalid {name} value: {exc}") from None

    def q_filters(self) -> dict[str, list[str]]:
        """Docker's `filters` parameter: {"key": ["v"]} or legacy {"key": {"v": true}}."""
        from ..errors import InvalidParameter

        raw = self.q_json("filters", {}) or {}
        if not isinstance(raw, dict):
            raise InvalidParameter("invalid filter: filters must be a JSON object")
        out: dict[str, list[str]] = {}
        for key, value in raw.items():
            if isinstance(value, dict):
                out[key] = [k for k, v in value.items() if v]
            elif isinstance(value, list):
                out[key] = [str(v) for v in value]
            elif isinstance(value, str):
                out[key] = [value]
            else:
                raise InvalidParameter(f"invalid filter '{key}'")
        return out

    # --- body ---
    async def stream(self) -> AsyncIterator[bytes]:
        while not self._body_done:
            event = await self._conn.next_event()
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                self._body_done = True
            else:
                raise ConnectionError(f"unexpected {type(event).__name__} in request body")

    async def read(self, limit: int = 64 * 1024 * 1024) -> bytes:
        from ..errors import InvalidParameter

        parts: list[bytes] = []
        size = 0
        async for chunk in self.stream():
            size += len(chunk)
            if size > limit:
                raise InvalidParameter("request body too large")
            parts.append(chunk)
        return b"".join(parts)

    async def json(self, default: Any = None) -> Any:
        from .decode import decode_json

        body = await self.read()
        if not body.strip():
            return default
        return decode_json(body)

    async def drain(self) -> None:
        async for _ in self.stream():
            pass

    @property
    def wants_upgrade(self) -> bool:
        return "upgrade" in self.headers.get("connection", "").lower()


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None


def json_response(data: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(data).encode() + b"\n", content_type="application/json")


def error_response(status: int, message: str) -> Response:
    return json_response({"message": message}, status)


@dataclass
class StreamResponse:
    """Chunked body; headers go out before the first chunk is produced."""

    chunks: AsyncIterator[bytes]
    status: int = 200
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


HijackHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Hijack:
    """Take over the socket: answer 101 (or 200 for clients that did not ask to upgrade),
    then hand the raw streams to `handler`."""

    handler: HijackHandler
    content_type: str = "application/vnd.docker.raw-stream"
    # Status line and headers sent instead of Docker's, as is (a websocket handshake).
    head: list[str] | None = None


Handler = Callable[[Request], Awaitable[Response | StreamResponse | Hijack]]


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEADER_BYTES)
        self.responded = False  # a status line went out for the current request

    async def next_request(self, idle: float, head: float) -> Any:
        """The next request's event: wait `idle` for its first byte, then `head` for the rest.
        TimeoutError when either runs out."""
        if not self.h11.trailing_data[0]:
            data = await asyncio.wait_for(self.reader.read(READ_CHUNK), idle)
            self.h11.receive_data(data)
        return await asyncio.wait_for(self.next_event(), head)

    async def next_event(self) -> Any:
        while True:
            event = self.h11.next_event()
            if event is h11.NEED_DATA:
                data = await self.reader.read(READ_CHUNK)
                self.h11.receive_data(data)
                continue
            return event

    async def send(self, event: Any) -> None:
        if isinstance(event, h11.Response):
            self.responded = True
        data = self.h11.send(event)
        if data:
            self.writer.write(data)
            await self.writer.drain()


class HttpServer:
    def __init__(
        self, dispatch: Handler, default_headers: Callable[[], list[tuple[str, str]]]
    ) -> None:
        self._dispatch = dispatch
        self._default_headers = default_headers
        self._servers: list[asyncio.base_events.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self.idle_timeout = IDLE_TIMEOUT
        self.header_timeout = HEADER_TIMEOUT
        self.resource_log = ThrottledLog()
        self.limits = ConnectionLimits.for_fd_limit(fd_limit())
        self._loop_handler_set = False

    def _quiet_resource_errors(self) -> None:
        """asyncio reports a failed accept (EMFILE at the fd limit) through the loop's
        exception handler with a traceback, again on every retry: log it once per interval."""
        if self._loop_handler_set:
            return
        self._loop_handler_set = True
        loop = asyncio.get_running_loop()
        previous = loop.get_exception_handler()

        def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            exc = context.get("exception")
            if is_resource_error(exc):
                self.resource_log.warn("accept", f"cannot accept connections: {exc}")
                return
            if previous is not None:
                previous(loop, context)
            else:
                loop.default_exception_handler(context)

        loop.set_exception_handler(handler)

    async def listen_unix(self, path: str, mode: int = 0o660, gid: int | None = None) -> None:
        import os

        if os.path.exists(path):
            os.unlink(path)
        self._quiet_resource_errors()
        server = await asyncio.start_unix_server(
            self._on_client, path=path, limit=READ_CHUNK, backlog=listen_backlog()
        )
        if gid is not None:
            os.chown(path, 0 if os.geteuid() == 0 else -1, gid)
        os.chmod(path, mode)
        self._servers.append(server)

    async def listen_tcp(self, host: str, port: int, ssl: Any = None) -> None:
        self._quiet_resource_errors()
        server = await asyncio.start_server(
            self._on_client, host, port, ssl=ssl, backlog=listen_backlog()
        )
        self._servers.append(server)

    async def close(self, grace: float = 2.0) -> None:
        """Stop accepting, give in-flight requests `grace` seconds, then cut the rest."""
        self._closing = True
        for server in self._servers:
            server.close()
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1)

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        client = client_key(writer.get_extra_info("socket"), writer.get_extra_info("peername"))
        if not self.limits.admit(client):
            self.resource_log.warn(
                "connections",
                f"refusing a connection from {client}: over the cap of "
                f"{self.limits.per_client} per client / {self.limits.total} in total",
            )
            await self._refuse(writer)
            return
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        conn = _Connection(reader, writer)
        try:
            await self._serve(conn)
        except h11.RemoteProtocolError as exc:
            # Malformed request line, HTTP/0.9, bad Content-Length, bad chunking: Go's 400.
            log.debug("bad request: %s", exc)
            if not conn.responded:
                writer.write(BAD_REQUEST)
                try:
                    await asyncio.wait_for(writer.drain(), 5)
                except (OSError, TimeoutError):
                    pass
        except TimeoutError:
            log.debug("connection timed out waiting for a request")
        except (ConnectionError, asyncio.IncompleteReadError, h11.ProtocolError) as exc:
            log.debug("connection ended: %s", exc)
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("unexpected error on connection")
        finally:
            self._tasks.discard(task)
            self.limits.release(client)
            try:
                writer.close()
            except Exception:
                pass

    @staticmethod
    async def _refuse(writer: asyncio.StreamWriter) -> None:
        try:
            writer.write(TOO_MANY_CONNECTIONS)
            await asyncio.wait_for(writer.drain(), 1)
        except (OSError, TimeoutError):
            pass
        finally:
            writer.close()

    def _headers(self, extra: dict[str, str], content_type: str | None) -> list[tuple[str, str]]:
        headers = list(self._default_headers())
        if content_type:
            headers.append(("Content-Type", content_type))
        headers.extend(extra.items())
        return headers

    async def _serve(self, conn: _Connection) -> None:
        while not self._closing:
            event = await conn.next_request(self.idle_timeout, self.header_timeout)
            if isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                return
            if not isinstance(event, h11.Request):
                return
            request = Request(conn, event)
            try:
                result = await self._dispatch(request)
            except h11.RemoteProtocolError:
                raise  # the body was malformed: 400 and close
            except OSError as exc:
                if not is_resource_error(exc):
                    log.exception("handler crashed for %s %s", request.method, request.path)
                else:
                    self.resource_log.warn("handler", f"{request.method} {request.path}: {exc}")
                result = error_response(500, str(exc))
            except Exception:
                log.exception("handler crashed for %s %s", request.method, request.path)
                result = error_response(500, "internal error")
            if isinstance(result, Hijack):
                await self._hijack(conn, request, result)
                return
            if not request._body_done:
                try:
                    await request.drain()
                except Exception:
                    return
            if isinstance(result, StreamResponse):
                await self._stream(conn, result)
            else:
                await self._respond(conn, request, result)
            if conn.h11.our_state is h11.MUST_CLOSE or conn.h11.their_state is h11.MUST_CLOSE:
                return
            try:
                conn.responded = False
                conn.h11.start_next_cycle()
            except h11.LocalProtocolError:
                return

    async def _respond(self, conn: _Connection, request: Request, resp: Response) -> None:
        body = b"" if request.method == "HEAD" and resp.status < 300 else resp.body
        headers = self._headers(resp.headers, resp.content_type)
        if resp.status not in (204, 304):
            headers.append(("Content-Length", str(len(resp.body))))
        await conn.send(h11.Response(status_code=resp.status, headers=headers))
        if body and request.method != "HEAD" and resp.status not in (204, 304):
            await conn.send(h11.Data(data=body))
        await conn.send(h11.EndOfMessage())

    async def _stream(self, conn: _Connection, resp: StreamResponse) -> None:
        headers = self._headers(resp.headers, resp.content_type)
        await conn.send(h11.Response(status_code=resp.status, headers=headers))
        # Watch for the client hanging up so endless streams (events, logs -f) stop.
        gone = asyncio.ensure_future(conn.reader.read(1))
        chunks = resp.chunks.__aiter__()
        try:
            while True:
                nxt = asyncio.ensure_future(chunks.__anext__())
                done, _ = await asyncio.wait({nxt, gone}, return_when=asyncio.FIRST_COMPLETED)
                if nxt not in done:
                    nxt.cancel()
                    raise ConnectionError("client went away")
                try:
                    chunk = nxt.result()
                except StopAsyncIteration:
                    break
                if chunk:
                    await conn.send(h11.Data(data=chunk))
            await conn.send(h11.EndOfMessage())
        finally:
            gone.cancel()
            aclose = getattr(resp.chunks, "aclose", None)
            if aclose:
                try:
                    await aclose()
                except Exception:
                    pass
        # The connection is not reused after a stream: the watcher may have eaten a byte.
        raise ConnectionError("stream finished")

    async def _hijack(self, conn: _Connection, request: Request, hijack: Hijack) -> None:
        if not request._body_done:
            await request.drain()
        if hijack.head is not None:
            head = [line.encode("latin-1") for line in hijack.head]
        elif request.wants_upgrade:
            head = [
                b"HTTP/1.1 101 UPGRADED",
                b"Content-Type: " + hijack.content_type.encode(),
                b"Connection: Upgrade",
                b"Upgrade: tcp",
            ]
        else:
            head = [b"HTTP/1.1 200 OK", b"Content-Type: " + hijack.content_type.encode()]
        for name, value in self._default_headers() if hijack.head is None else ():
            head.append(f"{name}: {value}".encode())
        conn.writer.write(b"\r\n".join(head) + b"\r\n\r\n")
        await conn.writer.drain()
        # Bytes the client sent after its request belong to the raw stream.
        leftover = conn.h11.trailing_data[0]
        if leftover:
            # h11 drained the StreamReader, so its buffer only holds bytes that came later.
            conn.reader._buffer[0:0] = leftover  # type: ignore[attr-defined]
        await hijack.handler(conn.reader, conn.writer)
