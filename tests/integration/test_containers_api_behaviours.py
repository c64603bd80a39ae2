"""Smaller container API behaviours Docker's clients rely on (issue 11), through the real
`docker` CLI and `dockyard` against a private daemon: kill returns once the exit is
recorded, restart-policy containers need force to go, legacy link removal, log drivers,
commit --pause of a stopped container, load of a broken tar."""

from __future__ import annotations

import os
from typing import Any

import pytest
from testing.flowkit import Cli, Resources, wait_until  # noqa: E402

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
    # it may be back up by the time rm arrives: either way it is refused without force
    assert (
        "container is restarting: stop the container before removing" in proc.stderr
        or "container is running: stop the container before removing" in proc.stderr
    ), proc.stderr
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


def test_unknown_log_driver_is_refused_at_create(cli: Cli, res: Resources) -> None:
    name = res.container("logdrv")
    proc = cli.run("create", "--name", name, "--log-driver", "nosuchdriver", *SLEEPER)
    assert proc.returncode != 0
    assert "logger: no log driver named 'nosuchdriver' is registered" in proc.stderr
    assert not cli.exists(name)


def test_commit_with_pause_of_a_stopped_container(cli: Cli, res: Resources) -> None:
    name, image = res.container("commit"), res.image("e2e/paused")
    cli.ok("run", "--name", name, "busybox", "sh", "-c", "echo kept > /marker")
    assert cli.state(name) == "exited"
    cli.ok("commit", "--pause=true", name, image)
    out = cli.ok("run", "--rm", image, "cat", "/marker")
    assert out.strip() == "kept"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x07" * 3000, "Error processing tar file(exit status 1): archive/tar: invalid tar header"),
        (b"hello", "Error processing tar file(exit status 1): unexpected EOF"),
        (b"\0" * 1024, "/repositories: no such file or directory"),  # a tar with no manifest
    ],
)  # fmt: skip
def test_load_of_a_broken_tar(cli: Cli, data: bytes, message: str) -> None:
    proc = cli.run("load", input=data)
    assert proc.returncode == 1
    assert message in proc.stderr, proc.stderr
    assert "Error response from daemon" not in proc.stderr  # reported in the stream, as dockerd


def test_load_error_in_the_stream_for_docker_py(daemon: Any) -> None:
    docker = pytest.importorskip("docker")
    client = docker.DockerClient(base_url=daemon.host)
    with pytest.raises(docker.errors.ImageLoadError, match="invalid tar header"):
        client.images.load(b"\x07" * 3000)


def test_exec_user_workdir_env_privileged(cli: Cli, res: Resources) -> None:
    name = res.container("execopts")
    cli.ok("run", "-d", "--name", name, "-e", "KEEP=1", "-e", "OVER=old", *SLEEPER)
    assert cli.ok("exec", "-u", "1000:1000", name, "id").strip() == "uid=1000 gid=1000"
    assert cli.ok("exec", "-u", "1000", name, "id").strip() == "uid=1000 gid=0(root)"
    assert cli.ok("exec", "-u", "nobody", name, "id").strip().startswith("uid=65534(nobody)")
    assert cli.ok("exec", "-w", "/tmp", name, "pwd") == "/tmp\n"
    env = cli.ok("exec", "-e", "OVER=new", "-e", "EXTRA=x", name, "env").splitlines()
    assert {"KEEP=1", "OVER=new", "EXTRA=x"} <= set(env) and "OVER=old" not in env

    def cap_eff(*flags: str) -> int:
        status = cli.ok("exec", *flags, name, "cat", "/proc/self/status")
        return int(next(x for x in status.splitlines() if x.startswith("CapEff:")).split()[1], 16)

    assert cap_eff("--privileged") & ~cap_eff() and cap_eff("--privileged") & (1 << 21)

    # a user that does not exist fails the start: dockerd's text on stdout, exit code 126
    proc = cli.run("exec", "-u", "nosuch", name, "id")
    assert proc.returncode == 126, proc
    assert "unable to find user nosuch: no matching entries in passwd file" in proc.stdout
    proc = cli.run("exec", "-w", "/nonexistent", name, "pwd")
    assert proc.returncode == 126 and 'chdir to cwd ("/nonexistent")' in proc.stdout, proc
