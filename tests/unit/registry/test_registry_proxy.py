"""HTTP(S)_PROXY: registry traffic goes through a proxy (CONNECT for https, absolute URIs
for http); loopback and NO_PROXY hosts go direct. The proxy and registry are on 127.0.0.1;
"registry.test" exists only inside the proxy, which maps it to 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
from testing.images import make_service
from testing.registry import FakeRegistry, make_layer

from dockyard.common.reference import parse_normalized
from dockyard.distribution.service import DistributionService
from dockyard.registry.remote import RegistrySettings


class TinyProxy:
    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.seen: list[str] = []
        self.auth: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self) -> None:
        self.sock.close()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            if not chunk:
                conn.close()
                return
            head += chunk
        first = head.split(b"\r\n", 1)[0].decode()
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"proxy-authorization:"):
                self.auth.append(line.split(b":", 1)[1].strip().decode())
        method, target, _ = first.split(" ", 2)
        if method == "CONNECT":
            hostport = target
        else:
            hostport = target.split("://", 1)[1].split("/", 1)[0]
        self.seen.append(f"{method} {hostport}")
        port = int(hostport.rsplit(":", 1)[1])
        up = socket.create_connection(("127.0.0.1", port))
        if method == "CONNECT":
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            up.sendall(head)  # the fake registry reads absolute URIs fine

        def pipe(a: socket.socket, b: socket.socket) -> None:
            try:
                while data := a.recv(65536):
                    b.sendall(data)
            except OSError:
                pass
            finally:
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        threading.Thread(target=pipe, args=(up, conn), daemon=True).start()
        pipe(conn, up)


def test_registry_through_proxy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = TinyProxy()
    try:
        with FakeRegistry() as reg:
            port = reg.server.server_address[1]
            name = f"registry.test:{port}"
            _, image_id, _ = reg.add_image("viaproxy", "1", [make_layer({"x": b"y"})])
            for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
                monkeypatch.setenv(var, f"http://pu:pp@127.0.0.1:{proxy.port}")
            monkeypatch.setenv("NO_PROXY", "nothing.example")
            monkeypatch.setenv("no_proxy", "nothing.example")
            svc, _ = make_service(tmp_path / "root")
            dist = DistributionService(svc, RegistrySettings(insecure=[name]))
            msgs: list[dict] = []
            got = dist.pull(parse_normalized(f"{name}/viaproxy:1"), None, None, msgs.append)
            assert got == image_id
            assert f"CONNECT {name}" in proxy.seen  # https first, through a tunnel
            assert any(s.startswith("GET ") for s in proxy.seen)  # then http, forwarded
            assert proxy.auth and all(a == "Basic cHU6cHA=" for a in proxy.auth)
            # loopback goes direct, whatever the proxy settings
            before = len(proxy.seen)
            svc.delete(image_id, force=True)
            assert dist.pull(parse_normalized(f"{reg.host}/viaproxy:1"), None, None, msgs.append)
            assert len(proxy.seen) == before
            # NO_PROXY: direct (checked without connecting: the name resolves nowhere)
            from dockyard.registry.transport import proxy_for

            assert proxy_for("https", name) is not None
            monkeypatch.setenv("NO_PROXY", "registry.test")
            monkeypatch.setenv("no_proxy", "registry.test")
            assert proxy_for("https", name) is None
            assert proxy_for("http", "localhost:5000") is None
    finally:
        proxy.close()
