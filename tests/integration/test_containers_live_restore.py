"""Live restore: containers outlive the daemon. Kill dockyardd (SIGKILL, and a clean SIGTERM),
start it again on the same state, and the containers are still there and usable; a container
that exits while the daemon is down shows its exit code and output afterwards."""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from testing.flowkit import Cli, Resources, free_port, http_get, wait_until  # noqa: E402

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker CLI"),
]


@pytest.fixture
def res(daemon: Any) -> Iterator[Resources]:
    r = Resources(daemon)
    try:
        yield r
    finally:
        r.cleanup()


@pytest.fixture
def cli(daemon: Any) -> Cli:
    return Cli(daemon, "docker")


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def restart_daemon(daemon: Any, sig: int) -> None:
    old = daemon.proc
    daemon.kill(sig)
    assert old is not None and old.poll() is not None, "daemon did not die"
    daemon.start()  # the same TestDaemon, a second time: same data root, exec root, socket


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_running_container_survives_daemon_restart(
    daemon: Any, cli: Cli, res: Resources, tmp_path: Path, sig: int
) -> None:
    name = res.container("survivor")
    web = res.container("web")
    ctl = tmp_path / "ctl"
    ctl.mkdir()
    port = free_port()
    cid = cli.ok("run", "-d", "--name", name, "busybox", "sleep", "600").strip()
    cli.ok("run", "-d", "--name", web, "-p", f"{port}:80", "busybox", "sh", "-c",
           "mkdir /w && echo alive > /w/index.html && exec httpd -f -p 80 -h /w")  # fmt: skip
    assert http_get(f"http://127.0.0.1:{port}/") == "alive\n"
    pid = int(cli.fmt("{{.State.Pid}}", name))
    ip = cli.fmt("{{.NetworkSettings.IPAddress}}", name)
    assert pid_alive(pid)

    # one that exits while the daemon is away (told to through a bind-mounted directory)
    leaver = res.container("leaver")
    cli.ok("run", "-d", "--name", leaver, "-v", f"{ctl}:/ctl", "busybox", "sh", "-c",
           "echo before; while [ ! -e /ctl/go ]; do sleep 0.05; done; echo during; exit 5")  # fmt: skip
    wait_until(lambda: "before" in cli.ok("logs", leaver), what="leaver started")
    leaver_pid = int(cli.fmt("{{.State.Pid}}", leaver))

    daemon.kill(sig)
    assert daemon.proc is not None and daemon.proc.poll() is not None
    assert pid_alive(pid), "the container died with the daemon"
    (ctl / "go").touch()
    wait_until(lambda: not pid_alive(leaver_pid), timeout=10, what="leaver exited")
    # published ports keep working while the daemon is down
    assert http_get(f"http://127.0.0.1:{port}/", timeout=5) == "alive\n"
    daemon.start()

    assert cli.state(name) == "running"
    assert int(cli.fmt("{{.State.Pid}}", name)) == pid
    assert cli.fmt("{{.Id}}", name) == cid
    assert cli.fmt("{{.NetworkSettings.IPAddress}}", name) == ip
    assert name in cli.names(all=False)
    assert cli.ok("exec", name, "echo", "exec-ok") == "exec-ok\n"
    assert http_get(f"http://127.0.0.1:{port}/") == "alive\n"

    assert cli.state(leaver) == "exited"
    assert cli.fmt("{{.State.ExitCode}}", leaver) == "5"
    assert cli.ok("wait", leaver, timeout=10).strip() == "5"
    assert cli.ok("logs", leaver) == "before\nduring\n"
    status = cli.ok("ps", "-a", "--filter", f"name={leaver}", "--format", "{{.Status}}").strip()
    assert status.startswith("Exited (5)"), status

    # the restarted daemon manages the old containers fully
    t0 = time.monotonic()
    cli.ok("stop", "-t", "1", name)
    assert time.monotonic() - t0 < 8
    assert cli.state(name) == "exited"
    assert not pid_alive(pid)
    cli.ok("start", name)
    assert cli.state(name) == "running"
    cli.ok("rm", "-f", name, web, leaver)
    assert not ({name, web, leaver} & set(cli.names(all=True)))
    # and new containers work
    assert cli.ok("run", "--rm", "busybox", "echo", "new") == "new\n"


def test_restart_twice_and_state_kept(daemon: Any, cli: Cli, res: Resources) -> None:
    """Two restarts in a row; created/exited containers, volumes, networks and images stay."""
    created = res.container("created")
    exited = res.container("exited")
    vol = res.volume("keep")
    net = res.network("keepnet")
    cli.ok("create", "--name", created, "busybox", "true")
    cli.ok("network", "create", net)
    proc = cli.run("run", "--name", exited, "--network", net, "-v", f"{vol}:/v", "busybox",
                   "sh", "-c", "echo kept > /v/f; exit 2")  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    for sig in (signal.SIGKILL, signal.SIGKILL):
        restart_daemon(daemon, sig)
    assert cli.state(created) == "created"
    assert cli.state(exited) == "exited"
    assert cli.fmt("{{.State.ExitCode}}", exited) == "2"
    assert vol in cli.ok("volume", "ls", "-q").split()
    assert net in cli.ok("network", "ls", "--format", "{{.Name}}").split()
    assert cli.ok("run", "--rm", "-v", f"{vol}:/v", "busybox", "cat", "/v/f") == "kept\n"
    cli.ok("start", exited)
    assert cli.ok("wait", exited).strip() == "2"
    assert {"busybox:latest", "hello-world:latest"} <= set(
        cli.ok("images", "--format", "{{.Repository}}:{{.Tag}}").split()
    )
    cli.ok("rm", created, exited)
    cli.ok("network", "rm", net)
    cli.ok("volume", "rm", vol)


def test_restart_policy_applies_to_exits_while_daemon_down(
    daemon: Any, cli: Cli, res: Resources, tmp_path: Path
) -> None:
    """A --restart always container that dies while the daemon is away is started again by the
    next daemon (as dockerd does at startup)."""
    name = res.container("phoenix")
    ctl = tmp_path / "ctl"
    ctl.mkdir()
    cli.ok("run", "-d", "--name", name, "--restart", "always", "-v", f"{ctl}:/ctl", "busybox",
           "sh", "-c", "echo up; while [ ! -e /ctl/die ]; do sleep 0.05; done; rm /ctl/die; exit 3")  # fmt: skip
    wait_until(lambda: "up" in cli.ok("logs", name), what="started")
    pid = int(cli.fmt("{{.State.Pid}}", name))
    daemon.kill(signal.SIGKILL)
    (ctl / "die").touch()
    wait_until(lambda: not pid_alive(pid), timeout=10, what="container exited")
    daemon.start()
    wait_until(lambda: cli.state(name) == "running", timeout=15, what="restarted by policy")
    assert int(cli.fmt("{{.State.Pid}}", name)) != pid
    assert cli.ok("logs", name).count("up") == 2
    cli.ok("rm", "-f", name)
