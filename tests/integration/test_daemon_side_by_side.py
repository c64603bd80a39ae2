"""Several daemons on one host (issue 19): two private daemons side by side, each with its
own networks and containers, DNS and published ports working on both before and after the
other starts, stops, crashes and is refused; a refused start leaves no trace."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from ipaddress import ip_network
from pathlib import Path

import pytest
from daemon_harness import VENV_BIN, TestDaemon  # noqa: E402
from testing.flowkit import free_port, http_get, wait_until  # noqa: E402

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]


def addresses(bridge: str) -> list[str]:
    out = subprocess.run(
        ["ip", "-br", "-4", "addr", "show", bridge], capture_output=True, text=True
    )
    return sorted(out.stdout.split()[2:])


def nft_table_exists(table: str) -> bool:
    return (
        subprocess.run(["nft", "list", "table", "inet", table], capture_output=True).returncode == 0
    )


class Site:
    """One daemon's user network with a web server (published port) and a client."""

    def __init__(self, d: TestDaemon, tag: str) -> None:
        self.d, self.tag = d, tag
        self.net, self.web, self.client = f"net-{tag}", f"web-{tag}", f"cli-{tag}"
        self.port = free_port()

    def ok(self, *args: str) -> str:
        proc = self.d.cli(*args)
        assert proc.returncode == 0, f"{args}: {proc.stdout}{proc.stderr}"
        return proc.stdout

    def up(self) -> None:
        self.ok("network", "create", self.net)
        self.ok("run", "-d", "--name", self.web, "--network", self.net, "-p", f"{self.port}:80",
                "busybox", "sh", "-c",
                f"mkdir /www && echo {self.tag} > /www/index.html && exec httpd -f -p 80 -h /www")  # fmt: skip
        self.ok(
            "run", "-d", "--name", self.client, "--network", self.net, "busybox", "sleep", "900"
        )

    def subnets(self) -> set[str]:
        nets = json.loads(self.ok("network", "inspect", "bridge", self.net))
        return {n["IPAM"]["Config"][0]["Subnet"] for n in nets}

    def check(self) -> None:
        """DNS by name inside the network and the published port from the host."""
        ip = self.ok("inspect", "-f", f'{{{{(index .NetworkSettings.Networks "{self.net}").IPAddress}}}}',
                     self.web).strip()  # fmt: skip
        lookup = wait_until(
            lambda: self.d.cli("exec", self.client, "nslookup", self.web).stdout,
            timeout=10,
            what=f"{self.client} resolving {self.web}",
        )
        assert ip and ip in lookup, lookup
        page = wait_until(
            lambda: (
                self.d.cli(
                    "exec", self.client, "timeout", "3", "wget", "-qO-", f"http://{self.web}/"
                ).stdout
            ),
            timeout=10,
            what=f"{self.client} fetching {self.web}",
        )
        assert page == f"{self.tag}\n"
        assert http_get(f"http://127.0.0.1:{self.port}/") == f"{self.tag}\n"


@pytest.fixture(autouse=True)
def _no_leftovers_of_refused_daemons():
    """A refused daemon must leave nothing; should one (wrongly) do, clean it up here."""
    yield
    subprocess.run(["nft", "delete", "table", "inet", "dyr19"], capture_output=True)
    subprocess.run(["rm", "-rf", "/run/dyr19-exec"])


