"""Containers on user networks and with volumes, through the `docker` CLI and `dockyard`:
network create/ls/inspect/connect/disconnect/rm, DNS by name and --network-alias, volume
create/ls/inspect/rm, anonymous volumes removed by `rm -v` and `--rm`."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from testing.flowkit import Cli, Resources, wait_until  # noqa: E402

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]


def web(text: str) -> tuple[str, ...]:
    return ("busybox", "sh", "-c",
            f"mkdir /www && echo {text} > /www/index.html && exec httpd -f -p 80 -h /www")  # fmt: skip


def fetch(cli: Cli, container: str, url: str) -> str:
    """wget from inside a container, retrying while the server starts. (busybox 1.35's
    `wget -T` segfaults, so busybox `timeout` bounds it instead.)"""
    return wait_until(
        lambda: cli.run("exec", container, "timeout", "3", "wget", "-qO-", url).stdout,
        timeout=10,
        what=f"{container} fetching {url}",
    )


def test_user_network_dns_by_name_and_alias(cli: Cli, res: Resources) -> None:
    net = res.network("appnet")
    net_id = cli.ok("network", "create", net).strip()
    assert len(net_id) == 64
    assert net in cli.ok("network", "ls", "--format", "{{.Name}}").split()
    doc = json.loads(cli.ok("network", "inspect", net))[0]
    assert doc["Name"] == net and doc["Driver"] == "bridge" and doc["Id"] == net_id
    subnet = doc["IPAM"]["Config"][0]["Subnet"]
    assert subnet

    a, b = res.container("svc-a"), res.container("svc-b")
    cli.ok("run", "-d", "--name", a, "--network", net, "--network-alias", "backend", *web("from-a"))
    cli.ok("run", "-d", "--name", b, "--network", net, "busybox", "sleep", "600")
    assert fetch(cli, b, f"http://{a}/") == "from-a\n"
    assert fetch(cli, b, "http://backend/") == "from-a\n"
    ping = cli.run("exec", b, "ping", "-c", "1", "-W", "2", a)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    ping = cli.run("exec", a, "ping", "-c", "1", "-W", "2", b)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    ip_a = cli.fmt(f"{{{{(index .NetworkSettings.Networks \"{net}\").IPAddress}}}}", a)
    assert ip_a and ip_a != cli.fmt(f"{{{{(index .NetworkSettings.Networks \"{net}\").IPAddress}}}}", b)
    assert f"({ip_a})" in cli.ok("exec", b, "ping", "-c", "1", "-W", "2", "backend")
    lookup = cli.run("exec", b, "nslookup", a)
    assert ip_a in lookup.stdout, lookup.stdout + lookup.stderr
    aliases = json.loads(cli.fmt(f"{{{{json (index .NetworkSettings.Networks \"{net}\").Aliases}}}}", a))
    assert "backend" in aliases

    proc = cli.run("network", "rm", net)
    assert proc.returncode != 0 and "active endpoints" in proc.stderr
    cli.ok("rm", "-f", a, b)
    assert cli.ok("network", "rm", net).strip() == net
    assert net not in cli.ok("network", "ls", "--format", "{{.Name}}").split()
    assert cli.run("network", "inspect", net).returncode != 0


def test_network_create_options_and_default_networks(cli: Cli, res: Resources) -> None:
    names = cli.ok("network", "ls", "--format", "{{.Name}} {{.Driver}}").splitlines()
    assert {"bridge bridge", "host host", "none null"} <= set(names)
    net = res.network("custom")
    third = random.randint(100, 250)  # another test daemon on this host may hold one subnet
    subnet = f"172.31.{third}.0/24"
    cli.ok("network", "create", "--subnet", subnet, "--label", "env=test", net)
    doc = json.loads(cli.ok("network", "inspect", net))[0]
    assert doc["IPAM"]["Config"][0]["Subnet"] == subnet
    assert doc["Labels"] == {"env": "test"}
    name = res.container("fixedip")
    cli.ok("run", "-d", "--name", name, "--network", net, "--ip", f"172.31.{third}.77",
           "busybox", "sleep", "600")  # fmt: skip
    assert f"172.31.{third}.77/24" in cli.ok("exec", name, "ip", "-4", "addr", "show", "eth0")
    none = res.container("nonet")
    out = cli.ok("run", "--rm", "--name", none, "--network", "none", "busybox", "ip", "-o", "link")
    assert [line.split()[1] for line in out.splitlines()] == ["lo:"]
    assert cli.run("network", "create", net).returncode != 0  # duplicate name
    cli.ok("rm", "-f", name)
    cli.ok("network", "rm", net)


def test_named_volume_lifecycle(cli: Cli, res: Resources) -> None:
    vol = res.volume("named")
    assert cli.ok("volume", "create", "--label", "purpose=e2e", vol).strip() == vol
    assert vol in cli.ok("volume", "ls", "-q").split()
    assert vol in cli.ok("volume", "ls", "--filter", "label=purpose=e2e", "--format", "{{.Name}}")
    doc = json.loads(cli.ok("volume", "inspect", vol))[0]
    assert doc["Name"] == vol and doc["Driver"] == "local" and doc["Labels"] == {"purpose": "e2e"}
    mountpoint = Path(doc["Mountpoint"])
    assert mountpoint.is_dir()
    cli.ok("run", "--rm", "-v", f"{vol}:/data", "busybox", "sh", "-c", "echo kept > /data/f")
    assert (mountpoint / "f").read_text() == "kept\n"
    (mountpoint / "from-host").write_text("host\n")
    assert cli.ok("run", "--rm", "-v", f"{vol}:/data:ro", "busybox", "cat", "/data/from-host") == "host\n"
    assert cli.run("run", "--rm", "-v", f"{vol}:/data:ro", "busybox", "touch", "/data/x").returncode != 0
    # --mount syntax reaches the same volume
    out = cli.ok("run", "--rm", "--mount", f"type=volume,source={vol},target=/m", "busybox", "cat", "/m/f")
    assert out == "kept\n"
    assert cli.ok("volume", "rm", vol).strip() == vol
    assert vol not in cli.ok("volume", "ls", "-q").split()
    assert not mountpoint.exists()
    proc = cli.run("volume", "inspect", vol)
    assert proc.returncode != 0 and "no such volume" in proc.stderr.lower()


def test_volume_auto_created_and_copies_image_content(cli: Cli, res: Resources) -> None:
    vol = res.volume("auto")
    # a named volume that does not exist yet is created by run; an empty volume mounted over
    # an image directory gets that directory's content first (Docker's copy-up)
    out = cli.ok("run", "--rm", "-v", f"{vol}:/etc", "busybox", "cat", "/etc/passwd")
    assert "root:" in out
    assert vol in cli.ok("volume", "ls", "-q").split()
    cli.ok("volume", "rm", vol)


def test_anonymous_volume_removed_with_rm_v(cli: Cli, res: Resources) -> None:
    name = res.container("anon")
    cli.ok("run", "-d", "--name", name, "-v", "/data", "busybox", "sh", "-c",
           "echo anon > /data/f; exec sleep 600")  # fmt: skip
    mounts = json.loads(cli.fmt("{{json .Mounts}}", name))
    assert len(mounts) == 1 and mounts[0]["Type"] == "volume" and mounts[0]["Destination"] == "/data"
    anon = mounts[0]["Name"]
    res.track_volume(anon)
    assert len(anon) == 64
    assert anon in cli.ok("volume", "ls", "-q").split()
    wait_until(lambda: cli.ok("exec", name, "cat", "/data/f") == "anon\n")
    cli.ok("rm", "-f", "-v", name)
    assert anon not in cli.ok("volume", "ls", "-q").split()

    # without -v the anonymous volume stays behind
    kept = res.container("anonkept")
    cli.ok("run", "-d", "--name", kept, "-v", "/data", "busybox", "sleep", "600")
    anon2 = json.loads(cli.fmt("{{json .Mounts}}", kept))[0]["Name"]
    res.track_volume(anon2)
    cli.ok("rm", "-f", kept)
    assert anon2 in cli.ok("volume", "ls", "-q").split()
    cli.ok("volume", "rm", anon2)

    # --rm removes anonymous volumes, never named ones
    named = res.volume("keepme")
    before = set(cli.ok("volume", "ls", "-q").split())
    cli.ok("run", "--rm", "-v", "/scratch", "-v", f"{named}:/named", "busybox", "true")
    after = set(cli.ok("volume", "ls", "-q").split())
    assert after - before == {named}, after - before
    cli.ok("volume", "rm", named)


def test_volumes_from_and_in_use(cli: Cli, res: Resources) -> None:
    vol = res.volume("shared")
    owner = res.container("owner")
    cli.ok("run", "-d", "--name", owner, "-v", f"{vol}:/shared", "busybox", "sh", "-c",
           "echo shared > /shared/f; exec sleep 600")  # fmt: skip
    wait_until(lambda: cli.run("exec", owner, "test", "-f", "/shared/f").returncode == 0)
    out = cli.ok("run", "--rm", "--volumes-from", owner, "busybox", "cat", "/shared/f")
    assert out == "shared\n"
    proc = cli.run("volume", "rm", vol)
    assert proc.returncode != 0 and "in use" in proc.stderr
    cli.ok("rm", "-f", owner)
    cli.ok("volume", "rm", vol)


def test_network_connect_alias_disconnect(cli: Cli, res: Resources) -> None:
    net = res.network("connnet")
    cli.ok("network", "create", net)
    a, b = res.container("svc-a"), res.container("svc-b")
    cli.ok("run", "-d", "--name", a, "--network", net, *web("from-a"))
    cli.ok("run", "-d", "--name", b, "--network", net, "busybox", "sleep", "600")
    assert fetch(cli, b, f"http://{a}/") == "from-a\n"
    # a container on the default bridge does not see the names of a user network
    c = res.container("outsider")
    cli.ok("run", "-d", "--name", c, "busybox", "sleep", "600")
    assert cli.run("exec", c, "timeout", "3", "wget", "-qO-", f"http://{a}/").returncode != 0
    # ... until it is connected to it
    cli.ok("network", "connect", "--alias", "late", net, c)
    assert fetch(cli, c, f"http://{a}/") == "from-a\n"
    assert cli.run("exec", b, "ping", "-c", "1", "-W", "2", "late").returncode == 0
    containers = json.loads(cli.ok("network", "inspect", net))[0]["Containers"]
    assert {v["Name"] for v in containers.values()} == {a, b, c}
    cli.ok("network", "disconnect", net, c)
    assert cli.run("exec", c, "timeout", "3", "wget", "-qO-", f"http://{a}/").returncode != 0

    cli.ok("rm", "-f", a, b, c)
    cli.ok("network", "rm", net)


def gateway_of(cli: Cli, container: str) -> str:
    return cli.ok("exec", container, "ip", "route").split("default via ", 1)[1].split()[0]


@pytest.mark.parametrize("network", ["bridge", "user"])
def test_running_containers_keep_their_gateway_when_others_join(
    cli: Cli, res: Resources, network: str
) -> None:
    net = "bridge"
    if network == "user":
        net = res.network("joinnet")
        cli.ok("network", "create", net)
    first = res.container("first")
    cli.ok("run", "-d", "--name", first, "--network", net, "busybox", "sleep", "600")
    gw = gateway_of(cli, first)
    lost = []
    for i in range(8):
        assert cli.run("exec", first, "ping", "-c", "1", "-W", "1", gw).returncode == 0
        cli.ok("run", "-d", "--name", res.container(f"joiner{i}"), "--network", net,
               "busybox", "sleep", "600")  # fmt: skip
        if cli.run("exec", first, "ping", "-c", "1", "-W", "1", gw).returncode != 0:
            lost.append(i)
    assert not lost, f"{first} lost its gateway {gw} after joiners {lost}"


def test_network_host_hostname_is_the_hosts(cli: Cli) -> None:
    import socket

    out = cli.ok("run", "--rm", "--network", "host", "busybox", "hostname")
    assert out.strip() == socket.gethostname()


def test_network_host_and_container_modes(cli: Cli, res: Resources) -> None:
    def host_ifaces() -> set[str]:
        with open("/proc/net/dev") as f:
            return {line.split(":")[0].strip() for line in f.readlines()[2:]}

    # Other test runs on this host add and remove interfaces meanwhile: the container must
    # see every interface that existed throughout; any other is one of theirs, come and gone.
    before = host_ifaces()
    host_links = cli.ok("run", "--rm", "--network", "host", "busybox", "ip", "-o", "link")
    after = host_ifaces()
    ctr_ifaces = {line.split(":")[1].strip().split("@")[0] for line in host_links.splitlines()}
    assert before & after <= ctr_ifaces
    assert all(n.startswith(("veth", "dyt")) for n in ctr_ifaces - (before | after))
    assert {"lo", cli.daemon.bridge} <= ctr_ifaces

    owner = res.container("netowner")
    cli.ok("run", "-d", "--name", owner, *web("shared-netns"))
    ip = cli.fmt("{{.NetworkSettings.IPAddress}}", owner)
    guest = res.container("netguest")
    cli.ok("run", "-d", "--name", guest, "--network", f"container:{owner}", "busybox",
           "sleep", "600")  # fmt: skip
    assert f"inet {ip}/" in cli.ok("exec", guest, "ip", "-4", "addr")
    assert fetch(cli, guest, "http://127.0.0.1/") == "shared-netns\n"
    assert cli.fmt("{{.HostConfig.NetworkMode}}", guest) == f"container:{owner}"
