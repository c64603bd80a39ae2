"""Smaller container API behaviours Docker's clients rely on (issue 11), through the real
`docker` CLI and `dockyard` against a private daemon: kill returns once the exit is
recorded, restart-policy containers need force to go, legacy link removal, log drivers,
commit --pause of a stopped container, load of a broken tar."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from flowkit import Cli, Resources, wait_until  # noqa: E402

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]

SLEEPER = ("busybox", "sleep", "600")


def test_kill_returns_after_the_exit_is_recorded(cli: Cli, res: Resources) -> None:
    for _ in range(3):  # a race would show on one of a few tries
        name = res.container("kill")
        cli.ok("run", "-d", "--name", name, *SLEEPER)
        cli.ok("kill", name)
        assert cli.fmt("{{.State.Status}} {{.State.ExitCode}}", name) == "exited 137"
        cli.ok("rm", name)


def test_running_container_with_restart_policy_needs_force(cli: Cli, res: Resources) -> None:
    name = res.container("policy")
    cli.ok("run", "-d", "--restart", "always", "--name", name, *SLEEPER)
    proc = cli.run("rm", name)
    assert proc.returncode == 1
    assert (
        f'cannot remove container "/{name}": container is running: stop the container '
        "before removing or force remove" in proc.stderr
    ), proc.stderr
    assert cli.state(name) == "running"
    cli.ok("rm", "-f", name)
    assert not cli.exists(name)


def test_restarting_container_needs_force_and_stays_removed(cli: Cli, res: Resources) -> None:
    name = res.container("flap")
    cli.ok("run", "-d", "--restart", "always", "--name", name, "busybox", "false")
    # backoff doubles from 100ms: by the 4th restart the container waits ~1.6s between runs
    wait_until(lambda: int(cli.fmt("{{.RestartCount}}", name)) >= 4, timeout=20)
    wait_until(lambda: cli.state(name) == "restarting", timeout=10)
    proc = cli.run("rm", name)
    assert proc.returncode == 1
    assert "container is restarting: stop the container before removing" in proc.stderr
    cli.ok("rm", "-f", name)
    assert not cli.exists(name)
    assert name not in cli.names(all=True)


def test_rm_link_removes_only_the_link(cli: Cli, res: Resources) -> None:
    target, parent = res.container("linked"), res.container("parent")
    cli.ok("run", "-d", "--name", target, *SLEEPER)
    cli.ok("create", "--name", parent, "--link", f"{target}:db", *SLEEPER)
    assert cli.fmt("{{len .HostConfig.Links}}", parent) == "1"

    assert cli.ok("rm", "--link", f"/{parent}/db").strip() == f"/{parent}/db"
    assert cli.fmt("{{len .HostConfig.Links}}", parent) == "0"
    assert cli.state(target) == "running"  # the linked container stays

    proc = cli.run("rm", "--link", f"/{parent}/db")
    assert proc.returncode == 1 and f"No such container: {parent}/db" in proc.stderr
    proc = cli.run("rm", "--link", target)
    assert proc.returncode == 1
    assert "Conflict, cannot remove the default link name of the container" in proc.stderr
    assert cli.state(target) == "running"
