"""Network behaviours Docker's clients rely on (issue 11), through the real `docker` CLI,
`dockyard` and docker-py: bridge driver options, internal networks, labels, duplicate
names, --mac-address and --link-local-ip; create/inspect/connect JSON as Docker's."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from flowkit import Cli, Resources  # noqa: E402

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
