"""Engine API client on the stdlib only (the CLI imports it on every command: keep it light;
http1 stands in for http.client, whose import alone costs about 25 ms, leanjson for json and
_socket for socket, which bring `re` and enum; typing is read by type checkers only)."""

from __future__ import annotations

import _socket
import _thread
import os

from .. import API_VERSION
from ..common import leanjson as json
from . import http1

TYPE_CHECKING = False  # typing and socket cost milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from socket import socket
    from typing import Any

    # A query: a mapping, or (key, value) pairs when a key repeats (commit's `changes`).
    Params = dict[str, Any] | list[tuple[str, Any]]

DEFAULT_HOST = "unix:///run/dockyard.sock"


class APIError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class DaemonUnreachable(Exception):
    pass


class _UnixConnection(http1.HTTPConnection):
    def __init__(self, path: str, timeout: float | None = None) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        if self.timeout is not None:
            sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


class Response:
    def __init__(
        self, raw: http1.HTTPResponse, conn: http1.HTTPConnection, client: Client | None = None
    ) -> None:
        self.raw = raw
        self.conn = conn
        self.status = raw.status
        self.headers = raw.headers
        self._client = client

    def read(self) -> bytes:
        """The whole body; the connection then serves the client's next request."""
        try:
            data = self.raw.read()
        except BaseException:
            self.conn.close()
            raise
        if self._client is not None and self.raw.reusable():
            self._client._keep(self.conn)
        else:
            self.conn.close()
        return data

    def json(self) -> Any:
        body = self.read()
        return json.loads(body) if body.strip() else None

    def iter_chunks(self, size: int = 65536) -> Iterator[bytes]:
        try:
            while True:
                chunk = self.raw.read1(size) if hasattr(self.raw, "read1") else self.raw.read(size)
                if not chunk:
                    return
                yield chunk
        finally:
            self.conn.close()

    def iter_lines(self) -> Iterator[bytes]:
        buf = b""
        for chunk in self.iter_chunks():
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if line.strip():
                    yield line
        if buf.strip():
            yield buf

    def iter_json(self) -> Iterator[Any]:
        for line in self.iter_lines():
            yield json.loads(line)


_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")


def _percent(text: str, safe: str, plus: bool = False) -> str:
    """urllib.parse.quote (quote_plus when `plus`), without importing urllib (re, ipaddress)."""
    keep = _UNRESERVED | frozenset(safe.encode())
    raw = text.encode()
    if all(b in keep for b in raw):
        return text
    out = []
    for b in raw:
        if b in keep:
            out.append(chr(b))
        elif plus and b == 0x20:
            out.append("+")
        else:
            out.append(f"%{b:02X}")
    return "".join(out)


def quote_ref(ref: str, safe: str = "") -> str:
    """An object name or ID as one path segment."""
    return _percent(ref, safe)


def _encode_params(params: Params | None) -> str:
    if not params:
        return ""
    items = []
    pairs = params.items() if isinstance(params, dict) else params
    for key, value in pairs:
        if value is None:
            continue
        if isinstance(value, bool):
            value = "1" if value else "0"
        elif isinstance(value, dict | list):
            value = json.dumps(value)
        items.append((key, str(value)))
    query = "&".join(f"{_percent(k, '', True)}={_percent(v, '', True)}" for k, v in items)
    return "?" + query if items else ""


