"""The three engines under test, each started privately: own data root, sockets and bridge in
/tmp, so the benchmark never meets an installed daemon or a test daemon, and stopping it
removes everything it made."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from measure import find_pids, read_comm, tree

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
TMP = Path("/tmp")
# BENCH_TAG keeps two benches apart (their roots, sockets and bridge names)
TAG = os.environ.get("BENCH_TAG", "")


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def quiet(
    argv: list[str], timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    except (subprocess.TimeoutExpired, FileNotFoundError) as e:
        return subprocess.CompletedProcess(argv, 124, "", str(e))


def link_exists(name: str) -> bool:
    return quiet(["ip", "link", "show", name]).returncode == 0


def addr_in_use(prefix: str) -> bool:
    """True if an address starting with prefix (e.g. '10.203.') is on any interface."""
    return f" {prefix}" in quiet(["ip", "-4", "-o", "addr"]).stdout


def umount_under(*roots: Path) -> None:
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    for p in sorted(points, key=len, reverse=True):
        if p.startswith(tuple(str(r) for r in roots)):
            quiet(["umount", "-l", p])


def kill_pids(pids: list[int], sig: int = signal.SIGKILL) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, sig)


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return True
        if read_comm(pid) == "" or _is_zombie(pid):
            return True
        time.sleep(0.05)
    return False


def refuse_if_in_use(comm: str, marker: Path) -> None:
    """The fixed paths of this bench may belong to another run (another worktree's bench
    uses the same classes): never clean up under a live daemon, stop instead."""
    pids = find_pids(comm, str(marker))
    if pids:
        raise RuntimeError(
            f"{marker} is in use by a running {comm} (pid {pids[0]}): another bench run? "
            "Wait for it to end (bench/run --cleanup removes what a killed run left)"
        )


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@dataclass
class Engine:
    """One way of driving containers: a CLI (argv prefix + environment) and the daemon behind it."""

    name: str
    cli: list[str]
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    run_args: list[str] = field(default_factory=list)
    rm_args: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def adopt(self) -> None:
        """Take over what a killed run left (bench/run --cleanup)."""

    def argv(self, *args: str) -> list[str]:
        return [*self.cli, *args]

    def rm_argv(self, *names: str) -> list[str]:
        """`rm -f` that kills at once, as Docker's does (podman's waits the stop timeout)."""
        return [*self.cli, "rm", "-f", *self.rm_args, *names]

    def run_argv(self, *args: str) -> list[str]:
        """`<cli> run <engine-specific flags> args...`"""
        return [*self.cli, "run", *self.run_args, *args]

    def start(self) -> None: ...

    def load(self, tar: Path) -> None:
        proc = subprocess.run(
            self.argv("load", "-i", str(tar)), env=self.env, capture_output=True, text=True, timeout=300
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{self.name}: load failed: {proc.stderr}")

    def stop(self) -> None: ...

    # Engines with a daemon of their own name its process and monitors, and a path that
    # appears in their command lines (so other engines' processes are never counted).
    daemon_comm: ClassVar[str] = ""
    monitor_comm: ClassVar[str] = ""

    def daemon_marker(self) -> str:
        return ""

    def monitor_marker(self) -> str:
        return self.daemon_marker()

    def daemon_main_pid(self) -> int | None:
        if not self.daemon_comm:
            return None
        proc = getattr(self, "proc", None)
        if proc is not None:
            return proc.pid if proc.poll() is None else None
        pids = find_pids(self.daemon_comm, self.daemon_marker())
        return pids[0] if pids else None

    def daemon_pids(self) -> list[int]:
        pid = self.daemon_main_pid()
        return tree(pid, stop_comms=(self.monitor_comm, "runc")) if pid else []

    def monitor_pids(self) -> list[int]:
        return find_pids(self.monitor_comm, self.monitor_marker()) if self.monitor_comm else []

    def stop_daemon(self, grace: float) -> None:
        """Remove every container through the CLI, then end the daemon (TERM, then KILL)."""
        with contextlib.suppress(Exception):
            if self.daemon_main_pid():
                ids = quiet(self.argv("ps", "-aq"), timeout=60, env=self.env).stdout.split()
                if ids:
                    quiet(self.rm_argv(*ids), timeout=300, env=self.env)
        pid = self.daemon_main_pid()
        if pid:
            kill_pids([pid], signal.SIGTERM)
            if not wait_gone(pid, grace):
                kill_pids(tree(pid))
                wait_gone(pid, 5)
        proc = getattr(self, "proc", None)
        if proc is not None:
            proc.wait()


class Dockyard(Engine):
    def __init__(self) -> None:
        tag = secrets.token_hex(2)
        self.base = TMP / f"{TAG}bench-dockyard"
        self.exec_root = TMP / f"{TAG}bench-dockyard-exec"
        self.socket = self.base / "d.sock"
        self.host = f"unix://{self.socket}"
        self.bridge = f"dyb{tag}0"
        self.bridge_prefix = f"dyb{tag}-"
        self.nft_table = f"dybench{tag}"
        self.proc: subprocess.Popen[bytes] | None = None
        env = dict(os.environ)
        env.update(DOCKYARD_HOST=self.host, DOCKER_HOST=self.host)
        env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '')}"
        # as installed: bytecode cached (kept out of the shared source tree, removed at stop)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(self.base / "pycache")
        super().__init__("dockyard", [str(VENV_BIN / "dockyard")], env)
        self.notes.append("python bytecode cached (PYTHONPYCACHEPREFIX), as in an installed package")

    def _pool(self) -> str:
        for second in range(203, 250):
            if not addr_in_use(f"10.{second}."):
                return f"10.{second}.0.0/16"
        raise RuntimeError("no free 10.x.0.0/16 for dockyard's address pool")

    def start(self) -> None:
        refuse_if_in_use(self.daemon_comm, self.base)
        if self.base.exists() or self.exec_root.exists():
            log("leftovers of an earlier run: cleaning them first")
            saved = (self.bridge, self.bridge_prefix, self.nft_table)
            self.adopt()
            self.stop()
            self.bridge, self.bridge_prefix, self.nft_table = saved
        self.base.mkdir(parents=True)
        config = self.base / "daemon.json"
        config.write_text(json.dumps({
            "bridge": self.bridge,
            "bridge-prefix": self.bridge_prefix,
            "nft-table": self.nft_table,
            "default-address-pools": [{"base": self._pool(), "size": 24}],
        }))  # fmt: skip
        self.daemon_argv = [
            str(VENV_BIN / "dockyardd"), "--config-file", str(config),
            "--data-root", str(self.base / "root"), "--exec-root", str(self.exec_root),
            "-H", self.host, "--log-file", str(self.base / "daemon.log"),
        ]  # fmt: skip
        self.launch()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dockyardd exited: {(self.base / 'daemon.stderr').read_text()}")
            if quiet(self.argv("version"), timeout=5, env=self.env).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("dockyardd did not answer within 30 s")

    def launch(self) -> None:
        """Exec the daemon (again: bench_scale restarts it over live containers)."""
        self.proc = subprocess.Popen(
            self.daemon_argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=self.env,
            stderr=open(self.base / "daemon.stderr", "ab"), start_new_session=True,
        )  # fmt: skip

    def adopt(self) -> None:
        """Take over the leftovers of a run that was killed (bench/run --cleanup)."""
        config = self.base / "daemon.json"
        if config.exists():
            doc = json.loads(config.read_text())
            self.bridge, self.bridge_prefix = doc["bridge"], doc["bridge-prefix"]
            self.nft_table = doc["nft-table"]

    daemon_comm = "dockyardd"
    monitor_comm = "conmon"

    def daemon_marker(self) -> str:
        return str(self.base)

    def stop(self) -> None:
        self.stop_daemon(grace=20)
        kill_pids(self.monitor_pids())
        runc_root = self.exec_root / "runc"
        if runc_root.is_dir():
            for state in runc_root.iterdir():
                quiet(["runc", "--root", str(runc_root), "delete", "--force", state.name])
        umount_under(self.base, self.exec_root)
        quiet(["nft", "delete", "table", "inet", self.nft_table])
        quiet(["nft", "delete", "table", "ip", self.nft_table])
        from dockyard.network import dockercompat

        dockercompat.cleanup(f"dockyard:{self.nft_table}")  # its DOCKER-USER accept rules
        for line in quiet(["ip", "-o", "link"]).stdout.splitlines():
            name = line.split(":")[1].strip().split("@")[0]
            if name == self.bridge or name.startswith(self.bridge_prefix):
                quiet(["ip", "link", "del", name])
        shutil.rmtree(self.base, ignore_errors=True)
        shutil.rmtree(self.exec_root, ignore_errors=True)


class DockerCliOnDockyard(Engine):
    """The real docker CLI talking to our dockyardd (no daemon of its own)."""

    def __init__(self, dockyard: Dockyard) -> None:
        env = dict(dockyard.env)
        env["DOCKER_HOST"] = dockyard.host
        env.pop("DOCKER_CONTEXT", None)
        super().__init__("docker-cli->dockyard", ["docker"], env)
        self.dockyard = dockyard

    def daemon_pids(self) -> list[int]:
        return self.dockyard.daemon_pids()

    def monitor_pids(self) -> list[int]:
        return self.dockyard.monitor_pids()


class Docker(Engine):
    def __init__(self) -> None:
        self.data_root = TMP / f"{TAG}bench-docker"
        self.exec_root = TMP / f"{TAG}bench-docker-exec"
        self.socket = TMP / f"{TAG}bench-docker.sock"
        self.pidfile = TMP / f"{TAG}bench-docker.pid"
        self.logfile = TMP / f"{TAG}bench-docker.log"
        self.bridge = f"dk{TAG}bench0"[:15]
        self.extra_flags: list[str] = []  # e.g. --live-restore (bench_scale)
        self.proc: subprocess.Popen[bytes] | None = None
        env = dict(os.environ)
        env["DOCKER_HOST"] = f"unix://{self.socket}"
        env.pop("DOCKER_CONTEXT", None)
        super().__init__("docker", ["docker"], env)

    def _network_flags(self) -> list[str]:
        """A bridge of our own (not docker0, which other daemons or tests may own or delete)."""
        for second in range(204, 250):
            if addr_in_use(f"10.{second}."):
                continue
            quiet(["ip", "link", "add", self.bridge, "type", "bridge"])
            quiet(["ip", "addr", "add", f"10.{second}.0.1/24", "dev", self.bridge])
            quiet(["ip", "link", "set", self.bridge, "up"])
            self.notes.append(f"default bridge {self.bridge} on 10.{second}.0.1/24, --iptables=false")
            return ["--bridge", self.bridge]
        self.notes.append("no free address range: dockerd started with --bridge none")
        return ["--bridge", "none"]

    def start(self) -> None:
        refuse_if_in_use(self.daemon_comm, self.data_root)
        if self.data_root.exists() or self.exec_root.exists():
            log("leftovers of an earlier run: cleaning them first")
            self.stop()
        self.daemon_argv = [
            "dockerd", "--data-root", str(self.data_root), "--exec-root", str(self.exec_root),
            "--host", f"unix://{self.socket}", "--pidfile", str(self.pidfile),
            "--iptables=false", "--ip6tables=false", *self._network_flags(), *self.extra_flags,
        ]  # fmt: skip
        self.launch()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dockerd exited: {self.logfile.read_text()[-2000:]}")
            if quiet(self.argv("version"), timeout=5, env=self.env).returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("dockerd did not answer within 60 s")

    def launch(self) -> None:
        self.proc = subprocess.Popen(
            self.daemon_argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(self.logfile, "ab"), start_new_session=True,
        )  # fmt: skip

    daemon_comm = "dockerd"
    monitor_comm = "containerd-shim"

    def daemon_marker(self) -> str:
        return str(self.data_root)

    def monitor_marker(self) -> str:
        return str(self.exec_root)

    def stop(self) -> None:
        self.stop_daemon(grace=30)
        kill_pids(find_pids("containerd", str(self.exec_root)))
        umount_under(self.data_root, self.exec_root)
        if link_exists(self.bridge):
            quiet(["ip", "link", "del", self.bridge])
        for p in (self.data_root, self.exec_root):
            shutil.rmtree(p, ignore_errors=True)
        for f in (self.socket, self.pidfile, self.logfile):
            with contextlib.suppress(OSError):
                f.unlink()


def libpod_cgroups() -> list[Path]:
    return [p for p in Path("/sys/fs/cgroup").glob("*/libpod_parent") if p.is_dir()]


def pids_in_cgroups(names: list[str]) -> list[int]:
    """Processes whose cgroup path mentions one of names (containers whose monitor died)."""
    if not names:
        return []
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        with contextlib.suppress(OSError), open(f"/proc/{d}/cgroup") as f:
            text = f.read()
        if any(n in text for n in names):
            found.append(int(d))
    return found


def iptables_rules(table: str) -> list[str]:
    return quiet(["iptables", "-t", table, "-S"]).stdout.splitlines()


class Podman(Engine):
    """podman has no daemon; it gets private root, runroot and tmpdir. Its network backend
    (netavark) writes iptables chains: the ones that were not there before are removed at stop."""

    def __init__(self) -> None:
        self.root = TMP / f"{TAG}bench-podman"
        self.runroot = TMP / f"{TAG}bench-podman-run"
        self.tmpdir = TMP / f"{TAG}bench-podman-tmp"
        self.rules_before: dict[str, set[str]] = {}
        self.had_nat = False
        self.had_podman0 = False
        self.had_cgroup = True
        super().__init__(
            "podman",
            ["podman", "--root", str(self.root), "--runroot", str(self.runroot),
             "--tmpdir", str(self.tmpdir), "--log-level", "error"],
            run_args=["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"],
            rm_args=["-t", "0"],
        )  # fmt: skip

    def start(self) -> None:
        if self.root.exists():
            self.stop()
        self.had_cgroup = bool(libpod_cgroups())
        self.had_nat = quiet(["nft", "list", "table", "ip", "nat"]).returncode == 0
        self.had_podman0 = link_exists("podman0")
        self.rules_before = {t: set(iptables_rules(t)) for t in ("filter", "nat")}
        self.notes.append(
            "no daemon; run with nofile/nproc=1024 (host hard limits); rm -f -t 0; netavark bridge"
        )

    def monitor_pids(self) -> list[int]:
        return find_pids("conmon", str(self.root))

    def stop(self) -> None:
        ids = quiet(self.argv("ps", "-aq", "--no-trunc"), env=self.env).stdout.split()
        quiet(self.argv("rm", "-af", *self.rm_args), timeout=300, env=self.env)
        kill_pids(self.monitor_pids())
        kill_pids(pids_in_cgroups([f"libpod-{i}" for i in ids]))
        if not self.had_cgroup:
            for d in libpod_cgroups():
                for sub in sorted(d.rglob("*"), key=lambda p: len(p.parts), reverse=True):
                    if sub.is_dir():
                        with contextlib.suppress(OSError):
                            sub.rmdir()
                with contextlib.suppress(OSError):
                    d.rmdir()
        umount_under(self.root, self.runroot, self.tmpdir)
        self._remove_new_firewall_rules()
        if not self.had_podman0 and link_exists("podman0"):
            quiet(["ip", "link", "del", "podman0"])
        for p in (self.root, self.runroot, self.tmpdir):
            shutil.rmtree(p, ignore_errors=True)

    def _remove_new_firewall_rules(self) -> None:
        for table in ("filter", "nat"):
            before = self.rules_before.get(table, set())
            new = [r for r in iptables_rules(table) if r not in before and "NETAVARK" in r]
            for rule in [r for r in new if r.startswith("-A ")]:
                quiet(["iptables", "-t", table, "-D", *shlex.split(rule)[1:]])
            chains = [r.split()[1] for r in new if r.startswith("-N ")]
            for chain in chains:
                quiet(["iptables", "-t", table, "-F", chain])
            for chain in chains:
                quiet(["iptables", "-t", table, "-X", chain])
        if not self.had_nat:
            leftover = [r for r in iptables_rules("nat") if r.startswith(("-A", "-N"))]
            if not leftover:
                quiet(["nft", "delete", "table", "ip", "nat"])
