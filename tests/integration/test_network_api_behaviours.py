"""Network behaviours Docker's clients rely on (issue 11), through the real `docker` CLI,
`dockyard` and docker-py: bridge driver options, internal networks, labels, duplicate
names, --mac-address and --link-local-ip; create/inspect/connect JSON as Docker's."""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import subprocess
from typing import Any

import pytest
from testing.flowkit import Cli, Resources  # noqa: E402

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]

SLEEPER = ("busybox", "sleep", "600")
OPT = "com.docker.network.bridge."


def inspect(cli: Cli, *args: str) -> Any:
    return json.loads(cli.ok(*args))[0]


def test_create_with_driver_options_and_labels(cli: Cli, res: Resources) -> None:
    net, bridge = res.network("opts"), f"dyt{secrets.token_hex(4)}"
    opts = {
        f"{OPT}name": bridge,
        f"{OPT}enable_icc": "false",
        f"{OPT}enable_ip_masquerade": "false",
        f"{OPT}host_binding_ipv4": "127.0.0.1",
        "com.docker.network.driver.mtu": "1400",
    }
    args = [x for k, v in opts.items() for x in ("-o", f"{k}={v}")]
    netid = cli.ok("network", "create", "--label", "team=web", *args, net).strip()
    doc = inspect(cli, "network", "inspect", net)
    assert doc["Id"] == netid and doc["Options"] == opts
    assert doc["Labels"] == {"team": "web"} and doc["Internal"] is False
    link = subprocess.run(["ip", "-o", "link", "show", bridge], capture_output=True, text=True)
    assert " mtu 1400 " in link.stdout, link

    # host_binding_ipv4: ports published without an address bind to it
    a, b = res.container("icc-a"), res.container("icc-b")
    cli.ok("run", "-d", "--name", a, "--network", net, "-p", "80", *SLEEPER)
    assert cli.ok("port", a, "80").strip().startswith("127.0.0.1:")
    # enable_icc=false: containers on the network do not reach each other
    cli.ok("run", "-d", "--name", b, "--network", net, *SLEEPER)
    ip_a = inspect(cli, "inspect", a)["NetworkSettings"]["Networks"][net]["IPAddress"]
    assert cli.run("exec", b, "ping", "-c1", "-W1", ip_a).returncode != 0


def test_duplicate_name_is_refused(cli: Cli, res: Resources, daemon: Any) -> None:
    net = res.network("dup")
    cli.ok("network", "create", net)
    proc = cli.run("network", "create", net)
    assert proc.returncode == 1
    assert f"Error response from daemon: network with name {net} already exists" in proc.stderr
    docker = pytest.importorskip("docker")
    api = docker.APIClient(base_url=daemon.host)
    with pytest.raises(docker.errors.APIError) as info:
        api.create_network(net, check_duplicate=True)
    assert info.value.status_code == 409


def test_internal_network_has_no_way_out(cli: Cli, res: Resources) -> None:
    internal, outside = res.network("internal"), res.network("outside")
    cli.ok("network", "create", "--internal", internal)
    cli.ok("network", "create", outside)
    assert inspect(cli, "network", "inspect", internal)["Internal"] is True
    target = inspect(cli, "network", "inspect", outside)["IPAM"]["Config"][0]["Gateway"]
    inside, control = res.container("inside"), res.container("control")
    cli.ok("run", "-d", "--name", inside, "--network", internal, *SLEEPER)
    cli.ok("run", "-d", "--name", control, "--network", outside, *SLEEPER)
    assert "default" not in cli.ok("exec", inside, "ip", "route")
    assert inspect(cli, "inspect", inside)["NetworkSettings"]["Networks"][internal]["Gateway"] == ""
    assert cli.run("exec", inside, "ping", "-c1", "-W1", target).returncode != 0
    assert cli.run("exec", control, "ping", "-c1", "-W2", target).returncode == 0

    # a later connect to a routed network gives the default route through it
    cli.ok("network", "connect", outside, inside)
    assert cli.ok("exec", inside, "ip", "route").startswith("default via ")
    assert cli.run("exec", inside, "ping", "-c1", "-W2", target).returncode == 0