class Client:
    """Requests to one daemon. A connection whose answer was read whole is kept for the next
    request (HTTP keep-alive, as Go's client does): the daemon's accept and set-up of a
    connection cost about half a millisecond of its CPU per request."""

    def __init__(self, host: str = DEFAULT_HOST, timeout: float | None = None) -> None:
        self.host = host
        self.timeout = timeout
        self.version = API_VERSION
        self.pinned = False  # a version the user chose (DOCKER_API_VERSION): kept as is
        self._idle: http1.HTTPConnection | None = None
        self._idle_lock = _thread.allocate_lock()  # signal-proxy threads share the client

    def _keep(self, conn: http1.HTTPConnection) -> None:
        with self._idle_lock:
            conn, self._idle = self._idle, conn
        if conn is not None:
            conn.close()

    def _reuse(self, timeout: float | None) -> http1.HTTPConnection | None:
        with self._idle_lock:
            conn, self._idle = self._idle, None
        if conn is None:
            return None
        if not conn.still_open():
            conn.close()
            return None
        t = timeout if timeout is not None else self.timeout
        conn.timeout = t
        assert conn.sock is not None
        conn.sock.settimeout(t)
        return conn

    def close(self) -> None:
        """Close the connection kept for reuse, if any."""
        with self._idle_lock:
            conn, self._idle = self._idle, None
        if conn is not None:
            conn.close()

    def _connection(self, timeout: float | None = None) -> http1.HTTPConnection:
        t = timeout if timeout is not None else self.timeout
        if self.host.startswith("unix://"):
            return _UnixConnection(self.host[len("unix://") :], timeout=t)
        if self.host.startswith("tcp://"):
            hostport = self.host[len("tcp://") :]
            h, _, p = hostport.rpartition(":")
            return http1.HTTPConnection(h, int(p), timeout=t)
        raise DaemonUnreachable(f"unsupported host {self.host!r}")

    def url(self, path: str, params: Params | None = None) -> str:
        if path == "/_ping":  # unversioned, as docker's client pings: any daemon answers
            return path + _encode_params(params)
        return f"/v{self.version}{path}{_encode_params(params)}"

    def request(
        self,
        method: str,
        path: str,
        params: Params | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> Response:
        """Send a request; raises APIError for statuses >= 400 with the daemon's message.

        An older daemon (dockerd 20.10 speaks 1.41) refuses our version: take the one it
        names and send again, once, when the body can be sent twice."""
        try:
            return self._request(method, path, params, body, headers, timeout)
        except APIError as exc:
            older = _max_version(exc) if exc.status == 400 and not self.pinned else None
            if older is None or older == self.version or not _replayable(body):
                raise
            self.version = older
            return self._request(method, path, params, body, headers, timeout)

    def _request(
        self,
        method: str,
        path: str,
        params: Params | None,
        body: Any,
        headers: dict[str, str] | None,
        timeout: float | None,
    ) -> Response:
        hdrs = dict(headers or {})
        data: bytes | Iterable[bytes] | None
        if body is None:
            data = None
        elif isinstance(body, bytes):
            data = body
        elif _streamed(body):
            data = body
            hdrs.setdefault("Content-Type", "application/x-tar")
            hdrs["Transfer-Encoding"] = "chunked"
        else:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        reused = self._reuse(timeout) if not _streamed(body) else None
        if reused is not None:
            try:
                self._send(reused, method, path, params, hdrs, data)
                conn = reused
            except (BrokenPipeError, ConnectionResetError):
                reused.close()  # closed by the daemon just now, before it read the request
                reused = None
        if reused is None:
            conn = self._connection(timeout)
            try:
                self._send(conn, method, path, params, hdrs, data)
            except (FileNotFoundError, ConnectionRefusedError) as exc:
                conn.close()
                raise DaemonUnreachable(str(exc)) from None
        try:
            raw = conn.getresponse()
        except BaseException:
            conn.close()
            raise
        resp = Response(raw, conn, self)
        if resp.status >= 400:
            payload = resp.read()
            try:
                message = json.loads(payload).get("message", "")
            except ValueError:
                message = payload.decode(errors="replace").strip()
            raise APIError(resp.status, message or f"status {resp.status}")
        return resp

    def _send(
        self,
        conn: http1.HTTPConnection,
        method: str,
        path: str,
        params: Params | None,
        hdrs: dict[str, str],
        data: bytes | Iterable[bytes] | None,
    ) -> None:
        conn.putrequest(method, self.url(path, params), skip_accept_encoding=True)
        for k, v in hdrs.items():
            conn.putheader(k, v)
        if isinstance(data, bytes):
            conn.putheader("Content-Length", str(len(data)))
        elif data is None and method in ("POST", "PUT"):
            conn.putheader("Content-Length", "0")
        conn.endheaders()
        if isinstance(data, bytes):
            conn.send(data)
        elif data is not None:
            chunks = iter(lambda: data.read(65536), b"") if hasattr(data, "read") else data
            for chunk in chunks:
                if chunk:
                    conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            conn.send(b"0\r\n\r\n")

    def get(self, path: str, params: Params | None = None) -> Any:
        return self.request("GET", path, params).json()

    def post(self, path: str, params: Params | None = None, body: Any = None) -> Any:
        return self.request("POST", path, params, body).json()

    def delete(self, path: str, params: Params | None = None) -> Any:
        return self.request("DELETE", path, params).json()

    def ping(self, timeout: float = 2.0) -> dict[str, str]:
        resp = self.request("GET", "/_ping", timeout=timeout)
        resp.read()
        return {k.lower(): v for k, v in resp.headers.items()}

    def send_only(self, method: str, path: str, params: Params | None = None) -> PendingRequest:
        """Send a bodiless request now; read its answer later through the PendingRequest."""
        conn = self._connection(None)
        try:
            conn.putrequest(method, self.url(path, params), skip_accept_encoding=True)
            conn.putheader("Content-Length", "0")
            conn.endheaders()
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            conn.close()
            raise DaemonUnreachable(str(exc)) from None
        return PendingRequest(conn)

    def hijack(self, path: str, params: Params | None = None, body: Any = None) -> socket:
        """POST with `Upgrade: tcp`; returns the raw socket once the daemon answered 101/200."""
        conn = self._connection(None)
        try:
            conn.connect()
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise DaemonUnreachable(str(exc)) from None
        sock = conn.sock
        assert sock is not None
        data = json.dumps(body).encode() if body is not None else b""
        head = (
            f"POST {self.url(path, params)} HTTP/1.1\r\nHost: localhost\r\n"
            f"Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        ).encode()
        sock.sendall(head + data)
        # Read the response head byte-wise-ish so no stream bytes are swallowed.
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(1)
            if not chunk:
                raise APIError(500, "connection closed during upgrade")
            buf += chunk
        status_line, _, rest = buf.partition(b"\r\n")
        status = int(status_line.split()[1])
        if status >= 400:
            length = 0
            for line in rest.split(b"\r\n"):
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip() or 0)
            payload = b""
            while len(payload) < length:
                chunk = sock.recv(length - len(payload))
                if not chunk:
                    break
                payload += chunk
            sock.close()
            try:
                message = json.loads(payload).get("message", "")
            except ValueError:
                message = payload.decode(errors="replace")
            raise APIError(status, message)
        sock.settimeout(None)
        return sock


class PendingRequest:
    """A request sent now on a connection of its own, its answer read later.

    `docker run` sends POST /containers/{id}/wait before it starts the container, so an exit
    that comes quickly is not missed; the answer arrives when the container is gone."""

    def __init__(self, conn: http1.HTTPConnection) -> None:
        self._conn = conn

    def response(self) -> tuple[int, bytes]:
        """Blocks until the daemon answers; returns (HTTP status, body)."""
        try:
            resp = self._conn.getresponse()
            return resp.status, resp.read()
        finally:
            self._conn.close()

    def abort(self) -> None:
        """Shut the socket down: unblocks a thread reading the answer. Closing the
        connection instead would wait for that reader's lock forever."""
        sock = self._conn.sock
        if sock is not None:
            try:
                sock.shutdown(_socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        self._conn.close()


def _max_version(exc: APIError) -> str | None:
    marker = "Maximum supported API version is "
    if "is too new" not in exc.message or marker not in exc.message:
        return None
    version = exc.message.split(marker, 1)[1].split()[0].strip(".")
    return version if version.replace(".", "").isdigit() else None


def _streamed(body: Any) -> bool:
    """A file or an iterator: sent chunked, and only once."""
    return hasattr(body, "read") or (hasattr(body, "__next__") and hasattr(body, "__iter__"))


def _replayable(body: Any) -> bool:
    return not _streamed(body)


# The client resolve_host pinged DOCKER_HOST with, by host: the command goes on over its
# kept-alive connection rather than connecting again (client_for).
_probed: dict[str, Client] = {}


def client_for(host: str) -> Client:
    """A client for `host`: the one resolve_host probed it with, if any, else a new one;
    speaking the API version DOCKER_API_VERSION names, if set (as docker's CLI does: no
    falling back to an older one, the daemon's refusal is the answer)."""
    client = _probed.pop(host, None)
    if client is None:
        client = Client(host)
    else:
        client.timeout = None
    pinned = pinned_version()
    if pinned:
        client.version, client.pinned = pinned, True
    return client


def pinned_version() -> str:
    """DOCKER_API_VERSION without a leading "v"; "" when unset."""
    return os.environ.get("DOCKER_API_VERSION", "").strip().removeprefix("v")


def resolve_host(explicit: str | None, context: str | None = None) -> str:
    """-H, then --context, then DOCKYARD_HOST, then DOCKER_HOST when it points at a dockyard
    daemon, then DOCKER_CONTEXT or the context `context use` chose.

    Raises:
        ContextError: the context named does not exist.
    """
    if explicit:
        return explicit if "://" in explicit else "unix://" + explicit
    if context:
        return _context_host(context)
    env = os.environ.get("DOCKYARD_HOST")
    if env:
        return env
    docker_host = os.environ.get("DOCKER_HOST")
    if docker_host and docker_host != DEFAULT_HOST:
        probe = Client(docker_host, timeout=2)
        try:
            server = probe.ping().get("server", "")
            if server.startswith("dockyard"):
                _probed[docker_host] = probe
                return docker_host
        except (OSError, APIError, DaemonUnreachable):
            pass
        probe.close()
    if docker_host:
        return DEFAULT_HOST
    from . import contexts

    return _context_host(contexts.current_name())


def _context_host(name: str) -> str:
    from . import contexts

    if name == contexts.DEFAULT:
        return DEFAULT_HOST
    return contexts.host_of(contexts.load(name)) or DEFAULT_HOST
