"""Health checks against a private daemon, through the real `docker` CLI and `dockyard`:
states over time, unhealthy after retries, the timeout, the ps column and filter, events,
the inspect shape, HEALTHCHECK in a Dockerfile (and inherited), bad durations, stop and
start, and probes resuming after a daemon restart (live restore). Short intervals (200ms)
keep it fast."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from testing.flowkit import Cli, Resources, wait_until

pytestmark = pytest.mark.integration

FAST = ["--health-interval", "200ms"]


def health(cli: Cli, name: str) -> dict[str, Any]:
    return json.loads(cli.fmt("{{json .State.Health}}", name))  # type: ignore[no-any-return]


def status(cli: Cli, name: str) -> str:
    return health(cli, name)["Status"]  # type: ignore[no-any-return]


def ps_status(cli: Cli, name: str) -> str:
    return cli.ok("ps", "-a", "--filter", f"name=^{name}$", "--format", "{{.Status}}").strip()


def listed(cli: Cli, value: str) -> list[str]:
    return cli.ok("ps", "-a", "--filter", f"health={value}", "--format", "{{.Names}}").split()


def test_states_over_time_ps_column_and_filter(cli: Cli, res: Resources) -> None:
    name = res.container("hc")
    plain = res.container("plain")
    # failures inside the 1.5s start period do not count: "starting" until then
    cli.ok("run", "-d", "--name", name, "--health-cmd", "echo probing; test -e /tmp/ok",
           *FAST, "--health-retries", "2", "--health-start-period", "1500ms",
           "--health-start-interval", "100ms",
           "busybox", "sleep", "300")  # fmt: skip
    cli.ok("run", "-d", "--name", plain, "busybox", "sleep", "300")
    assert health(cli, name)["Status"] == "starting"
    assert isinstance(health(cli, name)["Log"], list)  # [] before the first probe, as Docker
    assert ps_status(cli, name).endswith("(health: starting)")
    assert name in listed(cli, "starting") and name not in listed(cli, "healthy")
    assert plain in listed(cli, "none") and name not in listed(cli, "none")
    assert "(" not in ps_status(cli, plain)
    assert cli.fmt("{{if .State.Health}}yes{{else}}no{{end}}", plain) == "no"

    wait_until(lambda: status(cli, name) == "unhealthy", timeout=10, what="unhealthy")
    h = health(cli, name)
    assert h["FailingStreak"] >= 2
    assert ps_status(cli, name).endswith("(unhealthy)")
    assert name in listed(cli, "unhealthy")

    cli.ok("exec", name, "touch", "/tmp/ok")
    wait_until(lambda: status(cli, name) == "healthy", timeout=10, what="healthy")
    h = health(cli, name)
    assert h["FailingStreak"] == 0
    assert ps_status(cli, name).endswith("(healthy)")
    assert listed(cli, "healthy") == [name]
    # the inspect shape: the last (at most 5) results, oldest first
    assert set(h) == {"Status", "FailingStreak", "Log"}
    assert 1 <= len(h["Log"]) <= 5
    last = h["Log"][-1]
    assert set(last) == {"Start", "End", "ExitCode", "Output"}
    assert (last["ExitCode"], last["Output"]) == (0, "probing\n")
    assert last["Start"] <= last["End"]
    bad = cli.run("ps", "--filter", "health=sick")
    assert bad.returncode != 0
    assert "invalid filter 'health=sick'" in bad.stderr


def test_timeout_kills_the_probe_without_leaks(cli: Cli, res: Resources, daemon: Any) -> None:
    name = res.container("slow")
    cid = cli.ok("run", "-d", "--name", name, "--health-cmd", "sleep 30",
                 "--health-timeout", "300ms", *FAST, "--health-retries", "2",
                 "busybox", "sleep", "300").strip()  # fmt: skip
    wait_until(lambda: status(cli, name) == "unhealthy", timeout=10, what="unhealthy")
    h = health(cli, name)
    assert h["Log"][0]["ExitCode"] == -1
    assert h["Log"][0]["Output"] == "Health check exceeded timeout (300ms)"
    wait_until(lambda: len(health(cli, name)["Log"]) >= 4, timeout=10, what="4 probes")
    # killed probes leave no process, exec session or exec directory behind
    procs = cli.ok("exec", name, "ps", "-o", "args")
    assert procs.splitlines().count("sleep 30") <= 1, procs
    assert len(json.loads(cli.fmt("{{json .ExecIDs}}", name)) or []) <= 1
    exec_dir = Path(daemon.exec_root) / "c" / cid / "exec"
    assert len(list(exec_dir.iterdir())) <= 2  # the probe running now (and our ps exec)


def test_events_as_docker_emits_them(res: Resources, daemon: Any) -> None:
    cli = Cli(daemon, "docker")
    name = res.container("ev")
    since = str(time.time())
    cli.ok("run", "-d", "--name", name, "--health-cmd", "true", *FAST, "busybox", "sleep", "300")
    wait_until(lambda: status(cli, name) == "healthy", timeout=10, what="healthy")
    cli.ok("stop", "-t", "0", name)
    out = cli.ok("events", "--since", since, "--until", str(time.time()),
                 "--filter", f"container={name}", "--format", "{{.Action}}|{{json .Actor.Attributes}}")  # fmt: skip
    actions = [line.split("|", 1)[0] for line in out.splitlines()]
    attrs = [json.loads(line.split("|", 1)[1]) for line in out.splitlines()]
    assert actions[:2] == ["create", "start"]
    # a probe: exec_create, exec_start (named as dockerd names them), exec_die; then the status
    assert actions[2:6] == ["exec_create: /bin/sh -c true", "exec_start: /bin/sh -c true",
                            "exec_die", "health_status: healthy"]  # fmt: skip
    assert attrs[2]["execID"] == attrs[3]["execID"] == attrs[4]["execID"]
    assert attrs[4]["exitCode"] == "0"
    assert attrs[5]["name"] == name
    assert actions.count("health_status: healthy") == 1
    assert "die" in actions and "stop" in actions


def test_stop_reads_unhealthy_and_start_begins_again(res: Resources, daemon: Any) -> None:
    cli = Cli(daemon, "docker")
    name = res.container("restart")
    cli.ok("run", "-d", "--name", name, "--health-cmd", "true", *FAST, "busybox", "sleep", "300")
    wait_until(lambda: status(cli, name) == "healthy", timeout=10, what="healthy")
    cli.ok("stop", "-t", "0", name)
    h = health(cli, name)
    assert h["Status"] == "unhealthy"
    assert name in listed(cli, "unhealthy")
    n = len(h["Log"])
    time.sleep(0.5)
    assert len(health(cli, name)["Log"]) == n  # no probes while stopped
    cli.ok("start", name)
    assert status(cli, name) in ("starting", "healthy")
    wait_until(lambda: status(cli, name) == "healthy", timeout=10, what="healthy again")


def test_dockerfile_healthcheck_inherited_and_overridden(
    res: Resources, daemon: Any, tmp_path: Path
) -> None:
    cli = Cli(daemon, "docker")
    base, child, none_img = (
        res.image("e2e/hcbase"),
        res.image("e2e/hcchild"),
        res.image("e2e/hcnone"),
    )
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\n"
        'HEALTHCHECK --interval=200ms --retries=1 CMD ["nosuch-probe", "--now"]\n'
        'CMD ["sleep", "300"]\n'
    )
    cli.ok("build", "-q", "-t", base, str(tmp_path), timeout=60)
    (tmp_path / "Dockerfile").write_text(f"FROM {base}\nLABEL child=1\n")
    cli.ok("build", "-q", "-t", child, str(tmp_path), timeout=60)
    (tmp_path / "Dockerfile").write_text(f"FROM {base}\nHEALTHCHECK NONE\n")
    cli.ok("build", "-q", "-t", none_img, str(tmp_path), timeout=60)
    assert json.loads(cli.fmt("{{json .Config.Healthcheck}}", child)) == {
        "Test": ["CMD", "nosuch-probe", "--now"], "Interval": 200_000_000, "Retries": 1,
    }  # fmt: skip

    inherited, tuned, disabled, from_none = (res.container(s) for s in ("inh", "tun", "dis", "non"))
    cli.ok("run", "-d", "--name", inherited, child)
    cli.ok("run", "-d", "--name", tuned, "--health-retries", "3", child)
    cli.ok("run", "-d", "--name", disabled, "--no-healthcheck", child)
    cli.ok("run", "-d", "--name", from_none, none_img)
    # a zero field of the container's takes the image's
    assert json.loads(cli.fmt("{{json .Config.Healthcheck}}", tuned)) == {
        "Test": ["CMD", "nosuch-probe", "--now"], "Interval": 200_000_000, "Retries": 3,
    }  # fmt: skip
    # a command that does not exist fails with the runtime's message
    wait_until(lambda: status(cli, inherited) == "unhealthy", timeout=10, what="unhealthy")
    entry = health(cli, inherited)["Log"][0]
    assert entry["ExitCode"] == -1
    assert 'exec: "nosuch-probe": executable file not found in $PATH' in entry["Output"]
    for name in (disabled, from_none):
        assert cli.fmt("{{if .State.Health}}yes{{else}}no{{end}}", name) == "no"
        assert "(" not in ps_status(cli, name)


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--health-interval", "500us"], "Interval in Healthcheck cannot be less than 1ms"),
        (["--health-timeout", "10us"], "Timeout in Healthcheck cannot be less than 1ms"),
        (
            ["--health-start-interval", "1ns"],
            "StartInterval in Healthcheck cannot be less than 1ms",
        ),
        (["--health-interval", "-1s"], "--health-interval cannot be negative"),
        (["--health-retries", "-1"], "--health-retries cannot be negative"),
        (["--health-timeout", "soon"], 'invalid argument "soon" for "--health-timeout" flag'),
        (
            ["--no-healthcheck", "--health-retries", "2"],
            "--no-healthcheck conflicts with --health-* options",
        ),
    ],
)
def test_bad_health_flags(cli: Cli, res: Resources, flags: list[str], message: str) -> None:
    name = res.container("bad")
    proc = cli.run("run", "-d", "--name", name, "--health-cmd", "true", *flags, "busybox", "true")
    assert proc.returncode == 125
    assert message in proc.stderr
    assert not cli.exists(name)


def test_api_healthcheck_checked(res: Resources, daemon: Any) -> None:
    from dockyard.client.api import APIError

    client = daemon.client()
    for hc, message in (
        ({"Test": ["CMD", "true"], "Retries": -1}, "Retries in Healthcheck cannot be negative"),
        (
            {"Test": ["CMD", "true"], "StartPeriod": 5},
            "StartPeriod in Healthcheck cannot be less than 1ms",
        ),
    ):
        with pytest.raises(APIError) as err:
            client.request("POST", "/containers/create", {},
                           body=json.dumps({"Image": "busybox", "Healthcheck": hc}).encode(),
                           headers={"Content-Type": "application/json"})  # fmt: skip
        assert err.value.status == 400
        assert err.value.message == message


def test_probes_resume_after_daemon_restart(res: Resources, daemon: Any) -> None:
    cli = Cli(daemon, "docker")
    name = res.container("restore")
    cid = cli.ok("run", "-d", "--name", name, "--health-cmd", "sleep 0.4; test -e /tmp/ok",
                 *FAST, "--health-retries", "1", "busybox", "sleep", "300").strip()  # fmt: skip
    wait_until(lambda: status(cli, name) == "unhealthy", timeout=10, what="unhealthy")
    exec_dir = Path(daemon.exec_root) / "c" / cid / "exec"
    # the daemon dies while a probe runs: that probe ends on its own meanwhile
    wait_until(lambda: any(exec_dir.iterdir()), timeout=5, what="a probe in flight")
    daemon.kill(signal.SIGKILL)
    cut_short = {p.name for p in exec_dir.iterdir()}
    time.sleep(0.8)
    daemon.start()
    # the container kept running; its health starts over and probes run again
    assert cli.fmt("{{.State.Running}}", name) == "true"
    cli.ok("exec", name, "touch", "/tmp/ok")
    wait_until(lambda: status(cli, name) == "healthy", timeout=10, what="healthy after restart")
    assert health(cli, name)["Log"][-1]["ExitCode"] == 0
    # the cut-short probe's session files were swept at restore
    assert cut_short and cut_short.isdisjoint(p.name for p in exec_dir.iterdir())
