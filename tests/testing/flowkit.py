"""Helpers shared by the end-to-end and container integration tests.

`Cli` drives a test daemon through a command-line client (the real `docker` CLI or our
`dockyard`), `Resources` remembers every container, volume, network and image a test makes
and removes them afterwards (even when the test fails), and a few pollers replace sleeps.
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

VENV_BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"
TOOLS = ("docker", "dockyard")


def tool_argv(tool: str) -> list[str]:
    if tool == "dockyard":
        exe = VENV_BIN / "dockyard"
        if not exe.exists():
            import sys

            exe = Path(sys.executable).parent / "dockyard"
        return [str(exe)]
    return [tool]


class CliError(AssertionError):
    pass


class Cli:
    """One command-line client pointed at one test daemon."""

    def __init__(self, daemon: Any, tool: str) -> None:
        self.daemon = daemon
        self.tool = tool

    def __repr__(self) -> str:
        return f"Cli({self.tool})"

    def run(
        self,
        *args: str,
        input: bytes | str | None = None,
        timeout: float = 30,
        check: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        data = input.encode() if isinstance(input, str) else input
        proc = subprocess.run(
            [*tool_argv(self.tool), *args],
            env=self.daemon.env,
            input=data,
            capture_output=True,
            timeout=timeout,
            stdin=None if data is not None else subprocess.DEVNULL,
        )
        out = subprocess.CompletedProcess(
            proc.args,
            proc.returncode,
            proc.stdout.decode(errors="replace"),
            proc.stderr.decode(errors="replace"),
        )
        if check and out.returncode != 0:
            raise CliError(
                f"{self.tool} {' '.join(args)} -> {out.returncode}\n"
                f"stdout: {out.stdout}\nstderr: {out.stderr}"
            )
        return out

    def ok(self, *args: str, input: bytes | str | None = None, timeout: float = 30) -> str:
        """Run, require exit 0, return stdout."""
        return self.run(*args, input=input, timeout=timeout, check=True).stdout

    def raw(self, *args: str, input: bytes | None = None, timeout: float = 30) -> bytes:
        """Run, require exit 0, return stdout as bytes (save, export)."""
        proc = subprocess.run(
            [*tool_argv(self.tool), *args],
            env=self.daemon.env,
            input=input,
            capture_output=True,
            timeout=timeout,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
        if proc.returncode != 0:
            raise CliError(f"{self.tool} {' '.join(args)} -> {proc.returncode}: {proc.stderr!r}")
        return proc.stdout

    def popen(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [*tool_argv(self.tool), *args],
            env=self.daemon.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def fmt(self, fmt: str, *targets: str, command: str = "inspect") -> str:
        return self.ok(*command.split(), "--format", fmt, *targets).strip()

    def state(self, name: str) -> str:
        return self.fmt("{{.State.Status}}", name)

    def exists(self, name: str) -> bool:
        proc = self.run("container", "inspect", name)
        return proc.returncode == 0

    def names(self, all: bool = True) -> list[str]:
        args = ["ps", "--format", "{{.Names}}"] + (["-a"] if all else [])
        return self.ok(*args).split()


class Resources:
    """Unique names for a test's objects, removed through the API when the test ends."""

    def __init__(self, daemon: Any) -> None:
        self.daemon = daemon
        self.tag = uuid.uuid4().hex[:6]
        self.containers: list[str] = []
        self.volumes: list[str] = []
        self.networks: list[str] = []
        self.images: list[str] = []

    def container(self, stem: str = "c") -> str:
        name = f"{stem}-{self.tag}"
        self.containers.append(name)
        return name

    def volume(self, stem: str = "vol") -> str:
        name = f"{stem}-{self.tag}"
        self.volumes.append(name)
        return name

    def network(self, stem: str = "net") -> str:
        name = f"{stem}-{self.tag}"
        self.networks.append(name)
        return name

    def image(self, repo: str = "e2e/img", tag: str = "1") -> str:
        ref = f"{repo}-{self.tag}:{tag}"
        self.images.append(ref)
        return ref

    def track_container(self, name_or_id: str) -> None:
        self.containers.append(name_or_id)

    def track_volume(self, name: str) -> None:
        self.volumes.append(name)

    def cleanup(self) -> None:
        try:
            client = self.daemon.client()
        except Exception:
            return

        def quiet(method: str, path: str, params: dict[str, Any] | None = None) -> None:
            with contextlib.suppress(Exception):
                client.request(method, path, params or {}).read()

        for c in self.containers:
            quiet("DELETE", f"/containers/{c}", {"force": True, "v": True})
        for n in self.networks:
            quiet("DELETE", f"/networks/{n}")
        for v in self.volumes:
            quiet("DELETE", f"/volumes/{v}", {"force": True})
        for i in self.images:
            quiet("DELETE", f"/images/{i}", {"force": True})


def wait_until(
    probe: Callable[[], T], timeout: float = 15, interval: float = 0.05, what: str = ""
) -> T:
    """Call `probe` until it returns something truthy; return that value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = probe()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 - keep polling, report the last error
            last = e
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or probe}: last={last!r}")
        time.sleep(interval)


def port_is_free(port: int) -> bool:
    for host in ("0.0.0.0", "127.0.0.1"):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((host, port))
            except OSError:
                return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        if s.connect_ex(("127.0.0.1", port)) == 0:
            return False
    return True


_used_ports: set[int] = set()


def free_port() -> int:
    """A free host port in 18000-18999, different from every one handed out before."""
    rng = random.Random(os.getpid() ^ time.monotonic_ns())
    for _ in range(500):
        port = rng.randint(18000, 18999)
        if port not in _used_ports and port_is_free(port):
            _used_ports.add(port)
            return port
    raise RuntimeError("no free port in 18000-18999")


def http_get(url: str, timeout: float = 15) -> str:
    """GET with retries until the server answers 200 (containers take a moment to listen)."""

    def probe() -> str | None:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return resp.read().decode()
        except (urllib.error.URLError, ConnectionError, OSError):
            return None
        return None

    return wait_until(probe, timeout=timeout, interval=0.1, what=f"GET {url}")


def http_get_until(url: str, expected: str, timeout: float = 15) -> str:
    return wait_until(
        lambda: (lambda body: body if expected in body else None)(http_get(url, timeout=2)),
        timeout=timeout,
        interval=0.1,
        what=f"GET {url} containing {expected!r}",
    )
