"""A response cut by a dying daemon is an error, not a clean end (issue 16, item 2)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest

from dockyard.client.http1 import HTTPResponse, UnexpectedEOF

CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.fixture
def response() -> Iterator[Callable[[bytes], HTTPResponse]]:
    """Responses read from a socket whose peer sent `raw` and hung up (the reader reads the
    socket itself, so ours stays open until the test ends)."""
    opened: list[socket.socket] = []

    def make(raw: bytes) -> HTTPResponse:
        ours, theirs = socket.socketpair()
        opened.append(ours)
        theirs.sendall(raw)
        theirs.close()
        return HTTPResponse(ours, "GET")

    yield make
    for sock in opened:
        sock.close()


@pytest.mark.parametrize(
    "raw",
    [
        CHUNKED + b"5\r\nhello\r\n",  # cut between chunks: no terminating 0 chunk
        CHUNKED + b"5\r\nhel",  # cut inside a chunk
        CHUNKED + b"5\r",  # cut inside a size line
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
    ],
)
def test_cut_bodies_raise_unexpected_eof(response: Callable[[bytes], HTTPResponse], raw: bytes) -> None:
    with pytest.raises(UnexpectedEOF, match="unexpected EOF"):
        response(raw).read()


def test_no_response_at_all_is_unexpected_eof(response: Callable[[bytes], HTTPResponse]) -> None:
    with pytest.raises(UnexpectedEOF):
        response(b"")


def test_complete_bodies_still_read(response: Callable[[bytes], HTTPResponse]) -> None:
    assert response(CHUNKED + b"5\r\nhello\r\n0\r\n\r\n").read() == b"hello"
    assert response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").read() == b"ok"
    assert (
        response(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nto the end").read() == b"to the end"
    )
