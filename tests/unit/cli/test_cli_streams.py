"""stdcopy demultiplexing and the attach session over a socketpair."""

import os
import socket
import struct
import threading

import pytest

from dockyard.cli.streams import Session, StreamError, copy_frames


def frame(stream: int, data: bytes) -> bytes:
    return struct.pack(">BxxxI", stream, len(data)) + data


def test_copy_frames_routes_stdout_and_stderr(tmp_path):
    out = open(tmp_path / "out", "wb+")
    err = open(tmp_path / "err", "wb+")
    chunks = [frame(1, b"hello "), frame(2, b"oops\n") + frame(1, b"world\n")]
    copy_frames(iter(chunks), tty=False, out_fd=out.fileno(), err_fd=err.fileno())
    out.seek(0)
    err.seek(0)
    assert out.read() == b"hello world\n"
    assert err.read() == b"oops\n"


def test_copy_frames_raw_with_tty(tmp_path):
    out = open(tmp_path / "out", "wb+")
    copy_frames(iter([b"\x01\x00raw"]), tty=True, out_fd=out.fileno())
    out.seek(0)
    assert out.read() == b"\x01\x00raw"


def test_system_error_frame_raises():
    with pytest.raises(StreamError, match="boom"):
        copy_frames(iter([frame(3, b"boom")]), tty=False)


def _pipe_session(tty: bool, stdin_data: bytes, daemon):
    ours, theirs = socket.socketpair()
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    os.write(in_w, stdin_data)
    os.close(in_w)
    t = threading.Thread(target=daemon, args=(theirs,))
    t.start()
    session = Session(ours, tty=tty, stdin=True, in_fd=in_r, out_fd=out_w, err_fd=err_w)
    detached = session.run()
    t.join(5)
    os.close(out_w)
    os.close(err_w)
    out = os.read(out_r, 1 << 20)
    err = os.read(err_r, 1 << 20)
    return detached, out, err


def test_session_echo_then_stdin_eof_half_closes():
    def daemon(sock):
        data = b""
        while chunk := sock.recv(100):
            data += chunk  # reads until the CLI half-closes on stdin EOF
        sock.sendall(frame(1, data.upper()) + frame(2, b"e"))
        sock.close()

    detached, out, err = _pipe_session(False, b"hello", daemon)
    assert (detached, out, err) == (False, b"HELLO", b"e")


def test_session_detach_keys_with_tty():
    seen = []

    def daemon(sock):
        while chunk := sock.recv(100):
            seen.append(chunk)
        sock.close()

    detached, out, _ = _pipe_session(True, b"ls\x10\x11more", daemon)
    assert detached is True
    # the keys go on to the daemon (it detaches too); nothing after them is sent
    assert b"".join(seen) == b"ls\x10\x11"
