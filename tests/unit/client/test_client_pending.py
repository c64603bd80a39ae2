"""A request sent now and answered later (run's wait before start), over a real unix socket."""

from __future__ import annotations

import socket
import threading

from dockyard import API_VERSION
from dockyard.client.api import Client


def _server(path: str, answer: bytes | None, seen: list[bytes], go: threading.Event) -> None:
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)

    def serve() -> None:
        conn, _ = srv.accept()
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(4096)
        seen.append(data)
        go.wait(5)
        if answer is not None:
            conn.sendall(answer)
        else:
            conn.recv(1)  # until the client shuts its side down
        conn.close()
        srv.close()

    threading.Thread(target=serve, daemon=True).start()


def test_send_only_sends_at_once_and_reads_the_answer_later(tmp_path) -> None:
    path = str(tmp_path / "d.sock")
    seen: list[bytes] = []
    go = threading.Event()
    body = b'{"StatusCode": 3}'
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    _server(path, answer, seen, go)
    pending = Client("unix://" + path).send_only(
        "POST", "/containers/x/wait", {"condition": "removed"}
    )
    for _ in range(200):
        if seen:
            break
        threading.Event().wait(0.01)
    assert seen and seen[0].startswith(
        f"POST /v{API_VERSION}/containers/x/wait?condition=removed HTTP/1.1\r\n".encode()
    )
    assert b"Content-Length: 0\r\n" in seen[0]
    go.set()
    assert pending.response() == (200, body)


def test_abort_unblocks_a_reader(tmp_path) -> None:
    path = str(tmp_path / "d.sock")
    go = threading.Event()
    _server(path, None, [], go)
    go.set()
    pending = Client("unix://" + path).send_only("POST", "/containers/x/wait")
    errors: list[BaseException] = []

    def read() -> None:
        try:
            pending.response()
        except Exception as exc:  # the connection went away under the reader
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    pending.abort()
    reader.join(5)
    assert not reader.is_alive()
    assert errors
