"""The network library against the real kernel: bare namespaces stand in for containers.

Every name (bridges, nft table, namespace dir, subnets) is unique to the test run, and a
fake "outside" namespace plays the internet; no packet leaves the machine.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time

import pytest
from testing.netkit import (  # tests/ is on sys.path (tests/conftest.py)
    CLIENT,
    DNS_CLIENT,
    OUTSIDE_GW,
    OUTSIDE_IP,
    SRC,
    cid,
    fetch,
    in_ns,
    make_env,
    ping,
    serve,
)

from dockyard.network import bridge as br
from dockyard.network import nftables
from dockyard.network.manager import NetworkManager

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]


@pytest.fixture
def env(tmp_path):
    yield from make_env(tmp_path)


def test_bridge_network_end_to_end(env):
    mgr: NetworkManager = env["mgr"]
    mgr.create_network("front")
    mgr.create_network("back")
    mgr.create_network("vault", internal=True)
    a, b, c, d = cid(), cid(), cid(), cid()

    t0 = time.monotonic()
    ea = mgr.connect(a, "/web", "front", aliases=["www"])
    connect_s = time.monotonic() - t0
    eb = mgr.connect(b, "/client", "front", links=["web:site"])
    ec = mgr.connect(c, "/other", "back")
    ed = mgr.connect(d, "/secret", "vault")
    # as Docker, an endpoint on an internal network has no gateway (no route out); the
    # bridge still holds the network's gateway address (its DNS listens there)
    assert ed["Gateway"] == ""
    vault_gw = mgr.inspect_network("vault")["IPAM"]["Config"][0]["Gateway"]
    pa, pb, pc, pd = (mgr.sandbox_path(x) for x in (a, b, c, d))

    # Docker's endpoint shape and addressing
    assert ea["IPAddress"].endswith(".2") and ea["Gateway"].endswith(".1")
    assert ea["MacAddress"] == br.mac_for(ea["IPAddress"])
    assert ea["DNSNames"] == ["web", "www", a[:12]]
    assert eb["IPAddress"].endswith(".3")
    info = mgr.inspect_network("front")
    assert set(info["Containers"]) == {a, b}
    assert info["Containers"][a]["IPv4Address"] == f"{ea['IPAddress']}/24"

    # same network: gateway and each other; other networks: isolated
    assert ping(pa, ea["Gateway"])
    assert ping(pa, eb["IPAddress"])
    assert not ping(pa, ec["IPAddress"])
    assert not ping(pc, ea["IPAddress"])

    # NAT to the fake outside, seen from the host's side of the link (masquerade)
    serve(env, env["outside"], 7000, "outside")
    out = in_ns(pa, CLIENT, OUTSIDE_IP, "7000", "3")
    assert out.stdout.strip() == f"outside {OUTSIDE_GW}", out
    # an internal network has no way out, not even to the host's published ports
    out = in_ns(pd, CLIENT, OUTSIDE_IP, "7000", "2")
    assert out.returncode != 0

    # published port: from the host via 127.0.0.1 and a host address, and hairpin
    serve(env, pa, 80, "web")
    ports = mgr.publish_ports(a, {"80/tcp": [{"HostIp": "", "HostPort": ""}]})
    host_port = int(ports["80/tcp"][0]["HostPort"])
    assert ports["80/tcp"][0]["HostIp"] == "0.0.0.0"
    assert fetch("127.0.0.1", host_port).startswith("web ")
    host_addr = ec["Gateway"]  # an address of the host (the "back" bridge)
    assert fetch(host_addr, host_port).startswith("web ")
    out = in_ns(pa, CLIENT, ea["Gateway"], str(host_port), "3")
    assert out.stdout.startswith("web "), out  # hairpin to itself
    out = in_ns(pd, CLIENT, vault_gw, str(host_port), "2")
    assert out.returncode != 0  # internal network
    out = in_ns(pc, CLIENT, ec["Gateway"], str(host_port), "3")
    assert out.stdout.startswith("web "), out  # another network, through the host
    # the host port is held: another program cannot take it
    s = socket.socket()
    with pytest.raises(OSError):
        s.bind(("0.0.0.0", host_port))
    s.close()
    # a second publish on the same port is refused as Docker does
    with pytest.raises(Exception) as exc:
        mgr.publish_ports(b, {"80/tcp": [{"HostIp": "", "HostPort": str(host_port)}]})
    assert f"Bind for 0.0.0.0:{host_port} failed: port is already allocated" in str(exc.value)

    # DNS on the gateway: names, aliases, links, forwarding, NXDOMAIN
    gw = ea["Gateway"]
    q = lambda ns, name: in_ns(ns, DNS_CLIENT, gw, name, SRC).stdout.split()  # noqa: E731
    assert q(pb, "web") == ["0", ea["IPAddress"]]
    assert q(pb, "WWW") == ["0", ea["IPAddress"]]
    assert q(pb, "site") == ["0", ea["IPAddress"]]  # --link alias, for b only
    assert q(pa, "site") == ["3"]  # a has no such link: forwarded, upstream says NXDOMAIN
    assert q(pb, "outside.test") == ["0", OUTSIDE_IP]
    assert q(pb, "nothere.test") == ["3"]
    assert q(pb, "web.front") == ["0", ea["IPAddress"]]  # name.network, as Docker
    # internal networks resolve their own names but never ask outside
    qd = in_ns(pd, DNS_CLIENT, vault_gw, "outside.test", SRC).stdout.split()
    assert qd == ["5"]  # REFUSED
    assert in_ns(pd, DNS_CLIENT, vault_gw, "secret", SRC).stdout.split() == [
        "0",
        ed["IPAddress"],
    ]
    files = mgr.sandbox_files(b, "client")
    assert f"nameserver {gw}\n" in files["resolv.conf"]
    assert f"{ea['IPAddress']}\tsite web" in files["hosts"]

    # disconnect frees the address and removes the interface
    t0 = time.monotonic()
    mgr.disconnect(b, "front")
    disconnect_s = time.monotonic() - t0
    assert b not in mgr.inspect_network("front")["Containers"]
    assert not ping(pa, eb["IPAddress"])
    print(f"connect {connect_s * 1000:.1f} ms, disconnect {disconnect_s * 1000:.1f} ms")

    with pytest.raises(Exception) as exc:
        mgr.remove_network("front")
    assert "has active endpoints" in str(exc.value)


def test_restore_after_restart_keeps_running_containers(env):
    mgr: NetworkManager = env["mgr"]
    store = mgr.store
    mgr.create_network("app")
    a, gone = cid(), cid()
    ea = mgr.connect(a, "web", "app")
    mgr.connect(gone, "old", "app")
    serve(env, mgr.sandbox_path(a), 80, "web")
    port = int(
        mgr.publish_ports(a, {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]})["80/tcp"][0][
            "HostPort"
        ]
    )
    mgr.close()  # daemon stops; kernel state stays (live restore)

    # while "down", someone deletes the bridge: restore recreates it and re-plugs the veth
    br.delete_link(mgr.networks[ea["NetworkID"]]["bridge"])
    mgr2 = NetworkManager(env["cfg"], store)
    env["mgr"] = mgr2
    mgr2.restore(running={a})
    assert fetch("127.0.0.1", port).startswith("web ")
    assert set(mgr2.inspect_network("app")["Containers"]) == {a}
    # the stopped container's address is free again, the running one's is still taken
    b = cid()
    eb = mgr2.connect(b, "new", "app")
    assert eb["IPAddress"] != ea["IPAddress"]


def test_teardown_leaves_nothing(env):
    mgr: NetworkManager = env["mgr"]
    cfg = env["cfg"]
    mgr.create_network("x")
    a = cid()
    mgr.connect(a, "one", "x")
    mgr.connect(a, "one", "bridge")
    mgr.publish_ports(a, {"80/tcp": [{"HostIp": "", "HostPort": ""}]})
    assert nftables.exists(cfg.nft_table)
    mgr.teardown()
    assert br.list_links((f"dyt{env['sfx']}",)) == []
    assert not nftables.exists(cfg.nft_table)
    assert not cfg.netns_dir.exists() or not any(cfg.netns_dir.iterdir())
    assert not os.path.ismount(cfg.netns_dir)
    veths = subprocess.run(["ip", "-br", "link"], capture_output=True, text=True).stdout
    assert "master" not in veths


def test_dns_moves_off_a_taken_port(tmp_path):
    """Port 53 held on every address by someone else: our DNS listens elsewhere and
    nftables redirects the containers' queries to it."""
    blocker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    blocker.bind(("0.0.0.0", 0))
    taken = blocker.getsockname()[1]
    gen = make_env(tmp_path, dns_port=taken)
    env = next(gen)
    try:
        mgr: NetworkManager = env["mgr"]
        mgr.create_network("n")
        a = cid()
        ea = mgr.connect(a, "web", "n")
        port = mgr._dns_ports[ea["NetworkID"]]
        assert port != taken
        out = in_ns(mgr.sandbox_path(a), DNS_CLIENT, ea["Gateway"], "web", SRC)
        assert out.stdout.split() == ["0", ea["IPAddress"]], out
    finally:
        blocker.close()
        with contextlib.suppress(StopIteration):
            next(gen)


