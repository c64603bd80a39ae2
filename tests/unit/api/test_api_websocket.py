"""RFC 6455 pieces: handshake checks, the frame codec and the stream adapter."""

from __future__ import annotations

import asyncio
import struct

import pytest

from dockyard.api.websocket import (
    BINARY,
    CLOSE,
    PING,
    PONG,
    TEXT,
    FrameDecoder,
    ProtocolError,
    WebSocket,
    accept_key,
    encode_frame,
    handshake_problem,
    handshake_response,
)

GOOD = {
    "upgrade": "websocket",
    "connection": "keep-alive, Upgrade",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-version": "13",
}


def test_accept_key_is_the_rfc_example() -> None:
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


@pytest.mark.parametrize(
    ("method", "change", "answer"),
    [
        ("GET", {}, None),
        ("POST", {}, (405, "bad method")),
        ("GET", {"upgrade": "tcp"}, (400, "not websocket protocol")),
        ("GET", {"connection": "close"}, (400, "not websocket protocol")),
        ("GET", {"sec-websocket-key": ""}, (400, "mismatch challenge/response")),
        ("GET", {"sec-websocket-version": "8"}, (400, "missing or bad WebSocket Version")),
    ],
)
def test_handshake_checks(method: str, change: dict[str, str], answer: object) -> None:
    assert handshake_problem(method, {**GOOD, **change}) == answer


def test_handshake_response_picks_the_first_protocol() -> None:
    head = handshake_response({**GOOD, "sec-websocket-protocol": "base64, binary"})
    assert head[0] == "HTTP/1.1 101 Switching Protocols"
    assert "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head
    assert head[-1] == "Sec-WebSocket-Protocol: base64"


@pytest.mark.parametrize("size", [0, 5, 125, 126, 65535, 65536, 70000])
@pytest.mark.parametrize("mask", [None, b"\x01\x02\x03\x04"])
def test_frames_round_trip_in_pieces(size: int, mask: bytes | None) -> None:
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    data = encode_frame(BINARY, payload, mask) + encode_frame(TEXT, b"end", mask)
    dec = FrameDecoder()
    frames = []
    for i in range(0, len(data), 1000):  # split anywhere, even inside the header
        frames += dec.feed(data[i : i + 1000])
    assert [(f.opcode, f.payload) for f in frames] == [(BINARY, payload), (TEXT, b"end")]
    assert all(f.fin for f in frames)


def test_length_encodings() -> None:
    assert encode_frame(TEXT, b"x" * 125)[:2] == b"\x81\x7d"
    assert encode_frame(TEXT, b"x" * 126)[:4] == b"\x81\x7e\x00\x7e"
    assert encode_frame(BINARY, b"x" * 65536)[:10] == b"\x82\x7f" + struct.pack("!Q", 65536)


def test_reserved_bits_are_an_error() -> None:
    with pytest.raises(ProtocolError):
        FrameDecoder().feed(b"\xc1\x00")


class Sink:
    def __init__(self) -> None:
        self.data = b""
        self.closed = False

    def write(self, data: bytes) -> None:
        self.data += data

    async def drain(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def test_adapter_reads_data_answers_ping_and_ends_on_close() -> None:
    async def go() -> tuple[list[bytes], Sink]:
        reader = asyncio.StreamReader()
        mask = b"\x0a\x0b\x0c\x0d"
        reader.feed_data(
            encode_frame(TEXT, b"hello\n", mask)
            + encode_frame(PING, b"p", mask)
            + encode_frame(BINARY, b"abcdef", mask)
            + encode_frame(CLOSE, struct.pack("!H", 1001), mask)
        )
        sink = Sink()
        ws = WebSocket(reader, sink, BINARY)  # type: ignore[arg-type]
        got = [await ws.read(4), await ws.read(100), await ws.read(100), await ws.read(100)]
        ws.write(b"out")  # after the close handshake nothing more is sent
        ws.close()
        return got, sink

    got, sink = asyncio.run(go())
    assert got == [b"hell", b"o\n", b"abcdef", b""]
    frames = FrameDecoder().feed(sink.data)
    assert [(f.opcode, f.payload) for f in frames] == [
        (PONG, b"p"),
        (CLOSE, struct.pack("!H", 1001)),
    ]
    assert sink.closed


def test_adapter_writes_frames_of_its_type_and_closes_normally() -> None:
    async def go() -> Sink:
        reader = asyncio.StreamReader()
        reader.feed_eof()
        sink = Sink()
        ws = WebSocket(reader, sink, TEXT)  # type: ignore[arg-type]
        ws.write(b"line\n")
        ws.write(b"")
        assert await ws.read() == b""
        ws.close()
        return sink

    frames = FrameDecoder().feed(asyncio.run(go()).data)
    assert [(f.opcode, f.payload) for f in frames] == [(TEXT, b"line\n"), (CLOSE, b"\x03\xe8")]
