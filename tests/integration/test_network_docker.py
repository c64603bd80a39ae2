"""Coexistence with Docker's daemon: it sets the iptables FORWARD policy to DROP, which
our own nft table cannot override; our DOCKER-USER accepts must keep containers working.

Starts Debian's dockerd by hand with its own data root, exec root, socket and pidfile in
the test's tmp dir, and removes what it leaves behind (docker0, its iptables chains).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

# the sibling module: pytest puts this directory on sys.path
from test_network_bridge import CLIENT, in_ns, make_env, ping, serve

from dockyard.network import bridge as br
from dockyard.network.manager import NetworkManager

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(not shutil.which("dockerd"), reason="needs Docker's dockerd"),
]

DOCKER_CHAINS = {
    "filter": ["DOCKER", "DOCKER-ISOLATION-STAGE-1", "DOCKER-ISOLATION-STAGE-2"],
    "nat": ["DOCKER"],
}


def ipt(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["iptables", "-w", *args], capture_output=True, text=True)


def forward_policy() -> str:
    for line in ipt("-t", "filter", "-S", "FORWARD").stdout.splitlines():
        if line.startswith("-P FORWARD"):
            return line.split()[2]
    return "ACCEPT"


def _link_exists(name: str) -> bool:
    return bool(br.list_links((name,))) and name in br.list_links((name,))


def nat_has_rules() -> bool:
    return any(line.startswith("-A") for line in ipt("-t", "nat", "-S").stdout.splitlines())


def _remove_docker_leftovers(had_docker0: bool, had_return: bool, had_nat: bool) -> None:
    """Docker leaves its iptables rules and docker0 behind when it stops."""
    for table, chains in DOCKER_CHAINS.items():
        for builtin in ("FORWARD", "PREROUTING", "OUTPUT", "POSTROUTING"):
            out = ipt("-t", table, "-S", builtin).stdout.splitlines()
            for line in out:
                args = shlex.split(line)
                if args[:1] == ["-A"] and any(
                    x in line for x in ("DOCKER", "docker0", "10.254.253.")
                ):
                    ipt("-t", table, "-D", *args[1:])
        for chain in chains:
            ipt("-t", table, "-F", chain)
            ipt("-t", table, "-X", chain)
    if not had_return:
        ipt("-t", "filter", "-D", "DOCKER-USER", "-j", "RETURN")
    if not had_nat and not nat_has_rules():
        subprocess.run(["nft", "delete", "table", "ip", "nat"], capture_output=True)
    if not had_docker0:
        br.delete_link("docker0")


@pytest.fixture
def env(tmp_path):
    yield from make_env(tmp_path)


@pytest.fixture
def dockerd(tmp_path):
    running = subprocess.run(["pgrep", "-x", "dockerd"], capture_output=True).returncode == 0
    if running:  # someone's Docker is up already: test against it, touch nothing of it
        jumps = "-j DOCKER-USER" in ipt("-t", "filter", "-S", "FORWARD").stdout
        if forward_policy() != "DROP" or not jumps:
            pytest.skip("a dockerd without iptables management runs here; not starting a second")
        yield None
        return
    had_docker0 = "docker0" in br.list_links(("docker0",))
    had_return = "-A DOCKER-USER -j RETURN" in ipt("-t", "filter", "-S", "DOCKER-USER").stdout
    had_nat = (
        subprocess.run(["nft", "list", "table", "ip", "nat"], capture_output=True).returncode == 0
    )
    policy = forward_policy()
    # short: containerd's unix sockets live under the exec root (108-byte limit)
    root = Path(tempfile.mkdtemp(prefix="dyd-", dir="/tmp"))
    sock = root / "docker.sock"
    proc = subprocess.Popen(
        [
            "dockerd",
            "--data-root", str(root / "data"),
            "--exec-root", str(root / "exec"),
            "--pidfile", str(root / "docker.pid"),
            "-H", f"unix://{sock}",
            "--bip", "10.254.253.1/24",
            "--containerd-namespace", "dytest",
            "--containerd-plugins-namespace", "dytest-plugins",
        ],
        stdout=open(root / "log", "w"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        for _ in range(150):
            if (
                ipt("-t", "filter", "-S", "DOCKER-ISOLATION-STAGE-1").returncode == 0
                and sock.exists()
            ):
                break
            if proc.poll() is not None:
                pytest.fail("dockerd exited:\n" + (root / "log").read_text()[-2000:])
            time.sleep(0.1)
        else:
            pytest.fail("dockerd did not set up its rules")
        if forward_policy() != "DROP":
            # Docker 20.10 sets DROP only when it enables ip_forward itself (newer ones
            # always do): put the host in the state a fresh Docker install leaves
            ipt("-t", "filter", "-P", "FORWARD", "DROP")
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        ipt("-t", "filter", "-P", "FORWARD", policy)
        _remove_docker_leftovers(had_docker0, had_return, had_nat)
        with contextlib.suppress(Exception):
            subprocess.run(["umount", "-R", str(root / "exec")], capture_output=True)
        with contextlib.suppress(Exception):
            subprocess.run(["umount", "-R", str(root / "data")], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_containers_work_next_to_docker(env, dockerd):
    mgr: NetworkManager = env["mgr"]
    assert forward_policy() == "DROP"
    mgr.reconcile()  # what the daemon does periodically / when Docker (re)started
    mgr.create_network("app")
    a, b = "a" * 64, "b" * 64
    ea = mgr.connect(a, "one", "app")
    eb = mgr.connect(b, "two", "app")
    pa = mgr.sandbox_path(a)
    # bridged traffic passes the iptables FORWARD chain too (br_netfilter)
    assert ping(pa, eb["IPAddress"])
    serve(env, env["outside"], 7001, "outside")
    out = in_ns(pa, CLIENT, "203.0.113.2", "7001", "3")
    assert out.stdout.strip() == "outside 203.0.113.1", out
    rules = ipt("-t", "filter", "-S", "DOCKER-USER").stdout
    assert f"-i {mgr.networks[ea['NetworkID']]['bridge']}" in rules
    # Docker jumps to DOCKER-USER first thing in FORWARD
    assert "-A FORWARD -j DOCKER-USER" in ipt("-t", "filter", "-S", "FORWARD").stdout


def test_docker_user_rules_removed_on_teardown(env, dockerd):
    mgr: NetworkManager = env["mgr"]
    tag = f"dockyard:{env['cfg'].nft_table}"
    mgr.create_network("tmp")
    assert tag in ipt("-t", "filter", "-S", "DOCKER-USER").stdout
    mgr.teardown()
    assert tag not in ipt("-t", "filter", "-S", "DOCKER-USER").stdout