def test_watchdog_restores_a_flushed_table(tmp_path):
    gen = make_env(tmp_path, watchdog_interval=0.2)
    env = next(gen)
    try:
        mgr: NetworkManager = env["mgr"]
        mgr.create_network("n")
        table = env["cfg"].nft_table
        subprocess.run(["nft", "delete", "table", "inet", table], check=True)
        for _ in range(50):
            if nftables.exists(table):
                break
            time.sleep(0.1)
        assert nftables.exists(table)
    finally:
        with contextlib.suppress(StopIteration):
            next(gen)


def test_gateway_and_ports_follow_to_the_remaining_network(env):
    mgr: NetworkManager = env["mgr"]
    mgr.create_network("first")
    mgr.create_network("second")
    a = cid()
    mgr.connect(a, "web", "first")
    e2 = mgr.connect(a, "web", "second")
    path = mgr.sandbox_path(a)
    serve(env, path, 80, "web")
    port = int(
        mgr.publish_ports(a, {"80/tcp": [{"HostIp": "", "HostPort": ""}]})["80/tcp"][0]["HostPort"]
    )
    mgr.disconnect(a, "first")
    routes = subprocess.run(
        ["nsenter", f"--net={path}", "ip", "route", "show", "default"],
        capture_output=True,
        text=True,
    ).stdout
    assert f"via {e2['Gateway']} dev eth1" in routes
    assert fetch("127.0.0.1", port).startswith("web ")
    serve(env, env["outside"], 7002, "outside")
    out = in_ns(path, CLIENT, OUTSIDE_IP, "7002", "3")
    assert out.stdout.strip() == f"outside {OUTSIDE_GW}", out


