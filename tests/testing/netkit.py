"""Helpers for the network library's kernel tests: bare namespaces stand in for
containers, a fake "outside" namespace plays the internet, a fake resolver the host's.
Used by tests/integration/test_network_bridge.py and test_network_docker.py."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import threading
from pathlib import Path

from daemon_harness import claim_pool

from dockyard.network import bridge as br
from dockyard.network import dnswire as w
from dockyard.network import netns, nftables
from dockyard.network.manager import NetworkConfig, NetworkManager
from dockyard.network.store import MemoryStore

# The tests' "internet": a /16 claimed host-wide (tests/daemon_harness.py). Never a documentation
# range: this sandbox's own uplink lives in TEST-NET-3 (its Debian mirror answered there), and a
# test veth in that range hijacked the host's route to it.
_OUTSIDE_PREFIX = claim_pool()[0].rsplit(".", 2)[0]  # "10.N"
OUTSIDE_GW = f"{_OUTSIDE_PREFIX}.0.1"  # the host's end of the veth
OUTSIDE_IP = f"{_OUTSIDE_PREFIX}.0.2"  # the namespace that serves as the internet

SRC = str(Path(__file__).resolve().parents[2] / "src")

# A tiny server run inside a namespace: answers each TCP connection with a line naming
# itself and the peer it saw (to check masquerading).
SERVER = """
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(16)
print("ready", flush=True)
while True:
    c, peer = s.accept()
    c.sendall(f"{sys.argv[2]} {peer[0]}\\n".encode()); c.close()
"""

CLIENT = """
import socket, sys
try:
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3]))
    print(c.recv(200).decode().strip())
except OSError as e:
    print("ERR", e); sys.exit(1)
"""

DNS_CLIENT = """
import socket, sys
sys.path.insert(0, sys.argv[3])
from dockyard.network import dnswire as w
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.sendto(w.build_query(sys.argv[2]), (sys.argv[1], 53))
a = w.parse_response(s.recv(1500))
print(a.rcode, ",".join(a.addresses))
"""


def in_ns(path: str, code: str, *args: str, timeout: float = 10) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["nsenter", f"--net={path}", sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def ping(path: str, ip: str) -> bool:
    proc = subprocess.run(
        ["nsenter", f"--net={path}", "busybox", "ping", "-c", "1", "-W", "1", ip],
        capture_output=True,
        timeout=10,
    )
    return proc.returncode == 0


class FakeUpstream:
    """A resolver on loopback standing in for the host's: knows one name."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.2)
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while not self.stop:
            try:
                data, addr = self.sock.recvfrom(512)
            except TimeoutError:
                continue
            q = w.parse_query(data)
            if q.question and q.question.name == "outside.test":
                self.sock.sendto(w.a_response(q, [OUTSIDE_IP]), addr)
            else:
                self.sock.sendto(w.response(q, w.NXDOMAIN), addr)

    def close(self) -> None:
        self.stop = True
        self.thread.join()
        self.sock.close()


def make_env(tmp_path: Path, **overrides):
    """A manager with names of its own, a fake upstream resolver and a fake outside."""
    sfx = secrets.token_hex(2)
    pool, _claim = claim_pool()  # released when this process ends
    upstream = FakeUpstream()
    cfg = NetworkConfig(
        exec_root=tmp_path / "run",
        bridge=f"dyt{sfx}0",
        bridge_prefix=f"dyt{sfx}-",
        nft_table=f"dyt_{sfx}",
        pools=[{"base": pool, "size": 24}],
        dns_upstreams=[("127.0.0.1", upstream.port)],
    )
    for key, value in overrides.items():
        setattr(cfg, key, value)
    mgr = NetworkManager(cfg, MemoryStore())
    procs: list[subprocess.Popen] = []
    outside = str(tmp_path / "outside" / "ns")
    out_veth = f"dyo{sfx}"
    state = {"cfg": cfg, "mgr": mgr, "procs": procs, "outside": outside, "sfx": sfx}
    try:
        mgr.restore()
        _make_outside(outside, out_veth)
        yield state
    finally:
        for p in procs:
            p.kill()
            p.wait()
        with contextlib.suppress(Exception):
            state["mgr"].teardown()
        upstream.close()
        br.delete_link(out_veth)
        netns.delete(outside)
        netns.release_dir(os.path.dirname(outside))
        # belt and braces: nothing of ours may survive a failed test
        for name in br.list_links((f"dyt{sfx}",)):
            br.delete_link(name)
        nftables.remove(cfg.nft_table)
        nsdir = cfg.netns_dir
        if nsdir.exists():
            for f in nsdir.iterdir():
                netns.delete(str(f))
            netns.release_dir(str(nsdir))


def _make_outside(path: str, host_veth: str) -> None:
    """A namespace at OUTSIDE_IP reachable from the host through a veth (the "internet")."""
    from pyroute2 import IPRoute

    netns.create(path)
    with IPRoute() as ipr:
        ipr.link("add", ifname=host_veth, kind="veth", peer="dytpeer" + secrets.token_hex(2))
        peer = ipr.get_links(ipr.link_lookup(ifname=host_veth)[0])[0].get_attr("IFLA_LINK")
        ipr.link("set", index=peer, net_ns_fd=path)
        idx = ipr.link_lookup(ifname=host_veth)[0]
        ipr.addr("add", index=idx, address=OUTSIDE_GW, prefixlen=24)
        ipr.link("set", index=idx, state="up")
    with netns.entered(path), IPRoute() as nsr:
        idx = [x["index"] for x in nsr.get_links() if x.get_attr("IFLA_IFNAME") != "lo"][0]
        nsr.link("set", index=idx, ifname="eth0", state="up")
        nsr.addr("add", index=idx, address=OUTSIDE_IP, prefixlen=24)
        lo = nsr.link_lookup(ifname="lo")[0]
        nsr.link("set", index=lo, state="up")
        # no route back to the containers' subnets: only masquerading makes replies work


def serve(state, path: str, port: int, label: str) -> None:
    p = subprocess.Popen(
        ["nsenter", f"--net={path}", sys.executable, "-c", SERVER, str(port), label],
        stdout=subprocess.PIPE,
        text=True,
    )
    state["procs"].append(p)
    assert p.stdout.readline().strip() == "ready"


def fetch(host: str, port: int, timeout: float = 3) -> str:
    with socket.create_connection((host, port), timeout=timeout) as c:
        return c.recv(200).decode().strip()


def cid() -> str:
    return secrets.token_hex(32)
