"""TCP is served only with TLS and client certificates, and Docker's CLI can use it."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
from daemon_harness import TestDaemon

pytestmark = pytest.mark.integration


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_pki(d: Path) -> None:
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem",
            "-out", "ca.pem", "-days", "2", "-subj", "/CN=dockyard-test-ca", cwd=d)  # fmt: skip
    for name, ext in (
        ("server", "subjectAltName=IP:127.0.0.1"),
        ("client", "extendedKeyUsage=clientAuth"),
    ):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}-key.pem",
                "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)  # fmt: skip
        (d / f"{name}.ext").write_text(ext + "\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
                "-CAcreateserial", "-out", f"{name}.pem", "-days", "2",
                "-extfile", f"{name}.ext", cwd=d)  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_tls_tcp_listener(tmp_path: Path) -> None:
    if subprocess.run(["id", "-u"], capture_output=True, text=True).stdout.strip() != "0":
        pytest.skip("needs root")
    pki = tmp_path / "pki"
    pki.mkdir()
    make_pki(pki)
    port = free_port()
    d = TestDaemon(tmp_path / "d")
    try:
        d.base.mkdir(parents=True)
        d.write_config()
        extra = {
            "hosts": [f"unix://{d.socket}", f"tcp://127.0.0.1:{port}"],
            "tlsverify": True,
            "tlscacert": str(pki / "ca.pem"),
            "tlscert": str(pki / "server.pem"),
            "tlskey": str(pki / "server-key.pem"),
        }
        d.start(extra)
        base = ["docker", "-H", f"tcp://127.0.0.1:{port}", "--tlsverify",
                f"--tlscacert={pki / 'ca.pem'}"]  # fmt: skip
        ok = subprocess.run(
            [*base, f"--tlscert={pki / 'client.pem'}", f"--tlskey={pki / 'client-key.pem'}",
             "version", "--format", "{{.Server.Platform.Name}}"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert ok.returncode == 0, ok.stderr
        assert ok.stdout.strip() == "dockyard"
        # Without a client certificate the handshake fails.
        bad = subprocess.run([*base, "version"], capture_output=True, text=True, timeout=60)
        assert bad.returncode != 0
        assert "dockyard" not in bad.stdout
    finally:
        d.stop()


def test_explicit_insecure_tcp_and_socket_group(tmp_path: Path) -> None:
    """`tls: false` (Docker's explicit opt-in) serves plain HTTP on TCP with dockerd's warning;
    the unix socket is 0660 root:<group>."""
    import grp
    import os
    import stat
    import urllib.request

    if os.geteuid() != 0:
        pytest.skip("needs root")
    port = free_port()
    group = grp.getgrgid(os.getgid()).gr_name
    d = TestDaemon(tmp_path / "d")
    try:
        d.base.mkdir(parents=True)
        d.start({"hosts": [f"unix://{d.socket}", f"tcp://127.0.0.1:{port}"], "tls": False,
                 "group": group})  # fmt: skip
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_ping", timeout=10) as resp:
            assert resp.read() == b"OK"
        assert "without --tlsverify is insecure" in d.read_log()
        st = os.stat(d.socket)
        assert stat.S_IMODE(st.st_mode) == 0o660 and st.st_uid == 0 and st.st_gid == os.getgid()
    finally:
        d.stop()