UDP_ECHO = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", int(sys.argv[1])))
print("ready", flush=True)
while True:
    data, peer = s.recvfrom(100); s.sendto(b"echo " + data, peer)
"""


def test_udp_publish_and_none_network(env):
    mgr: NetworkManager = env["mgr"]
    a, n = cid(), cid()
    mgr.connect(a, "udp", "bridge")
    path = mgr.sandbox_path(a)
    p = subprocess.Popen(
        ["nsenter", f"--net={path}", sys.executable, "-c", UDP_ECHO, "5353"],
        stdout=subprocess.PIPE,
        text=True,
    )
    env["procs"].append(p)
    assert p.stdout.readline().strip() == "ready"
    got = mgr.publish_ports(a, {"5353/udp": [{"HostIp": "127.0.0.1", "HostPort": ""}]})
    port = int(got["5353/udp"][0]["HostPort"])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(b"hi", ("127.0.0.1", port))
    assert s.recv(100) == b"echo hi"
    s.close()
    # --network none: a namespace with only a working loopback
    mgr.connect(n, "lonely", "none")
    npath = mgr.sandbox_path(n)
    links = subprocess.run(
        ["nsenter", f"--net={npath}", "ip", "-br", "link"], capture_output=True, text=True
    ).stdout.split("\n")
    assert [x.split()[0] for x in links if x] == ["lo"]
    assert "UNKNOWN" in links[0] or "UP" in links[0]
    assert ping(npath, "127.0.0.1")


def test_never_takes_over_a_non_bridge_link(env):
    mgr: NetworkManager = env["mgr"]
    with pytest.raises(Exception) as exc:
        mgr.create_network("evil", options={"com.docker.network.bridge.name": "lo"})
    assert "is not a bridge" in str(exc.value)
    assert "evil" not in {n["Name"] for n in mgr.list_networks()}
    lo = subprocess.run(["ip", "-br", "addr", "show", "lo"], capture_output=True, text=True)
    assert lo.stdout.split()[2] == "127.0.0.1/8"


def test_parallel_connects_from_worker_threads(env):
    """The container service calls from many worker threads at once."""
    from concurrent.futures import ThreadPoolExecutor

    mgr: NetworkManager = env["mgr"]
    mgr.create_network("busy")
    ids = [cid() for _ in range(12)]
    with ThreadPoolExecutor(6) as pool:
        eps = list(pool.map(lambda c: mgr.connect(c, "c" + c[:6], "busy"), ids))
    ips = [e["IPAddress"] for e in eps]
    assert len(set(ips)) == len(ips)
    assert ping(mgr.sandbox_path(ids[0]), ips[-1])
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(mgr.release_sandbox, ids))
    assert mgr.inspect_network("busy")["Containers"] == {}
