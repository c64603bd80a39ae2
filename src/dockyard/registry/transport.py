"""HTTP for registry clients on http.client: kept-alive connections, streamed bodies,
timeouts, redirects, and connection failures worded as Docker (Go's net/http) words them."""

from __future__ import annotations

import base64
import errno
import http.client
import ipaddress
import logging
import os
import socket
import ssl
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from .errors import ConnectError

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 15.0
READ_TIMEOUT = 120.0
USER_AGENT = "dockyard (Distribution v2 client; python http.client)"
_MAX_REDIRECTS = 5
_CHUNK = 1 << 20
# Where Docker (and we) look for a registry's CA and client certificates.
CERTS_DIRS = [Path("/etc/dockyard/certs.d"), Path("/etc/docker/certs.d")]


def method_word(method: str) -> str:
    """Go's url.Error prefix: "Get", "Head", "Post", ..."""
    return method[:1].upper() + method[1:].lower()


def connect_error(method: str, url: str, host: str, exc: BaseException) -> ConnectError:
    """Docker's text for a request that never got an answer."""
    where = f'{method_word(method)} "{url}"'
    if isinstance(exc, socket.gaierror | UnicodeError):  # UnicodeError: no IDNA name
        return ConnectError(f"{where}: dial tcp: lookup {_hostname(host)}: no such host")
    if isinstance(exc, ssl.SSLError):
        if "WRONG_VERSION_NUMBER" in str(exc) or "record layer failure" in str(exc):
            return ConnectError(f"{where}: http: server gave HTTP response to HTTPS client")
        if isinstance(exc, ssl.SSLCertVerificationError):
            return ConnectError(f"{where}: tls: failed to verify certificate: {exc.verify_message}")
        return ConnectError(f"{where}: tls: {exc.reason or exc}")
    if isinstance(exc, TimeoutError | socket.timeout):
        return ConnectError(f"{where}: dial tcp {host}: i/o timeout")
    if isinstance(exc, ConnectionRefusedError):
        return ConnectError(f"{where}: dial tcp {_addr(host)}: connect: connection refused")
    if isinstance(exc, OSError) and exc.errno == errno.ENETUNREACH:
        return ConnectError(f"{where}: dial tcp {_addr(host)}: connect: network is unreachable")
    if isinstance(exc, http.client.RemoteDisconnected | ConnectionResetError):
        return ConnectError(f"{where}: EOF")
    return ConnectError(f"{where}: {exc}")


def _hostname(host: str) -> str:
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _addr(host: str) -> str:
    name = _hostname(host)
    port = host.rsplit(":", 1)[1] if host.count(":") == 1 or "]:" in host else "443"
    if name == "localhost":
        name = "127.0.0.1"
    return f"{name}:{port}"


def proxy_for(scheme: str, host: str) -> tuple[str, str] | None:
    """(proxy host:port, Proxy-Authorization or "") from HTTP(S)_PROXY / NO_PROXY, as
    dockerd honours them; like Go, never for localhost or loopback addresses."""
    env = urllib.request.getproxies_environment()
    proxy = env.get(scheme)
    if not proxy:
        return None
    name = _hostname(host)
    if name == "localhost":
        return None
    try:
        if ipaddress.ip_address(name).is_loopback:
            return None
    except ValueError:
        pass
    if urllib.request.proxy_bypass_environment(
        host, env
    ) or urllib.request.proxy_bypass_environment(name, env):
        return None
    parts = urllib.parse.urlsplit(proxy if "://" in proxy else "http://" + proxy)
    if not parts.hostname:
        return None
    where = parts.hostname + (f":{parts.port}" if parts.port else "")
    auth = ""
    if parts.username:
        raw = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
        auth = "Basic " + base64.b64encode(raw.encode()).decode()
    return where, auth


def ssl_context(host: str, verify: bool) -> ssl.SSLContext:
    if verify:
        ctx = ssl.create_default_context()
    else:  # no CA bundle to load: it would not be used
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    for base in CERTS_DIRS:
        d = base / host
        if not d.is_dir():
            continue
        for crt in sorted(d.glob("*.crt")):
            if verify:
                ctx.load_verify_locations(str(crt))
        for cert in sorted(d.glob("*.cert")):
            key = cert.with_suffix(".key")
            if key.exists():
                ctx.load_cert_chain(str(cert), str(key))
        break
    return ctx


class Response:
    """A response whose body is read on demand; close() returns the connection."""

    def __init__(self, session: Session, key: tuple[str, str], conn: Any, resp: Any, url: str):
        self._session = session
        self._key = key
        self._conn = conn
        self._resp = resp
        self.url = url
        self.status: int = resp.status
        self.reason: str = resp.reason
        self.headers = resp.headers

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)

    def header_all(self, name: str) -> list[str]:
        return self.headers.get_all(name) or []

    def read(self, limit: int = 64 << 20) -> bytes:
        data = self._resp.read(limit + 1)
        if len(data) > limit:
            self.close(reuse=False)
            raise ConnectError(f"{self.url}: response larger than {limit} bytes")
        self.close()
        return data

    def read_chunk(self, n: int = _CHUNK) -> bytes:
        try:
            return self._resp.read(n)
        except (OSError, http.client.HTTPException) as exc:
            self.close(reuse=False)
            raise connect_error("GET", self.url, self._key[1], exc) from None

    def iter_chunks(self, n: int = _CHUNK) -> Iterator[bytes]:
        while chunk := self.read_chunk(n):
            yield chunk
        self.close()

    def drain(self) -> None:
        try:
            self._resp.read(1 << 16)
        except (OSError, http.client.HTTPException):
            self.close(reuse=False)
            return
        self.close(reuse=self._resp.isclosed())

    def close(self, reuse: bool = True) -> None:
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        if reuse and self._resp.isclosed() and not self._resp.will_close:
            self._session._release(self._key, conn)
        else:
            conn.close()


