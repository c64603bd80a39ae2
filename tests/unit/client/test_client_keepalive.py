"""A connection whose answer was read whole serves the next request (keep-alive); one the
daemon closed, answered with `Connection: close`, or left half read does not."""

from __future__ import annotations

import socket
import threading

import pytest

from dockyard.client.api import Client


class Server:
    """A unix-socket HTTP server answering from a list; records connections and requests."""

    def __init__(self, path: str, answers: list[bytes], close_after: set[int]) -> None:
        self.answers = answers
        self.close_after = close_after  # answer numbers after which it hangs up
        self.connections = 0
        self.requests: list[bytes] = []
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(8)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            self.connections += 1
            data = b""
            while True:
                while b"\r\n\r\n" not in data:
                    more = conn.recv(4096)
                    if not more:
                        conn.close()
                        break
                    data += more
                else:
                    head, _, data = data.partition(b"\r\n\r\n")
                    self.requests.append(head)
                    n = len(self.requests) - 1
                    conn.sendall(self.answers[n])
                    if n in self.close_after:
                        conn.close()
                        break
                    continue
                break

    def close(self) -> None:
        self.srv.close()


def _ok(body: bytes = b"{}", extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


@pytest.fixture
def serve(tmp_path):
    made: list[Server] = []

    def make(answers: list[bytes], close_after: set[int] | None = None) -> tuple[Server, Client]:
        path = str(tmp_path / f"d{len(made)}.sock")
        server = Server(path, answers, close_after or set())
        made.append(server)
        return server, Client("unix://" + path)

    yield make
    for server in made:
        server.close()


def test_requests_read_whole_share_one_connection(serve) -> None:
    server, client = serve([_ok(b'{"a": 1}'), b"HTTP/1.1 204 No Content\r\n\r\n", _ok()])
    assert client.get("/x") == {"a": 1}
    assert client.request("POST", "/z").read() == b""
    assert client.get("/w") == {}
    assert server.connections == 1 and len(server.requests) == 3
    client.close()


def test_no_reuse_after_a_chunked_stream(serve) -> None:
    # dockyardd hangs up after a streamed answer (POST /wait): a request sent on that
    # connection meanwhile would be reset
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
    server, client = serve([chunked, _ok()])
    assert client.get("/wait") == {}
    assert client.get("/y") == {}
    assert server.connections == 2


def test_a_connection_the_daemon_closed_is_not_reused(serve) -> None:
    server, client = serve([_ok(), _ok(b"[1]")], close_after={0})
    assert client.get("/x") == {}
    threading.Event().wait(0.05)  # the server's close has arrived
    assert client.get("/y") == [1]
    assert server.connections == 2


@pytest.mark.parametrize(
    "first",
    [
        _ok(extra=b"Connection: close\r\n"),
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}",
    ],
)
def test_no_reuse_when_the_answer_says_so(serve, first: bytes) -> None:
    server, client = serve([first, _ok()])
    client.get("/x")
    client.get("/y")
    assert server.connections == 2


def test_a_body_left_unread_spoils_the_connection(serve) -> None:
    server, client = serve([_ok(b"[1, 2, 3]"), _ok()])
    resp = client.request("GET", "/x")
    chunks = resp.iter_chunks(2)
    assert next(chunks) == b"[1"
    chunks.close()
    assert client.get("/y") == {}
    assert server.connections == 2


def test_errors_are_read_whole_and_the_connection_kept(serve) -> None:
    from dockyard.client.api import APIError

    missing = b'{"message": "No such container: x"}'
    server, client = serve([b"HTTP/1.1 404 Not Found\r\nContent-Length: %d\r\n\r\n%s" % (len(missing), missing), _ok()])  # fmt: skip
    with pytest.raises(APIError, match="No such container"):
        client.get("/containers/x/json")
    assert client.get("/y") == {}
    assert server.connections == 1


def test_the_docker_host_probe_connection_serves_the_command(serve, monkeypatch) -> None:
    # DOCKER_HOST alone: resolve_host pings it to learn it is a dockyard daemon; the
    # command's requests then go over that same connection, not a second one
    from dockyard.client.api import client_for, resolve_host

    server, probe = serve([_ok(b"OK", b"Server: dockyard/1\r\n"), _ok(b'{"Id": "x"}')])
    monkeypatch.delenv("DOCKYARD_HOST", raising=False)
    monkeypatch.setenv("DOCKER_HOST", probe.host)
    assert resolve_host(None) == probe.host
    client = client_for(probe.host)
    assert client.timeout is None
    assert client.post("/containers/create") == {"Id": "x"}
    assert server.connections == 1 and len(server.requests) == 2
    assert client_for(probe.host) is not client  # taken once
    client.close()
