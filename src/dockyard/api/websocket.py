"""RFC 6455 websocket, server side: the handshake check, frame codec and a stream adapter.

The codec is sans-IO (bytes in, frames out) so it is tested without sockets; `WebSocket`
adapts it to the reader/writer pair the attach session uses. The handshake answers follow
golang.org/x/net/websocket, which Docker serves /containers/{id}/attach/ws with.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import struct
from dataclasses import dataclass

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
CLOSE_NORMAL = 1000
MAX_FRAME = 16 * 1024 * 1024


def accept_key(key: str) -> str:
    digest = hashlib.sha1((key + GUID).encode()).digest()
    return base64.b64encode(digest).decode()


def handshake_problem(method: str, headers: dict[str, str]) -> tuple[int, str] | None:
    """(status, text) when the request is not a websocket upgrade we accept, as x/net/websocket
    answers (hybiServerHandshaker.ReadHandshake); headers are keyed in lower case."""
    if method != "GET":
        return 405, "bad method"
    if (
        headers.get("upgrade", "").lower() != "websocket"
        or "upgrade" not in headers.get("connection", "").lower()
    ):
        return 400, "not websocket protocol"
    if not headers.get("sec-websocket-key"):
        return 400, "mismatch challenge/response"
    if headers.get("sec-websocket-version") != "13":
        return 400, "missing or bad WebSocket Version"
    return None


def handshake_response(headers: dict[str, str]) -> list[str]:
    """Status line and headers of the 101 answer."""
    head = [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Accept: " + accept_key(headers["sec-websocket-key"]),
    ]
    protocols = [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",")]
    if protocols[0]:
        head.append("Sec-WebSocket-Protocol: " + protocols[0])
    return head


def encode_frame(opcode: int, payload: bytes, mask: bytes | None = None) -> bytes:
    """One final frame; servers send unmasked frames, clients pass a 4-byte mask."""
    n = len(payload)
    mask_bit = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, mask_bit | n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, mask_bit | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, mask_bit | 127, n)
    if mask:
        return head + mask + _unmask(payload, mask)
    return head + payload


def _unmask(data: bytes, mask: bytes) -> bytes:
    if not data:
        return data
    key = int.from_bytes((mask * (len(data) // 4 + 1))[: len(data)], "big")
    return (int.from_bytes(data, "big") ^ key).to_bytes(len(data), "big")


class ProtocolError(Exception):
    pass


@dataclass
class Frame:
    fin: bool
    opcode: int
    payload: bytes


class FrameDecoder:
    """Feed bytes, get whole frames (masked or not)."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Frame]:
        self._buf += data
        frames = []
        while True:
            frame = self._next()
            if frame is None:
                return frames
            frames.append(frame)

    def _next(self) -> Frame | None:
        buf = self._buf
        if len(buf) < 2:
            return None
        b0, b1 = buf[0], buf[1]
        if b0 & 0x70:
            raise ProtocolError("reserved bits set without an extension")
        n = b1 & 0x7F
        pos = 2
        if n == 126:
            if len(buf) < 4:
                return None
            (n,) = struct.unpack_from("!H", buf, 2)
            pos = 4
        elif n == 127:
            if len(buf) < 10:
                return None
            (n,) = struct.unpack_from("!Q", buf, 2)
            pos = 10
        if n > MAX_FRAME:
            raise ProtocolError(f"frame of {n} bytes is too large")
        mask = b""
        if b1 & 0x80:
            if len(buf) < pos + 4:
                return None
            mask = bytes(buf[pos : pos + 4])
            pos += 4
        if len(buf) < pos + n:
            return None
        payload = bytes(buf[pos : pos + n])
        del buf[: pos + n]
        return Frame(bool(b0 & 0x80), b0 & 0x0F, _unmask(payload, mask) if mask else payload)


class WebSocket:
    """Message payloads as a byte stream: read() gives data, write() sends one frame.

    Pings are answered, a close frame ends the stream (read() returns b"") and is echoed.
    """

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, opcode: int = BINARY
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._opcode = opcode
        self._decoder = FrameDecoder()
        self._pending: list[bytes] = []
        self._eof = False
        self._closed = False

    async def read(self, n: int = -1) -> bytes:
        while not self._pending and not self._eof:
            data = await self._reader.read(64 * 1024)
            if not data:
                self._eof = True
                break
            for frame in self._decoder.feed(data):
                self._handle(frame)
        if not self._pending:
            return b""
        chunk = self._pending.pop(0)
        if 0 < n < len(chunk):
            self._pending.insert(0, chunk[n:])
            chunk = chunk[:n]
        return chunk

    def _handle(self, frame: Frame) -> None:
        if frame.opcode in (CONTINUATION, TEXT, BINARY):
            if frame.payload:
                self._pending.append(frame.payload)
        elif frame.opcode == PING:
            self._writer.write(encode_frame(PONG, frame.payload))
        elif frame.opcode == CLOSE:
            self._eof = True
            self._send_close(frame.payload[:2])
        elif frame.opcode != PONG:
            raise ProtocolError(f"unknown opcode {frame.opcode}")

    def _send_close(self, status: bytes) -> None:
        if not self._closed:
            self._closed = True
            self._writer.write(encode_frame(CLOSE, status))

    def write(self, data: bytes) -> None:
        if data and not self._closed:
            self._writer.write(encode_frame(self._opcode, data))

    async def drain(self) -> None:
        await self._writer.drain()

    def close(self) -> None:
        self._send_close(struct.pack("!H", CLOSE_NORMAL))
        self._writer.close()