def refused(tmp_path: Path, config: dict, *extra: str) -> subprocess.CompletedProcess[str]:
    cfg = tmp_path / "refused.json"
    cfg.write_text(json.dumps(config))
    return subprocess.run(
        [str(VENV_BIN / "dockyardd"), "--config-file", str(cfg),
         "--data-root", str(tmp_path / "refused-root"), *extra],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_refused_starts_leave_no_trace(daemon: TestDaemon, tmp_path: Path) -> None:
    before = addresses(daemon.bridge)
    names = {"bridge": "dyr19b0", "bridge-prefix": "dyr19-", "nft-table": "dyr19"}
    exec_root = ["--exec-root", "/run/dyr19-exec"]
    sock = ["-H", f"unix://{tmp_path}/refused.sock"]
    cases = [
        # the report: a TCP listener without TLS, asked for by a flag
        ({**names, "bridge": daemon.bridge}, ["-H", "tcp://127.0.0.1:23999", *exec_root], "TLS"),
        (names, [*sock, *exec_root, "--bridge", daemon.bridge], f"bridge {daemon.bridge}"),
        ({**names, "nft-table": daemon.nft_table}, [*sock, *exec_root], "nft-table"),
        ({**names, "bridge-prefix": daemon.bridge_prefix}, [*sock, *exec_root], "bridge-prefix"),
        (names, [*sock, "--exec-root", str(daemon.exec_root)], "exec-root"),
        ({**names, "bridge": "lo"}, [*sock, *exec_root], "interface lo"),
        # the running daemon's socket is not taken over (nor removed at exit)
        (names, ["-H", daemon.host, *exec_root], f"{daemon.host} is served by another daemon"),
    ]
    for config, flags, needle in cases:
        proc = refused(tmp_path, config, *flags)
        assert proc.returncode == 1, proc.stderr
        assert needle in proc.stderr, proc.stderr
        assert "choose another" in proc.stderr or "TLS" in proc.stderr
        assert addresses(daemon.bridge) == before
        assert not (tmp_path / "refused-root").exists()
        assert not Path("/run/dyr19-exec").exists()
        assert not nft_table_exists("dyr19")
        assert not (tmp_path / "refused.sock").exists()
        assert daemon.socket.is_socket() and daemon.client().ping()


def test_two_daemons_side_by_side(daemon: TestDaemon, tmp_path: Path) -> None:
    a = Site(daemon, "site-a")
    a.up()
    a.check()
    a_bridge = addresses(daemon.bridge)
    other = TestDaemon(tmp_path / "b")
    try:
        # B's pool is A's: it must skip every subnet A has on the host.
        pools = {"default-address-pools": [{"base": daemon.pool, "size": 24}]}
        other.start(pools)
        other.load_image("busybox")
        b = Site(other, "site-b")
        b.up()
        assert not {ip_network(s) for s in a.subnets()} & {ip_network(s) for s in b.subnets()}
        a.check()
        b.check()
        assert addresses(daemon.bridge) == a_bridge

        # B may not name A's bridge for a network of its own.
        proc = other.cli("network", "create", "-o",
                         f"com.docker.network.bridge.name={daemon.bridge}", "steal")  # fmt: skip
        assert proc.returncode != 0 and f"data root {daemon.root}" in proc.stderr, proc.stderr
        assert addresses(daemon.bridge) == a_bridge

        # A's next network skips what B now uses on the host.
        a_more = a.ok("network", "create", "more-a").strip()
        more = json.loads(a.ok("network", "inspect", a_more))[0]["IPAM"]["Config"][0]["Subnet"]
        assert more not in b.subnets()
        a.ok("network", "rm", "more-a")

        # A refused start while B runs: B's bridge and A's stay as they are.
        b_bridge = addresses(other.bridge)
        proc = refused(tmp_path, {"bridge": other.bridge, "bridge-prefix": "dyr19-",
                                  "nft-table": "dyr19"},
                       "-H", f"unix://{tmp_path}/r.sock", "--exec-root", "/run/dyr19-exec")  # fmt: skip
        assert proc.returncode == 1 and f"bridge {other.bridge}" in proc.stderr, proc.stderr
        assert addresses(other.bridge) == b_bridge and addresses(daemon.bridge) == a_bridge
        a.check()
        b.check()

        # B stops (its containers keep running: live restore), then starts again.
        other.kill(signal.SIGTERM)
        a.check()
        other.start(pools)
        a.check()
        b.check()

        # B crashes; its bridge stays its own (dormant), A is not disturbed.
        other.kill(signal.SIGKILL)
        a.check()
        proc = refused(tmp_path, {"bridge": other.bridge, "bridge-prefix": "dyr19-",
                                  "nft-table": "dyr19"},
                       "-H", f"unix://{tmp_path}/r.sock", "--exec-root", "/run/dyr19-exec")  # fmt: skip
        assert proc.returncode == 1 and "not running" in proc.stderr, proc.stderr
        other.start(pools)
        a.check()
        b.check()
        assert addresses(daemon.bridge) == a_bridge
        assert addresses(other.bridge) == b_bridge
    finally:
        other.stop()
        for name in (a.web, a.client):
            daemon.cli("rm", "-f", name)
        daemon.cli("network", "rm", a.net)
    assert addresses(daemon.bridge) == a_bridge


def test_system_check_reports_and_repairs_stray_bridge_addresses(daemon: TestDaemon) -> None:
    """The issue's stray gateway, put there by hand: reported, then removed with --repair."""
    before = addresses(daemon.bridge)
    clean = daemon.cli("system", "check")
    assert clean.returncode == 0 and "no problems found" in clean.stdout, clean.stderr
    stray = "192.0.2.1/24"  # TEST-NET-1: nobody's network
    subprocess.run(["ip", "addr", "add", stray, "dev", daemon.bridge], check=True)
    try:
        found = daemon.cli("system", "check")
        assert found.returncode == 1, found.stdout + found.stderr
        assert f"bridge {daemon.bridge}: address {stray}" in found.stdout
        assert stray in addresses(daemon.bridge)  # a check alone changes nothing
        fixed = daemon.cli("system", "check", "--repair")
        assert fixed.returncode == 0 and "(repaired)" in fixed.stdout, fixed.stdout + fixed.stderr
        assert addresses(daemon.bridge) == before
    finally:
        subprocess.run(["ip", "addr", "del", stray, "dev", daemon.bridge], capture_output=True)
