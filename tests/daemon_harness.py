"""A private dockyardd for tests: own data root, exec root, socket, bridge, nft table and
address pool, so it never meets an installed dockyard or another test daemon. Stopping it
removes every container, mount, netns, bridge and nft table it made."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
IMAGES_OUT = REPO / "images" / "out"
# Address pools are claimed host-wide (one file per /16), so several test runs on one host
# (worktrees, CI jobs) never give two daemons the same subnets.
POOL_CLAIMS = Path("/run/dyt-pools")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _routed(second_octet: int) -> bool:
    routes = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True).stdout
    return any(line.startswith(f"10.{second_octet}.") for line in routes.splitlines())


def claim_pool() -> tuple[str, Path]:
    """A free 10.N.0.0/16 (N in 20..249) claimed for this process; the claim file is the
    second value. A claim whose owner died is taken over."""
    POOL_CLAIMS.mkdir(parents=True, exist_ok=True)
    candidates = list(range(20, 250))
    secrets.SystemRandom().shuffle(candidates)
    for n in candidates:
        claim = POOL_CLAIMS / str(n)
        try:
            fd = os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            with contextlib.suppress(OSError, ValueError):
                if not _pid_alive(int(claim.read_text() or "0")):
                    claim.unlink()
            continue
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        if _routed(n):
            claim.unlink()
            continue
        return f"10.{n}.0.0/16", claim
    raise RuntimeError("no free 10.N.0.0/16 test address pool")


class TestDaemon:
    __test__ = False  # a helper, not a test class
    def __init__(self, base: Path, pool: str | None = None) -> None:
        tag = secrets.token_hex(2)
        self._pool_claim: Path | None = None
        if pool is None:
            pool, self._pool_claim = claim_pool()
        self.base = base
        self.root = base / "root"
        self.exec_root = Path(f"/run/dyt-{tag}")
        self.socket = base / "d.sock"
        self.host = f"unix://{self.socket}"
        self.bridge = f"dyt{tag}0"
        self.bridge_prefix = f"dyt{tag}-"
        self.nft_table = f"dyt{tag}"
        self.pool = pool
        self.log = base / "daemon.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.config_file = base / "daemon.json"

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["DOCKYARD_HOST"] = self.host
        env["DOCKER_HOST"] = self.host
        env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '')}"
        return env

    def write_config(self, extra: dict | None = None) -> None:
        doc = {
            "bridge": self.bridge,
            "bridge-prefix": self.bridge_prefix,
            "nft-table": self.nft_table,
            "default-address-pools": [{"base": self.pool, "size": 24}],
        }
        doc.update(extra or {})
        self.config_file.write_text(json.dumps(doc))

    def start(self, extra_config: dict | None = None) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        self.write_config(extra_config)
        self.proc = subprocess.Popen(
            [
                str(VENV_BIN / "dockyardd"),
                "--config-file", str(self.config_file),
                "--data-root", str(self.root),
                "--exec-root", str(self.exec_root),
                *([] if "hosts" in (extra_config or {}) else ["-H", self.host]),
                "--log-file", str(self.log),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
            # Tests never reach Docker Hub (this host may talk to loopback only).
            env={**os.environ, "DOCKYARD_REGISTRY_HUB": "none"},
        )  # fmt: skip
        deadline = time.monotonic() + 20
        from dockyard.client.api import Client

        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"dockyardd exited: {err}\n{self.read_log()}")
            try:
                Client(self.host, timeout=2).ping()
            except Exception:
                time.sleep(0.05)
                continue
            # /_ping answers while the daemon still loads and recovers; any other request
            # waits for that: tests start from a daemon that is ready (its store recovered)
            Client(self.host, timeout=60).get("/version")
            return
        raise RuntimeError(f"dockyardd did not answer\n{self.read_log()}")

    def read_log(self) -> str:
        try:
            return self.log.read_text()
        except OSError:
            return ""

    def client(self):  # type: ignore[no-untyped-def]
        from dockyard.client.api import Client

        return Client(self.host, timeout=120)

    def cli(self, *args: str, input: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(VENV_BIN / "dockyard"), *args],
            env=self.env,
            input=input.decode() if input else None,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def docker(self, *args: str, input: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["docker", *args],
            env=self.env,
            input=input.decode() if input else None,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def load_image(self, name: str) -> None:
        path = IMAGES_OUT / f"{name}.tar"
        if not path.exists():
            subprocess.run([str(REPO / "scripts" / "make-images"), "--only", name], check=True)
        with open(path, "rb") as f:
            self.client().request(
                "POST", "/images/load", {"quiet": True}, body=f.read(),
                headers={"Content-Type": "application/x-tar"},
            ).read()

    def kill(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stop(self) -> None:
        """Remove everything: containers (through the API), then the daemon, then leftovers."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(Exception):
                client = self.client()
                for c in client.get("/containers/json", {"all": True}):
                    with contextlib.suppress(Exception):
                        client.request("DELETE", f"/containers/{c['Id']}", {"force": True, "v": True}).read()
        self.kill()
        self.cleanup_kernel()
        shutil.rmtree(self.base, ignore_errors=True)
        shutil.rmtree(self.exec_root, ignore_errors=True)
        if self._pool_claim is not None:
            self._pool_claim.unlink(missing_ok=True)

    def cleanup_kernel(self) -> None:
        # conmon monitors of containers that outlived the daemon
        for pid_file in self.exec_root.glob("c/*/conmon.pid"):
            with contextlib.suppress(Exception):
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
        runc_root = self.exec_root / "runc"
        if runc_root.exists():
            for state in runc_root.iterdir():
                subprocess.run(
                    ["runc", "--root", str(runc_root), "delete", "--force", state.name],
                    capture_output=True,
                )
        # mounts under our dirs, deepest first
        with open("/proc/self/mountinfo") as f:
            points = [line.split()[4] for line in f]
        for p in sorted(points, key=len, reverse=True):
            if p.startswith((str(self.base), str(self.exec_root))):
                subprocess.run(["umount", "-l", p], capture_output=True)
        subprocess.run(["nft", "delete", "table", "inet", self.nft_table], capture_output=True)
        from dockyard.network import dockercompat

        dockercompat.cleanup(f"dockyard:{self.nft_table}")
        subprocess.run(["nft", "delete", "table", "ip", self.nft_table], capture_output=True)
        links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
        for line in links.splitlines():
            name = line.split(":")[1].strip().split("@")[0]
            if name == self.bridge or name.startswith(self.bridge_prefix):
                subprocess.run(["ip", "link", "del", name], capture_output=True)
