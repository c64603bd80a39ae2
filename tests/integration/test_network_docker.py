"""Coexistence with Docker's daemon.

Docker sets the iptables FORWARD policy to DROP when it turns on ip_forward. A packet is
dropped when any base chain on its hook drops it, so accepts in our own nft table cannot
win; our DOCKER-USER accepts must keep containers working.

The whole scenario runs in a private network namespace (`unshare --net`): a real dockerd
(Debian's docker.io, own data root, exec root, socket and pidfile) configures iptables
there exactly as on a fresh host, and nothing of it can disturb the host or other
dockerds running on it. The namespace dies with the scenario.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(not shutil.which("dockerd"), reason="needs Docker's dockerd"),
    pytest.mark.skipif(not shutil.which("unshare"), reason="needs unshare"),
]

TESTS = Path(__file__).resolve().parents[1]  # holds testing/netkit.py
SRC = TESTS.parent / "src"

SCENARIO = r"""
import contextlib, shlex, shutil, subprocess, sys, tempfile, time
from pathlib import Path

tmp, tests, src = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
sys.path[:0] = [tests, src]
from pyroute2 import IPRoute
from testing.netkit import CLIENT, OUTSIDE_GW, OUTSIDE_IP, in_ns, make_env, ping, serve

with IPRoute() as ipr:  # a new namespace starts with lo down
    ipr.link("set", index=ipr.link_lookup(ifname="lo")[0], state="up")
# a fresh host: Docker turns forwarding on itself, and then sets the FORWARD policy to DROP
with open("/proc/sys/net/ipv4/ip_forward", "w") as f:
    f.write("0")

def ipt(*args):
    return subprocess.run(["iptables", "-w", *args], capture_output=True, text=True)

# containerd's sockets live under the exec root: keep the path short (108-byte limit)
root = Path(tempfile.mkdtemp(prefix="dyd-", dir="/tmp"))
log = open(root / "log", "w")
dockerd = subprocess.Popen(
    ["dockerd", "--data-root", str(root / "data"), "--exec-root", str(root / "exec"),
     "--pidfile", str(root / "pid"), "-H", f"unix://{root}/sock",
     "--containerd-namespace", "dytest", "--containerd-plugins-namespace", "dytest-p"],
    stdout=log, stderr=subprocess.STDOUT)
gen = None
try:
    for _ in range(300):
        fwd = ipt("-S", "FORWARD").stdout
        if "-P FORWARD DROP" in fwd and "-j DOCKER-USER" in fwd and (root / "sock").exists():
            break
        assert dockerd.poll() is None, (root / "log").read_text()[-2000:]
        time.sleep(0.1)
    else:
        raise AssertionError("dockerd did not set up iptables")
    assert "-P FORWARD DROP" in ipt("-S", "FORWARD").stdout, ipt("-S", "FORWARD").stdout
    print("docker up: FORWARD policy DROP, jumps to DOCKER-USER")

    gen = make_env(tmp)
    env = next(gen)
    mgr = env["mgr"]
    mgr.create_network("app")
    a, b = "a" * 64, "b" * 64
    ea = mgr.connect(a, "one", "app")
    eb = mgr.connect(b, "two", "app")
    pa = mgr.sandbox_path(a)
    bridge = mgr.networks[ea["NetworkID"]]["bridge"]
    rules = ipt("-S", "DOCKER-USER").stdout
    assert f"-A DOCKER-USER -i {bridge} " in rules and f"-A DOCKER-USER -o {bridge} " in rules, rules
    assert ping(pa, eb["IPAddress"]), "bridged traffic (br_netfilter passes it to FORWARD)"
    serve(env, env["outside"], 7001, "outside")
    out = in_ns(pa, CLIENT, OUTSIDE_IP, "7001", "3")
    assert out.stdout.strip() == f"outside {OUTSIDE_GW}", out
    print("containers reach each other and the outside next to Docker")

    # without our DOCKER-USER rules the same traffic dies: the check above means something
    tag = f"dockyard:{env['cfg'].nft_table}"
    for line in ipt("-S", "DOCKER-USER").stdout.splitlines():
        if tag in line:
            ipt("-D", *shlex.split(line)[1:])
    assert in_ns(pa, CLIENT, OUTSIDE_IP, "7001", "2").returncode != 0
    mgr.reconcile()  # what the watchdog does
    assert in_ns(pa, CLIENT, OUTSIDE_IP, "7001", "3").returncode == 0
    print("without DOCKER-USER accepts: dropped; reconcile() restores them")

    mgr.teardown()
    assert tag not in ipt("-S", "DOCKER-USER").stdout
    print("teardown removed our DOCKER-USER rules")
finally:
    if gen is not None:
        with contextlib.suppress(StopIteration):
            next(gen)
    dockerd.terminate()
    try:
        dockerd.wait(20)
    except subprocess.TimeoutExpired:
        dockerd.kill()
        dockerd.wait()
    for sub in ("exec", "data"):
        subprocess.run(["umount", "-R", str(root / sub)], capture_output=True)
    shutil.rmtree(root, ignore_errors=True)
"""


def test_coexistence_with_a_real_dockerd(tmp_path):
    script = tmp_path / "scenario.py"
    script.write_text(SCENARIO)
    proc = subprocess.run(
        ["unshare", "--net", "--", sys.executable, str(script), str(tmp_path), str(TESTS), str(SRC)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-4000:]
    assert "teardown removed our DOCKER-USER rules" in proc.stdout
