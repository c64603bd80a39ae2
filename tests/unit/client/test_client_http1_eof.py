"""A response cut by a dying daemon is an error, not a clean end (issue 16, item 2)."""

from __future__ import annotations

import socket

import pytest

from dockyard.client.http1 import HTTPResponse, UnexpectedEOF

CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


def response(raw: bytes) -> HTTPResponse:
    ours, theirs = socket.socketpair()
    theirs.sendall(raw)
    theirs.close()
    try:
        return HTTPResponse(ours, "GET")
    finally:
        ours.close()


@pytest.mark.parametrize(
    "raw",
    [
        CHUNKED + b"5\r\nhello\r\n",  # cut between chunks: no terminating 0 chunk
        CHUNKED + b"5\r\nhel",  # cut inside a chunk
        CHUNKED + b"5\r",  # cut inside a size line
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
    ],
)
def test_cut_bodies_raise_unexpected_eof(raw: bytes) -> None:
    with pytest.raises(UnexpectedEOF, match="unexpected EOF"):
        response(raw).read()


def test_no_response_at_all_is_unexpected_eof() -> None:
    with pytest.raises(UnexpectedEOF):
        response(b"")


def test_complete_bodies_still_read() -> None:
    assert response(CHUNKED + b"5\r\nhello\r\n0\r\n\r\n").read() == b"hello"
    assert response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").read() == b"ok"
    assert (
        response(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nto the end").read() == b"to the end"
    )