class Session:
    """Connections per (scheme, host) for one pull or push; safe to share among threads."""

    def __init__(self, tls_verify: Mapping[str, bool] | None = None) -> None:
        self._idle: dict[tuple[str, str], list[Any]] = {}
        self._lock = threading.Lock()
        self.tls_verify = dict(tls_verify or {})

    def _connect(self, key: tuple[str, str]) -> Any:
        scheme, host = key
        proxy = proxy_for(scheme, host)
        if scheme == "https":
            verify = self.tls_verify.get(host, True)
            ctx = ssl_context(host, verify)
            if proxy is None:
                return http.client.HTTPSConnection(host, timeout=CONNECT_TIMEOUT, context=ctx)
            conn = http.client.HTTPSConnection(proxy[0], timeout=CONNECT_TIMEOUT, context=ctx)
            conn.set_tunnel(host, headers={"Proxy-Authorization": proxy[1]} if proxy[1] else None)
            return conn
        if proxy is None:
            return http.client.HTTPConnection(host, timeout=CONNECT_TIMEOUT)
        conn = http.client.HTTPConnection(proxy[0], timeout=CONNECT_TIMEOUT)
        conn.dy_forward = (host, proxy[1])  # type: ignore[attr-defined]
        return conn

    def _take(self, key: tuple[str, str]) -> tuple[Any, bool]:
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                return idle.pop(), True
        return self._connect(key), False

    def _release(self, key: tuple[str, str], conn: Any) -> None:
        with self._lock:
            self._idle.setdefault(key, []).append(conn)

    def close(self) -> None:
        with self._lock:
            conns = [c for v in self._idle.values() for c in v]
            self._idle.clear()
        for c in conns:
            c.close()

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | BinaryIO | None = None,
        follow: bool = True,
        length: int | None = None,
    ) -> Response:
        """Send one request; a file body is streamed (with Content-Length `length`)."""
        hdrs = {"User-Agent": USER_AGENT, **(headers or {})}
        for _ in range(_MAX_REDIRECTS + 1):
            resp = self._send(method, url, hdrs, body, length)
            if follow and method in ("GET", "HEAD") and resp.status in (301, 302, 303, 307, 308):
                location = resp.header("Location") or ""
                resp.drain()
                new = urllib.parse.urljoin(url, location)
                if urllib.parse.urlsplit(new).netloc != urllib.parse.urlsplit(url).netloc:
                    hdrs.pop("Authorization", None)  # credentials stay with their host
                url = new
                continue
            return resp
        raise ConnectError(f'{method_word(method)} "{url}": stopped after 10 redirects')

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | BinaryIO | None,
        length: int | None,
    ) -> Response:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConnectError(f'{method_word(method)} "{url}": unsupported protocol scheme')
        key = (parts.scheme, parts.netloc)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        hdrs = dict(headers)
        if isinstance(body, bytes | bytearray):
            hdrs["Content-Length"] = str(len(body))
        elif body is not None and length is not None:
            hdrs["Content-Length"] = str(length)
        elif body is None and method in ("PUT", "POST", "PATCH"):
            hdrs["Content-Length"] = "0"
        start = (
            body.tell()
            if body is not None
            and hasattr(body, "tell")
            and not isinstance(body, bytes | bytearray)
            else None
        )
        for attempt in (0, 1):
            conn, reused = self._take(key)
            try:
                if conn.sock is None:
                    conn.connect()
                    conn.sock.settimeout(READ_TIMEOUT)
                forward = getattr(conn, "dy_forward", None)
                if forward is None:
                    conn.putrequest(method, path, skip_accept_encoding=True)
                else:  # plain http through a proxy: absolute URI
                    conn.putrequest(
                        method,
                        f"http://{forward[0]}{path}",
                        skip_host=True,
                        skip_accept_encoding=True,
                    )
                    conn.putheader("Host", forward[0])
                    if forward[1]:
                        conn.putheader("Proxy-Authorization", forward[1])
                for k, v in hdrs.items():
                    conn.putheader(k, v)
                conn.endheaders()
                if isinstance(body, bytes | bytearray):
                    conn.send(body)
                elif body is not None:
                    while data := body.read(_CHUNK):  # type: ignore[union-attr]
                        conn.send(data)
                resp = conn.getresponse()
            except (OSError, UnicodeError, http.client.HTTPException) as exc:
                conn.close()
                retry = (
                    reused
                    and attempt == 0
                    and (body is None or isinstance(body, bytes | bytearray) or start is not None)
                )
                if retry:
                    if start is not None:
                        body.seek(start)  # type: ignore[union-attr]
                    continue
                raise connect_error(method, url, parts.netloc, exc) from None
            return Response(self, key, conn, resp, url)
        raise AssertionError("unreachable")


def env_flag(name: str) -> str | None:
    value = os.environ.get(name)
    return value.strip() if value is not None else None
