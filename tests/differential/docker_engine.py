"""Docker's own engine (dockerd 20.10) started privately for the differential tests: own data
root, exec root, socket, pidfile, bridge and address pools on claimed 10.N/16 pools, no
iptables rules; stopping it removes every container, mount and link it made."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path

from daemon_harness import claim_pool


def why_docker_cannot_run() -> str | None:
    if os.geteuid() != 0:
        return "needs root to start dockerd"
    for tool in ("dockerd", "docker", "containerd", "runc"):
        if shutil.which(tool) is None:
            return f"Docker's engine is not installed ({tool} missing; scripts/install-deps installs docker.io)"
    return None


def _quiet(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)
    except (subprocess.TimeoutExpired, OSError) as e:
        return subprocess.CompletedProcess(list(argv), 124, "", str(e))


class DockerEngine:
    """A private dockerd; `env` points the docker CLI at it."""

    def __init__(self, base: Path) -> None:
        tag = secrets.token_hex(2)
        self.base = base
        self.data_root = base / "data"
        self.exec_root = Path(f"/run/dkd-{tag}")  # short: containerd's socket paths are limited
        self.socket = base / "docker.sock"
        self.pidfile = base / "docker.pid"
        self.log = base / "dockerd.log"
        self.host = f"unix://{self.socket}"
        self.bridge = f"dkd{tag}0"
        self._claims: list[Path] = []
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["DOCKER_HOST"] = self.host
        env.pop("DOCKER_CONTEXT", None)
        return env

    def start(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        bridge_pool, claim = claim_pool()
        self._claims.append(claim)
        user_pool, claim = claim_pool()
        self._claims.append(claim)
        second = bridge_pool.split(".")[1]
        _quiet("ip", "link", "add", self.bridge, "type", "bridge")
        _quiet("ip", "addr", "add", f"10.{second}.0.1/24", "dev", self.bridge)
        _quiet("ip", "link", "set", self.bridge, "up")
        self.proc = subprocess.Popen(
            [
                "dockerd", "--data-root", str(self.data_root), "--exec-root", str(self.exec_root),
                "-H", self.host, "--pidfile", str(self.pidfile), "--bridge", self.bridge,
                "--iptables=false", "--ip6tables=false",
                "--default-address-pool", f"base={user_pool},size=24",
            ],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(self.log, "wb"),
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dockerd exited: {self.log.read_text()[-2000:]}")
            if self.docker("version", timeout=5).returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"dockerd did not answer within 60 s: {self.log.read_text()[-2000:]}")

    def docker(self, *args: str, timeout: float = 120, input: str | None = None) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                ["docker", *args], env=self.env, capture_output=True, text=True, timeout=timeout,
                input=input, stdin=None if input is not None else subprocess.DEVNULL,
            )  # fmt: skip
        except subprocess.TimeoutExpired as e:
            return subprocess.CompletedProcess(["docker", *args], 124, "", str(e))

    def load(self, tar: Path) -> None:
        done = self.docker("load", "-q", "-i", str(tar), timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"docker load {tar.name}: {done.stderr}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            ids = self.docker("ps", "-aq", timeout=30).stdout.split()
            if ids:
                self.docker("rm", "-f", "-v", *ids, timeout=120)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._cleanup_leftovers()

    def _cleanup_leftovers(self) -> None:
        # shims and the managed containerd of this engine only (their command lines name our roots)
        for pid in _pids_mentioning(str(self.exec_root), str(self.data_root)):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        with open("/proc/self/mountinfo") as f:
            points = [line.split()[4] for line in f]
        for p in sorted(points, key=len, reverse=True):
            if p.startswith((str(self.base), str(self.exec_root))):
                _quiet("umount", "-l", p)
        links = _quiet("ip", "-o", "link").stdout
        for line in links.splitlines():
            name = line.split(":")[1].strip().split("@")[0]
            if name == self.bridge or (name.startswith("br-") and self._made_by_us(name)):
                _quiet("ip", "link", "del", name)
        shutil.rmtree(self.base, ignore_errors=True)
        shutil.rmtree(self.exec_root, ignore_errors=True)
        for claim in self._claims:
            claim.unlink(missing_ok=True)

    def _made_by_us(self, link: str) -> bool:
        """A br-<id> bridge whose subnet is in one of our claimed pools."""
        addrs = _quiet("ip", "-4", "-o", "addr", "show", "dev", link).stdout
        seconds = {c.name for c in self._claims}
        return any(f" 10.{s}." in addrs for s in seconds)


def _pids_mentioning(*needles: str) -> list[int]:
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        with contextlib.suppress(OSError), open(f"/proc/{d}/cmdline", "rb") as f:
            cmd = f.read().decode(errors="replace")
            if any(n in cmd for n in needles):
                found.append(int(d))
    return found
