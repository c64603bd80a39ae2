"""A real docker-registry process for the registry integration tests, and subprocess
helpers they share."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

REGISTRY_BIN = shutil.which("docker-registry") or "/usr/bin/docker-registry"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RegistryServer:
    """One docker-registry process on 127.0.0.1:<free port> with its own storage."""

    def __init__(
        self,
        base: Path,
        users: dict[str, str] | None = None,
        extra_yaml: str = "",
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        self.base = base
        self.users = users or {}
        self.extra_yaml = extra_yaml  # more top-level config (e.g. an `auth: token` section)
        self.tls = tls  # (certificate, key): serve https
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> RegistryServer:
        self.base.mkdir(parents=True, exist_ok=True)
        lines = [
            "version: 0.1",
            "log:",
            "  level: warn",
            "  accesslog:",
            "    disabled: true",
            "storage:",
            "  filesystem:",
            f"    rootdirectory: {self.base / 'data'}",
            "  delete:",
            "    enabled: true",
            "http:",
            f"  addr: 127.0.0.1:{self.port}",
            "  secret: dockyard-test",
        ]
        if self.tls:
            lines += ["  tls:", f"    certificate: {self.tls[0]}", f"    key: {self.tls[1]}"]
        if self.users:
            htpasswd = self.base / "htpasswd"
            entries = []
            for user, password in self.users.items():
                out = subprocess.run(
                    ["htpasswd", "-Bbn", user, password], capture_output=True, text=True, check=True
                ).stdout.strip()
                entries.append(out)
            htpasswd.write_text("\n".join(entries) + "\n")
            lines += ["auth:", "  htpasswd:", "    realm: dockyard-test", f"    path: {htpasswd}"]
        config = self.base / "config.yml"
        config.write_text("\n".join(lines) + "\n" + self.extra_yaml)
        log = open(self.base / "registry.log", "wb")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [REGISTRY_BIN, "serve", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        import ssl

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        scheme = "https" if self.tls else "http"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((self.base / "registry.log").read_text())
            try:
                urllib.request.urlopen(
                    f"{scheme}://{self.host}/v2/", timeout=1, context=ctx if self.tls else None
                ).read()
                return self
            except urllib.error.HTTPError:
                return self  # 401: up, with auth
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("docker-registry did not answer")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.base, ignore_errors=True)


def run(
    cmd: list[str], env: dict[str, str], input: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, input=input, capture_output=True, text=True, timeout=180)


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, f"{proc.args}: {proc.stdout}\n{proc.stderr}"
    return proc.stdout
