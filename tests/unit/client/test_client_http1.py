"""The CLI's small HTTP/1.1 client: requests go out whole, every body framing reads back."""

from __future__ import annotations

import socket
import threading

import pytest

from dockyard.client.http1 import HTTPConnection


class PairConnection(HTTPConnection):
    """A connection over a socketpair whose other end replays a canned response."""

    def __init__(self, response: bytes) -> None:
        super().__init__("localhost")
        self.sock, peer = socket.socketpair()
        self.request = b""

        def serve() -> None:
            while b"\r\n\r\n" not in self.request:
                self.request += peer.recv(4096)
            peer.sendall(response)
            peer.close()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()


def roundtrip(response: bytes, method: str = "GET") -> tuple[PairConnection, object]:
    conn = PairConnection(response)
    conn.putrequest(method, "/v1.45/_ping")
    conn.putheader("Content-Length", "0")
    conn.endheaders()
    resp = conn.getresponse()
    return conn, resp


def test_request_line_and_headers() -> None:
    conn, resp = roundtrip(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK")
    conn._thread.join(5)
    assert conn.request.startswith(b"GET /v1.45/_ping HTTP/1.1\r\nHost: localhost\r\n")
    assert b"Content-Length: 0\r\n\r\n" in conn.request
    assert resp.status == 200 and resp.read() == b"OK"
    conn.close()


def test_content_length_body_and_headers_any_case() -> None:
    conn, resp = roundtrip(
        b"HTTP/1.1 404 Not Found\r\nApi-Version: 1.45\r\nContent-Length: 5\r\n\r\nhello"
    )
    assert resp.status == 404
    assert resp.headers.get("api-version") == "1.45" and resp.headers["API-VERSION"] == "1.45"
    assert resp.read() == b"hello"
    assert resp.read() == b""
    conn.close()


def test_chunked_body_streams_chunk_by_chunk() -> None:
    conn, resp = roundtrip(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n5;ext=1\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n"
    )
    assert resp.read1() == b"abc"
    assert resp.read1() == b"hello"
    assert resp.read1() == b""
    conn.close()


def test_body_until_close_and_bounded_read() -> None:
    conn, resp = roundtrip(b"HTTP/1.0 200 OK\r\n\r\nraw stream bytes")
    assert resp.read(3) == b"raw"
    assert resp.read() == b" stream bytes"
    conn.close()


@pytest.mark.parametrize(
    "head", [b"HTTP/1.1 204 No Content\r\n\r\n", b"HTTP/1.1 304 Not Modified\r\n\r\n"]
)
def test_no_body_statuses(head: bytes) -> None:
    conn, resp = roundtrip(head)
    assert resp.read() == b""
    conn.close()


def test_head_has_no_body_despite_length() -> None:
    conn, resp = roundtrip(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", method="HEAD")
    assert resp.read() == b""
    conn.close()


def test_closed_before_response() -> None:
    conn, _ = None, None
    conn = PairConnection(b"")
    conn.putrequest("GET", "/x")
    conn.endheaders()
    conn._thread.join(5)
    with pytest.raises(ConnectionError):
        conn.getresponse()
    conn.close()


def test_lines_split_across_reads_and_long_bodies() -> None:
    body = bytes(range(256)) * 1000
    head = b"HTTP/1.1 200 OK\r\nX-Long: " + b"h" * 60000 + b"\r\nContent-Length: "
    conn, resp = roundtrip(head + str(len(body)).encode() + b"\r\n\r\n" + body)
    assert resp.status == 200
    assert resp.headers.get("x-long") == "h" * 60000
    assert resp.read() == body
    conn.close()
