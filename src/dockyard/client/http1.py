"""A minimal HTTP/1.1 client connection for the Engine API.

Why not http.client: it imports the email package (about 25 ms), paid by every CLI command.
This speaks just what the daemon needs: a request with a fixed or chunked body, and a
response read by Content-Length, chunked encoding or until the connection closes.
It keeps http.client's method names so callers read the same. Sockets come from `_socket`
and are read through a small buffer of our own: the `socket` module imports enum and
selectors, and `makefile()` the io stack, about 5 ms of every command's start-up.
"""

from __future__ import annotations

import _socket

TYPE_CHECKING = False  # typing and socket cost milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from _socket import socket


class _Reader:
    """Buffered reads from a socket: what `makefile("rb")` gave (readline, read1)."""

    def __init__(self, sock: socket) -> None:
        self._sock = sock
        self._buf = b""
        self._pos = 0  # bytes of _buf already handed out

    def _fill(self) -> bool:
        data = self._sock.recv(65536)
        self._buf = self._buf[self._pos :] + data
        self._pos = 0
        return bool(data)

    def readline(self, limit: int) -> bytes:
        searched = self._pos
        while True:
            end = self._buf.find(b"\n", searched, self._pos + limit)
            if end >= 0:
                return self._take(end + 1 - self._pos)
            unread = len(self._buf) - self._pos
            if unread >= limit:
                return self._take(limit)
            if not self._fill():
                return self._take(unread)
            searched = unread  # _fill put the unread bytes first

    def read1(self, n: int) -> bytes:
        if self._pos >= len(self._buf):
            self._fill()
        return self._take(n)

    def _take(self, n: int) -> bytes:
        out = self._buf[self._pos : self._pos + n]
        self._pos += len(out)
        return out

    def drained(self) -> bool:
        return self._pos >= len(self._buf)

    def close(self) -> None:
        self._buf, self._pos = b"", 0  # the socket stays open: its connection closes it


class Headers:
    """Response headers, looked up without regard to case."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs
        self._map = {k.lower(): v for k, v in pairs}

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._map.get(name.lower(), default)

    def __getitem__(self, name: str) -> str:
        return self._map[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._map

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs)


class UnexpectedEOF(ConnectionError):
    """The daemon closed the connection in the middle of a response body (it died)."""

    def __init__(self) -> None:
        super().__init__("unexpected EOF")


class HTTPResponse:
    def __init__(self, sock: socket, method: str) -> None:
        self._file = _Reader(sock)
        line = self._file.readline(65537)
        if not line:
            raise UnexpectedEOF()  # the daemon closed the connection (died) before answering
        parts = line.decode("latin-1").split(None, 2)
        self.version = parts[0]
        self.status = int(parts[1])
        self.reason = parts[2].strip() if len(parts) > 2 else ""
        pairs = []
        while True:
            h = self._file.readline(65537)
            if h in (b"\r\n", b"\n", b""):
                break
            name, _, value = h.decode("latin-1").partition(":")
            pairs.append((name.strip(), value.strip()))
        self.headers = Headers(pairs)
        self._chunked = "chunked" in (self.headers.get("transfer-encoding") or "").lower()
        length = self.headers.get("content-length")
        self._left: int | None = int(length) if length and not self._chunked else None
        if method == "HEAD" or self.status in (204, 304) or 100 <= self.status < 200:
            self._left = 0
            self._chunked = False
        self._chunk_left = 0
        self._done = self._left == 0
        # The connection can carry another request once this body is read. Not after a
        # chunked body: dockyardd streams those (wait, logs, events) and hangs up after them.
        self._keep = (
            self.version == "HTTP/1.1"
            and self._left is not None
            and not self._chunked
            and self.status != 101
            and "close" not in (self.headers.get("connection") or "").lower()
        )

    def reusable(self) -> bool:
        """The whole body was read, nothing more, and the server keeps the connection open."""
        return self._done and self._keep and self._file.drained()

    def read1(self, n: int = 65536) -> bytes:
        """Up to n bytes of body, as soon as some are there; b"" at the end."""
        if self._done:
            return b""
        if self._chunked:
            if self._chunk_left == 0:
                size_line = self._file.readline(65537)
                if not size_line.endswith(b"\n"):
                    raise UnexpectedEOF()  # no terminating chunk: the stream was cut
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self._file.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    self._done = True
                    return b""
                self._chunk_left = size
            data = self._file.read1(min(n, self._chunk_left))
            if not data:
                raise UnexpectedEOF()
            self._chunk_left -= len(data)
            if self._chunk_left == 0:
                self._file.readline(65537)  # the CRLF after each chunk
            return data
        want = n if self._left is None else min(n, self._left)
        data = self._file.read1(want)
        if not data:
            if self._left:
                raise UnexpectedEOF()  # fewer bytes than Content-Length announced
            self._done = True
            return b""
        if self._left is not None:
            self._left -= len(data)
            self._done = self._left == 0
        return data

    def read(self, n: int = -1) -> bytes:
        if n >= 0:
            out = bytearray()
            while len(out) < n:
                data = self.read1(n - len(out))
                if not data:
                    break
                out += data
            return bytes(out)
        parts = []
        while data := self.read1(1 << 20):
            parts.append(data)
        return b"".join(parts)

    def close(self) -> None:
        self._keep = self._keep and self._done  # a body left unread spoils the connection
        self._done = True
        self._file.close()


class HTTPConnection:
    """One connection; `connect()` is overridden by the unix-socket variant."""

    def __init__(self, host: str, port: int | None = None, timeout: float | None = None) -> None:
        self.host = host
        self.port = port or 80
        self.timeout = timeout
        self.sock: socket | None = None
        self._buf: list[bytes] = []
        self._method = "GET"
        self._response: HTTPResponse | None = None

    def connect(self) -> None:
        import socket  # TCP only: a unix socket needs none of its name resolution

        self.sock = socket.create_connection((self.host, self.port), self.timeout)

    def putrequest(self, method: str, url: str, skip_accept_encoding: bool = False) -> None:
        self._method = method
        self._buf = [f"{method} {url} HTTP/1.1\r\nHost: {self.host}\r\n".encode("latin-1")]

    def putheader(self, name: str, value: str) -> None:
        self._buf.append(f"{name}: {value}\r\n".encode("latin-1"))

    def endheaders(self) -> None:
        if self.sock is None:
            self.connect()
        assert self.sock is not None
        self._buf.append(b"\r\n")
        self.sock.sendall(b"".join(self._buf))
        self._buf = []

    def send(self, data: bytes) -> None:
        assert self.sock is not None
        self.sock.sendall(data)

    def still_open(self) -> bool:
        """An idle connection the server has not closed (nor written to) meanwhile."""
        sock = self.sock
        if sock is None:
            return False
        timeout = sock.gettimeout()
        sock.settimeout(0.0)
        try:
            sock.recv(1, _socket.MSG_PEEK)  # b"": the server closed it; bytes: unexpected
            return False
        except BlockingIOError:
            return True
        except OSError:
            return False
        finally:
            sock.settimeout(timeout)

    def getresponse(self) -> HTTPResponse:
        assert self.sock is not None
        self._response = HTTPResponse(self.sock, self._method)
        return self._response

    def close(self) -> None:
        if self._response is not None:
            self._response.close()
            self._response = None
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None
