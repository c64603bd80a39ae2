"""The daemon SIGKILLed at random points of a mixed workload, again and again.

Each round starts a random handful of clients at once (parallel `run -d`, `rm -f`, pull,
push, build, `load`, `commit`, volume writes, network create/rm), kills the daemon after a
random delay, starts it again on the same state and asks `system check` for anomalies.
What the host holds must match what the daemon says runs: a monitor, runc state, a
cgroup, a netns, a veth and a rootfs mount for each running container and nothing else.
At the end everything is removed and the host must be as it was before the first round.

CHAOS_KILLS sets the number of rounds (default 50)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_harness import IMAGES_OUT, VENV_BIN, TestDaemon
from testing import hostleaks
from testing.registry_server import REGISTRY_BIN, RegistryServer

pytestmark = [
    pytest.mark.integration,
    pytest.mark.chaos,
    pytest.mark.skipif(not Path(REGISTRY_BIN).exists(), reason="needs docker-registry"),
    pytest.mark.timeout(1200),
]

KILLS = int(os.environ.get("CHAOS_KILLS", "50"))
MAX_CONTAINERS = 8


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    reg = RegistryServer(Path(tmp_path_factory.mktemp("reg"))).start()
    try:
        yield reg
    finally:
        reg.stop()


class Workload:
    """Random client commands against the daemon; each is a process the kill interrupts."""

    def __init__(self, daemon: TestDaemon, registry: RegistryServer, ctx: Path) -> None:
        self.d = daemon
        self.reg = registry.host
        self.ctx = ctx
        self.n = 0
        self.rng = random.Random(int(os.environ.get("CHAOS_SEED", "0")) or None)

    def _cli(self, *args: str) -> list[str]:
        return [str(VENV_BIN / "dockyard"), *args]

    def commands(self) -> list[list[str]]:
        self.n += 1
        n, rng = self.n, self.rng
        api = self.d.client()  # the API, not the CLI, for the bookkeeping: rounds stay short
        listed = api.get("/containers/json", {"all": True, "filters": '{"label": ["chaos"]}'})
        ids = [c["Id"] for c in listed]
        running = [c["Id"] for c in listed if c["State"] == "running"]
        (self.ctx / "Dockerfile").write_text(f"FROM busybox\nRUN echo {n} > /round\n")
        api.post("/images/busybox/tag", {"repo": f"{self.reg}/chaos/push", "tag": str(n)})
        pool = {
            "run": lambda: self._cli("run", "-d", "--label", "chaos=1", "busybox", "sleep", "600"),
            "rm": lambda: self._cli("rm", "-f", rng.choice(ids)) if ids else None,
            "pull": lambda: self._cli("pull", "-q", f"{self.reg}/chaos/base:{rng.randrange(3)}"),
            "push": lambda: self._cli("push", f"{self.reg}/chaos/push:{n}"),
            "build": lambda: self._cli("build", "-q", "-t", f"chaos/build:{n}", str(self.ctx)),
            "load": lambda: self._cli("load", "-q", "-i", str(IMAGES_OUT / "hello-world.tar")),
            "commit": lambda: (
                self._cli("commit", rng.choice(running), f"chaos/commit:{n}") if running else None
            ),
            "volume": lambda: self._cli(
                "run",
                "--rm",
                "--label",
                "chaos=1",
                "-v",
                f"chaosvol{n % 3}:/data",
                "busybox",
                "sh",
                "-c",
                "dd if=/dev/zero of=/data/f$$ bs=1k count=256 2>/dev/null && sync",
            ),  # fmt: skip
            "net-create": lambda: self._cli("network", "create", f"chaosnet{n}"),
            "net-rm": lambda: self._cli("network", "rm", f"chaosnet{n - 1}"),
        }
        picked = ["run", "run", *rng.sample(sorted(pool), 5)]
        if len(ids) >= MAX_CONTAINERS:
            picked += ["rm", "rm"]
        return [cmd for name in picked if (cmd := pool[name]()) is not None]


def _kill_during(daemon: TestDaemon, commands: list[list[str]], delay: float) -> None:
    procs = [
        subprocess.Popen(cmd, env=daemon.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for cmd in commands
    ]
    time.sleep(delay)
    daemon.kill(signal.SIGKILL)
    for p in procs:
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _leaks(daemon: TestDaemon) -> list[str]:
    """What the host holds that no running container of the daemon accounts for."""
    running = {c["Id"] for c in daemon.client().get("/containers/json")}
    snap = hostleaks.snapshot(daemon)
    out = []
    for what in ("conmons", "runc", "cgroups", "netns"):
        extra = getattr(snap, what) - running
        missing = running - getattr(snap, what)
        if extra:
            out.append(f"{what} without a running container: {sorted(extra)}")
        if missing and what != "cgroups":
            out.append(f"running containers without {what}: {sorted(missing)}")
    base = str(daemon.root / "containers") + "/"
    mounted = {m[len(base) :].split("/")[0] for m in snap.mounts if m.startswith(base)}
    if mounted - running:
        out.append(f"rootfs mounts of containers not running: {sorted(mounted - running)}")
    if len(snap.veths) != len(running):
        out.append(f"{len(snap.veths)} veths on our bridges for {len(running)} containers")
    return out


def test_sigkill_at_random_points_leaves_no_anomaly_and_no_leak(
    tmp_path: Path, registry: RegistryServer
) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root")
    d = TestDaemon(tmp_path / "d")
    try:
        d.start()
        d.load_image("busybox")
        for i in range(3):  # what the rounds pull
            d.cli("tag", "busybox", f"{registry.host}/chaos/base:{i}")
            assert d.cli("push", f"{registry.host}/chaos/base:{i}").returncode == 0
        baseline = hostleaks.snapshot(d)
        ctx = tmp_path / "ctx"
        ctx.mkdir()
        work = Workload(d, registry, ctx)
        anomalies: list[str] = []
        restarts = 0
        for round_no in range(KILLS):
            _kill_during(d, work.commands(), random.uniform(0.05, 1.5))
            d.start()
            restarts += 1
            check = d.cli("system", "check")
            if check.returncode != 0:
                anomalies.append(f"round {round_no}: {check.stdout.strip()} {check.stderr.strip()}")
            anomalies += [f"round {round_no}: {leak}" for leak in _leaks(d)]
        ids = d.cli("ps", "-aq").stdout.split()
        if ids:
            assert d.cli("rm", "-f", *ids).returncode == 0
        d.cli("network", "prune", "-f")
        after = hostleaks.snapshot(d)
        log = d.read_log()
        released = log.count("WARNING dockyard.containers.service: recovery:")
        network = log.count("WARNING dockyard.network.manager: restore:")
        print(
            f"\nchaos: {KILLS} kills, {restarts} restarts, {len(anomalies)} anomalies; "
            f"at start: {released} container findings, {network} network leftovers released"
        )
        assert anomalies == []
        assert after.conmons == after.runc == after.netns == after.veths == frozenset()
        assert after.cgroups == frozenset()
        assert after.mounts <= baseline.mounts | {str(d.exec_root / "netns")}
        assert d.cli("run", "--rm", "busybox", "true").returncode == 0
    finally:
        d.stop()
