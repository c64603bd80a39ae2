"""GET /containers/{id}/attach/ws: a real websocket to a running container's stdin/stdout."""

from __future__ import annotations

import base64
import os
import socket
import struct
import time
from typing import Any

import pytest
from testing.flowkit import Cli, Resources  # noqa: E402

from dockyard.api.websocket import (  # noqa: E402
    BINARY,
    CLOSE,
    TEXT,
    FrameDecoder,
    accept_key,
    encode_frame,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]

MASK = b"\x11\x22\x33\x44"


def upgrade(daemon: Any, target: str, key: str = "") -> tuple[socket.socket, bytes, bytes]:
    """Send the handshake; return the socket, the response head and bytes read past it."""
    key = key or base64.b64encode(os.urandom(16)).decode()
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(str(daemon.socket))
    s.sendall(
        f"GET {target} HTTP/1.1\r\nHost: docker\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return s, head, rest


def read_frames(s: socket.socket, rest: bytes, until: bytes, timeout: float = 10) -> list[Any]:
    dec = FrameDecoder()
    frames = dec.feed(rest)
    deadline = time.monotonic() + timeout
    while until not in b"".join(f.payload for f in frames) and time.monotonic() < deadline:
        chunk = s.recv(4096)
        if not chunk:
            break
        frames += dec.feed(chunk)
    return frames


def test_ws_attach_streams_output_and_forwards_input(cli: Cli, res: Resources) -> None:
    if cli.tool != "dockyard":
        pytest.skip("one client is enough: the websocket is spoken by the test itself")
    name = res.container("ws")
    cli.ok("run", "-d", "-i", "--name", name, "busybox", "sh", "-c", "echo ready; cat")
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    s, head, rest = upgrade(
        cli.daemon, f"/v1.45/containers/{name}/attach/ws?stream=1&stdin=1&stdout=1&logs=1", key
    )
    try:
        assert head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n"), head
        assert f"Sec-WebSocket-Accept: {accept_key(key)}".encode() in head
        frames = read_frames(s, rest, b"ready\n")
        assert b"".join(f.payload for f in frames) == b"ready\n"
        assert {f.opcode for f in frames} == {BINARY}
        s.sendall(encode_frame(TEXT, b"hello ws\n", MASK))
        frames = read_frames(s, b"", b"hello ws\n")
        assert b"".join(f.payload for f in frames) == b"hello ws\n"  # raw, not multiplexed
        s.sendall(encode_frame(CLOSE, struct.pack("!H", 1000), MASK))
        closing = read_frames(s, b"", b"\x03\xe8")
        assert closing and closing[-1].opcode == CLOSE
    finally:
        s.close()
    assert cli.state(name) == "running"  # closing the socket ends the session, not the container


def test_ws_attach_old_api_sends_text_frames(cli: Cli, res: Resources) -> None:
    if cli.tool != "dockyard":
        pytest.skip("one client is enough")
    name = res.container("wstext")
    cli.ok("run", "-d", "-i", "--name", name, "busybox", "sh", "-c", "echo one; cat")
    s, head, rest = upgrade(cli.daemon, f"/v1.27/containers/{name}/attach/ws?stream=1&logs=1")
    try:
        assert head.startswith(b"HTTP/1.1 101 ")
        frames = read_frames(s, rest, b"one\n")
        assert [(f.opcode, f.payload) for f in frames] == [(TEXT, b"one\n")]
    finally:
        s.close()


def test_ws_attach_errors(cli: Cli, res: Resources) -> None:
    if cli.tool != "dockyard":
        pytest.skip("one client is enough")
    s, head, rest = upgrade(cli.daemon, "/containers/no-such-ctr/attach/ws")
    # The body may come in a later segment than the head: read it to its declared length.
    length = int(next(
        (line.split(b":", 1)[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
        b"0",
    ))  # fmt: skip
    while len(rest) < length and (chunk := s.recv(4096)):
        rest += chunk
    s.close()
    assert head.startswith(b"HTTP/1.1 404 ")
    assert b"No such container: no-such-ctr" in rest
    name = res.container("wsbad")
    cli.ok("create", "--name", name, "busybox", "true")
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(str(cli.daemon.socket))
    s.sendall(
        f"GET /containers/{name}/attach/ws HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    )
    data = b""
    while chunk := s.recv(4096):
        data += chunk
    s.close()
    assert data.startswith(b"HTTP/1.1 400 ") and data.endswith(b"not websocket protocol")