def test_mac_address_and_link_local_ip(cli: Cli, res: Resources) -> None:
    net, name = res.network("addr"), res.container("addr")
    cli.ok("network", "create", net)
    cli.ok(
        "run", "-d", "--name", name, "--network", net, "--mac-address", "02:42:ac:11:00:99",
        "--link-local-ip", "169.254.10.10", *SLEEPER,
    )  # fmt: skip
    ep = inspect(cli, "inspect", name)["NetworkSettings"]["Networks"][net]
    assert ep["MacAddress"] == "02:42:ac:11:00:99"
    assert ep["IPAMConfig"] == {"LinkLocalIPs": ["169.254.10.10"]}
    eth0 = cli.ok("exec", name, "ip", "addr", "show", "eth0")
    assert "link/ether 02:42:ac:11:00:99" in eth0 and "inet 169.254.10.10/16" in eth0

    other = res.network("addr2")
    cli.ok("network", "create", other)
    cli.ok("network", "connect", "--link-local-ip", "169.254.20.20", other, name)
    ep = inspect(cli, "inspect", name)["NetworkSettings"]["Networks"][other]
    assert ep["IPAMConfig"] == {"LinkLocalIPs": ["169.254.20.20"]}
    assert "inet 169.254.20.20/16" in cli.ok("exec", name, "ip", "addr", "show", "eth1")
    containers = inspect(cli, "network", "inspect", other)["Containers"]
    assert [c["Name"] for c in containers.values()] == [name]


def test_ipv6_network_create_inspect_connect(cli: Cli, res: Resources) -> None:
    net, auto = res.network("v6"), res.network("v6auto")
    subnet = str(ipaddress.IPv6Network(f"fd42:{secrets.token_hex(2)}:{secrets.token_hex(2)}::/64"))
    prefix = subnet.split("::")[0]
    cli.ok("network", "create", "--ipv6", "--subnet", subnet, net)
    doc = inspect(cli, "network", "inspect", net)
    assert doc["EnableIPv6"] is True
    v4, v6 = doc["IPAM"]["Config"]
    assert "." in v4["Subnet"] and v6 == {"Subnet": subnet, "Gateway": f"{prefix}::1"}

    a, b = res.container("v6a"), res.container("v6b")
    cli.ok("run", "-d", "--name", a, "--network", net, "--ip6", f"{prefix}::10", *SLEEPER)
    cli.ok("run", "-d", "--name", b, "--network", net, *SLEEPER)
    ep = inspect(cli, "inspect", a)["NetworkSettings"]["Networks"][net]
    assert ep["IPAMConfig"] == {"IPv6Address": f"{prefix}::10"}
    assert ep["GlobalIPv6Address"] == f"{prefix}::10" and ep["GlobalIPv6PrefixLen"] == 64
    assert ep["IPv6Gateway"] == f"{prefix}::1"
    assert f"inet6 {prefix}::10/64" in cli.ok("exec", a, "ip", "-6", "addr", "show", "eth0")
    assert f"default via {prefix}::1" in cli.ok("exec", a, "ip", "-6", "route")
    assert cli.run("exec", b, "ping", "-c1", "-W2", f"{prefix}::10").returncode == 0
    assert cli.run("exec", b, "ping", "-c1", "-W2", f"{prefix}::1").returncode == 0
    containers = inspect(cli, "network", "inspect", net)["Containers"]
    assert f"{prefix}::10/64" in {c["IPv6Address"] for c in containers.values()}

    # without a subnet: a unique-local /64; --ip6 on connect
    cli.ok("network", "create", "--ipv6", auto)
    auto6 = inspect(cli, "network", "inspect", auto)["IPAM"]["Config"][1]["Subnet"]
    assert auto6.startswith("fd") and auto6.endswith("::/64")
    want = auto6.replace("::/64", "::99")
    cli.ok("network", "connect", "--ip6", want, auto, a)
    assert (
        inspect(cli, "inspect", a)["NetworkSettings"]["Networks"][auto]["GlobalIPv6Address"] == want
    )

    # an IPv6 subnet needs --ipv6
    proc = cli.run("network", "create", "--subnet", "fd43::/64", res.network("nov6"))
    assert proc.returncode == 1 and "IPv6" in proc.stderr
