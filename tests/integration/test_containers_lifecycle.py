"""Container lifecycle through the real `docker` CLI and our `dockyard` CLI against a private
daemon: create/start/stop/restart/rm, exit codes, ps, logs, exec, wait, kill, pause, rename,
top, port, inspect."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from testing.flowkit import Cli, Resources, free_port, http_get, wait_until  # noqa: E402

from dockyard.network.portmap import ipv6_wildcard_available  # noqa: E402

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]


SLEEPER = ("busybox", "sleep", "600")


def test_create_start_stop_restart_rm(cli: Cli, res: Resources) -> None:
    name = res.container("life")
    cid = cli.ok("create", "--name", name, *SLEEPER).strip()
    assert len(cid) == 64
    assert cli.state(name) == "created"
    assert name in cli.names(all=True) and name not in cli.names(all=False)
    assert cli.ok("start", name).strip() == name
    assert cli.state(name) == "running"
    pid1 = int(cli.fmt("{{.State.Pid}}", name))
    assert pid1 > 0 and Path(f"/proc/{pid1}").exists()
    started1 = cli.fmt("{{.State.StartedAt}}", name)

    assert cli.ok("restart", "-t", "1", name).strip() == name
    assert cli.state(name) == "running"
    pid2 = int(cli.fmt("{{.State.Pid}}", name))
    assert pid2 != pid1 and Path(f"/proc/{pid2}").exists()
    assert cli.fmt("{{.State.StartedAt}}", name) != started1
    assert cli.fmt("{{.RestartCount}}", name) == "0"  # a manual restart is not counted

    t0 = time.monotonic()
    assert cli.ok("stop", "-t", "1", name).strip() == name
    assert time.monotonic() - t0 < 8
    assert cli.state(name) == "exited"
    assert cli.fmt("{{.State.ExitCode}}", name) == "137"  # sleep as PID 1 ignores SIGTERM
    wait_until(lambda: not Path(f"/proc/{pid2}").exists(), timeout=5, what="process gone")
    status = cli.ok("ps", "-a", "--filter", f"name={name}", "--format", "{{.Status}}").strip()
    assert status.startswith("Exited (137)"), status

    # stopping a stopped container is fine; starting it again works
    cli.ok("stop", name)
    cli.ok("start", name)
    assert cli.state(name) == "running"
    proc = cli.run("rm", name)
    assert proc.returncode != 0 and "stop the container" in proc.stderr.lower() + proc.stdout
    assert cli.ok("rm", "-f", name).strip() == name
    proc = cli.run("inspect", name)
    assert proc.returncode != 0 and "no such" in (proc.stderr + proc.stdout).lower()
    proc = cli.run("rm", name)
    assert proc.returncode != 0 and "no such container" in proc.stderr.lower()


def test_stop_graceful_when_process_handles_term(cli: Cli, res: Resources) -> None:
    name = res.container("graceful")
    cli.ok("run", "-d", "--name", name, "busybox", "sh", "-c",
           "trap 'echo bye; exit 0' TERM; while :; do sleep 0.1; done")  # fmt: skip
    wait_until(lambda: cli.state(name) == "running")
    time.sleep(0.2)  # let sh install its trap
    t0 = time.monotonic()
    cli.ok("stop", name)
    assert time.monotonic() - t0 < 5
    assert cli.fmt("{{.State.ExitCode}}", name) == "0"
    assert "bye" in cli.ok("logs", name)


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (("sh", "-c", "exit 3"), 3),
        (("false",), 1),
        (("nosuch",), 127),
        (("/etc/passwd",), 126),
    ],
    ids=["exit3", "false", "notfound127", "notexecutable126"],
)
def test_exit_codes(cli: Cli, res: Resources, command: tuple[str, ...], code: int) -> None:
    name = res.container("exit")
    proc = cli.run("run", "--rm", "--name", name, "busybox", *command)
    assert proc.returncode == code, proc.stderr
    wait_until(lambda: not cli.exists(name), timeout=5, what="--rm removed the container")


def test_exit_code_detached_wait_and_inspect(cli: Cli, res: Resources) -> None:
    name = res.container("wait")
    cli.ok("run", "-d", "--name", name, "busybox", "sh", "-c", "sleep 0.3; exit 7")
    assert cli.ok("wait", name).strip() == "7"
    assert cli.state(name) == "exited"
    assert cli.fmt("{{.State.ExitCode}}", name) == "7"
    assert cli.fmt("{{.State.Running}}", name) == "false"
    # wait on an already exited container answers at once
    assert cli.ok("wait", name, timeout=10).strip() == "7"


def test_ps_columns_and_format(cli: Cli, res: Resources) -> None:
    name = res.container("psfmt")
    port = free_port()
    cid = cli.ok("run", "-d", "--name", name, "-p", f"{port}:80", "--label", "tier=web",
                 *SLEEPER).strip()  # fmt: skip
    out = cli.ok("ps")
    header = out.splitlines()[0].split()
    assert header == ["CONTAINER", "ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
    row = next(r for r in out.splitlines() if r.rstrip().endswith(name))
    assert row.startswith(cid[:12]) and "busybox" in row and '"sleep 600"' in row
    assert f"0.0.0.0:{port}->80/tcp" in row

    fmt = "{{.ID}}|{{.Image}}|{{.Command}}|{{.Names}}|{{.Ports}}|{{.Label \"tier\"}}"
    line = cli.ok("ps", "--filter", f"name={name}", "--format", fmt).strip()
    # as Docker with IPv6 on the host: the port on [::] as well
    ports = f"0.0.0.0:{port}->80/tcp" + (f", [::]:{port}->80/tcp" if ipv6_wildcard_available() else "")
    assert line.split("|") == [cid[:12], "busybox", '"sleep 600"', name, ports, "web"]
    assert cli.ok("ps", "-q", "--filter", f"name={name}").strip() == cid[:12]
    assert cli.ok("ps", "-q", "--no-trunc", "--filter", f"name={name}").strip() == cid
    assert cli.ok("ps", "-q", "--filter", "label=tier=web").split() == [cid[:12]]
    table = cli.ok("container", "ls", "--format", "table {{.Names}}\t{{.Status}}")
    assert table.splitlines()[0].split() == ["NAMES", "STATUS"]
    assert any(r.startswith(name) and "Up" in r for r in table.splitlines()[1:])
    js = json.loads(cli.ok("ps", "--filter", f"name={name}", "--format", "{{json .}}"))
    assert js["Names"] == name and js["ID"] == cid[:12] and js["Image"] == "busybox"

    cli.ok("kill", name)
    cli.ok("wait", name)
    assert name not in cli.names(all=False)
    exited = cli.ok("container", "ls", "-a", "--filter", "status=exited", "--format", "{{.Names}}")
    assert name in exited.split()
    assert cli.ok("ps", "-a", "-n", "1", "--format", "{{.Names}}").split() == [name]
    assert cli.ok("ps", "-a", "-l", "--format", "{{.Names}}").split() == [name]


def test_logs_tail_follow_timestamps_stderr(cli: Cli, res: Resources) -> None:
    name = res.container("logs")
    cli.ok("run", "-d", "--name", name, "busybox", "sh", "-c",
           "for i in 1 2 3 4 5; do echo line$i; done; echo oops >&2; exec sleep 600")  # fmt: skip
    wait_until(lambda: "oops" in cli.run("logs", name).stderr, what="logs written")
    proc = cli.run("logs", name)
    assert proc.stdout == "line1\nline2\nline3\nline4\nline5\n"
    assert proc.stderr == "oops\n"
    tail = cli.run("logs", "--tail", "2", name)
    assert tail.stdout + tail.stderr in ("line5\noops\n", "oops\nline5\n")
    assert cli.run("logs", "--tail", "2", name).stdout == "line5\n"
    assert cli.ok("logs", "--tail", "0", name) == ""
    stamped = cli.run("logs", "-t", "--tail", "2", name)
    assert stamped.stderr.split(" ", 1)[1] == "oops\n"
    stamp, text = stamped.stdout.strip().split(" ", 1)
    assert text == "line5" and stamp[:2] == "20" and stamp.endswith("Z"), stamped


def test_logs_follow_until_exit(cli: Cli, res: Resources) -> None:
    name = res.container("follow")
    cli.ok("run", "-d", "--name", name, "busybox", "sh", "-c",
           "echo first; sleep 1; echo second; sleep 0.5; echo third")  # fmt: skip
    proc = cli.popen("logs", "-f", name)
    try:
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert out.decode() == "first\nsecond\nthird\n"


def test_logs_follow_streams_live(cli: Cli, res: Resources) -> None:
    name = res.container("live")
    cli.ok("run", "-d", "--name", name, "busybox", "sh", "-c",
           "i=0; while :; do i=$((i+1)); echo tick$i; sleep 0.2; done")  # fmt: skip
    proc = cli.popen("logs", "-f", "--tail", "1", name)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().decode() for _ in range(3)]
        n = [int(line.strip().removeprefix("tick")) for line in lines]
        assert n[1] == n[0] + 1 and n[2] == n[1] + 1, lines
    finally:
        proc.kill()
        proc.wait()


def test_exec_stdin_env_workdir_user_exitcode(cli: Cli, res: Resources) -> None:
    name = res.container("exec")
    cli.ok("run", "-d", "--name", name, *SLEEPER)
    data = "hello stdin\nsecond line\n"
    assert cli.ok("exec", "-i", name, "cat", input=data) == data
    assert cli.ok("exec", "-i", name, "sh", "-c", "cat > /tmp/x; wc -l < /tmp/x", input=data).strip() == "2"
    assert cli.ok("exec", name, "cat", "/tmp/x") == data
    assert cli.ok("exec", "-e", "FOO=bar", name, "sh", "-c", "echo $FOO").strip() == "bar"
    assert cli.ok("exec", "-w", "/etc", name, "pwd").strip() == "/etc"
    assert cli.ok("exec", "-u", "nobody", name, "id", "-un").strip() == "nobody"
    assert cli.run("exec", name, "sh", "-c", "exit 5").returncode == 5
    # dockerd ends every exec that cannot start with 126 (run's missing binary is 127) and
    # writes the error into the attached stream, "\r\n"-terminated (moby's exec start route)
    missing = cli.run("exec", name, "nosuch")
    assert missing.returncode == 126
    assert 'exec: "nosuch": executable file not found in $PATH' in missing.stdout
    assert missing.stdout.startswith("OCI runtime exec failed: ")
    nodir = cli.run("exec", "-w", "/nosuchdir", name, "true")
    assert nodir.returncode == 126
    assert 'chdir to cwd ("/nosuchdir") set in config.json failed' in nodir.stdout
    # without -i, stdin is not forwarded
    assert cli.ok("exec", name, "cat", input="ignored") == ""
    # exec in a stopped container fails
    cli.ok("kill", name)
    cli.ok("wait", name)
    proc = cli.run("exec", name, "true")
    assert proc.returncode != 0 and "not running" in proc.stderr


def test_ps_filters_as_dockerd(cli: Cli, res: Resources) -> None:
    """before=/since= by position, ancestor= by any name of the image, publish= on the
    host port and expose= on the container port; bad values refused with dockerd's texts."""
    c1, c2, c3 = res.container("f1"), res.container("f2"), res.container("f3")
    host_port = free_port()
    cli.ok("create", "--name", c1, "busybox", "true")
    cli.ok("run", "-d", "--name", c2, "-p", f"{host_port}:80", *SLEEPER)
    time.sleep(1.1)  # Created times a second apart order them as dockerd does
    cli.ok("run", "-d", "--name", c3, "--expose", "90", *SLEEPER)
    mine = {c1, c2, c3}

    def names(*args: str) -> list[str]:
        out = cli.ok("ps", *args, "--format", "{{.Names}}").split()
        return [n for n in out if n in mine]

    assert names("--filter", f"before={c3}") == [c2]
    assert names("-a", "--filter", f"before={c3}") == [c2, c1]
    assert names("-a", "--filter", f"since={c1}") == [c3, c2]
    assert names("--filter", f"publish={host_port}") == [c2]
    assert names("--filter", f"publish={host_port - 1}-{host_port + 1}/tcp") == [c2]
    assert names("--filter", "publish=80") == []
    assert names("--filter", "expose=80") == [c2]
    assert names("--filter", "expose=90") == [c3]
    for ref in ("busybox", "busybox:latest", "docker.io/library/busybox:latest"):
        assert names("-a", "--filter", f"ancestor={ref}") == [c3, c2, c1]
    assert names("-a", "--filter", "ancestor=nosuchimage") == []
    for flt, text in (
        ("since=nosuchcontainer", "no such container nosuchcontainer"),
        ("exited=abc", 'strconv.Atoi: parsing "abc": invalid syntax'),
        ("publish=1:2", "filter for 'publish' should not contain ':': 1:2"),
        ("publish=abc", 'error while looking up for publish abc: strconv.ParseUint: parsing "abc"'),
    ):
        proc = cli.run("ps", "--filter", flt)
        assert proc.returncode == 1 and text in proc.stderr, (flt, proc.stderr)


def test_run_interactive_stdin(cli: Cli, res: Resources) -> None:
    out = cli.ok("run", "--rm", "-i", "busybox", "sh", "-c", "tr a-z A-Z", input="shout\n")
    assert out == "SHOUT\n"


def test_kill_with_signal(cli: Cli, res: Resources) -> None:
    name = res.container("kill")
    cli.ok("run", "-d", "--name", name, "busybox", "sh", "-c",
           "trap 'echo got-usr1; exit 42' USR1; echo ready; while :; do sleep 0.1; done")  # fmt: skip
    wait_until(lambda: "ready" in cli.ok("logs", name), what="trap installed")
    assert cli.ok("kill", "-s", "USR1", name).strip() == name
    assert cli.ok("wait", name).strip() == "42"
    assert "got-usr1" in cli.ok("logs", name)

    other = res.container("kill9")
    cli.ok("run", "-d", "--name", other, *SLEEPER)
    cli.ok("kill", "--signal", "SIGKILL", other)
    assert cli.ok("wait", other).strip() == "137"
    proc = cli.run("kill", other)
    assert proc.returncode != 0 and "not running" in proc.stderr


def test_pause_unpause(cli: Cli, res: Resources) -> None:
    name = res.container("pause")
    cli.ok("run", "-d", "--name", name, "busybox", "sh", "-c",
           "i=0; while :; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done")  # fmt: skip
    wait_until(lambda: cli.run("exec", name, "cat", "/tmp/n").returncode == 0)
    assert cli.ok("pause", name).strip() == name
    assert cli.state(name) == "paused"
    assert cli.fmt("{{.State.Paused}}", name) == "true"
    status = cli.ok("ps", "--filter", f"name={name}", "--format", "{{.Status}}").strip()
    assert status.endswith("(Paused)"), status
    pid = cli.fmt("{{.State.Pid}}", name)
    with open(f"/proc/{pid}/status") as f:
        state = next(line for line in f if line.startswith("State:"))
    assert "stopped" in state or "(T)" in state or "D" in state.split()[1], state
    assert cli.run("exec", name, "true").returncode != 0  # docker: container is paused
    assert cli.run("pause", name).returncode != 0  # already paused
    assert cli.ok("unpause", name).strip() == name
    assert cli.state(name) == "running"
    n1 = int(cli.ok("exec", name, "cat", "/tmp/n"))
    wait_until(lambda: int(cli.ok("exec", name, "cat", "/tmp/n")) > n1, what="counting again")
    assert cli.run("unpause", name).returncode != 0  # not paused


def test_rename(cli: Cli, res: Resources) -> None:
    old = res.container("old")
    new = res.container("new")
    cid = cli.ok("run", "-d", "--name", old, *SLEEPER).strip()
    cli.ok("rename", old, new)
    assert cli.fmt("{{.Name}}", new) == f"/{new}"
    assert cli.fmt("{{.Id}}", new) == cid
    assert not cli.exists(old)
    assert new in cli.names() and old not in cli.names()
    # the old name is free again, the new one is taken
    cli.ok("create", "--name", old, *SLEEPER)
    proc = cli.run("rename", old, new)
    assert proc.returncode != 0 and "already in use" in proc.stderr


def test_top(cli: Cli, res: Resources) -> None:
    name = res.container("top")
    cli.ok("run", "-d", "--name", name, *SLEEPER)
    out = cli.ok("top", name)
    header, *rows = out.splitlines()
    assert header.split()[:3] == ["UID", "PID", "PPID"]
    assert header.split()[-1] == "CMD"
    assert any(r.rstrip().endswith("sleep 600") for r in rows), out
    pid = cli.fmt("{{.State.Pid}}", name)
    assert any(r.split()[1] == pid for r in rows), out
    cli.ok("exec", "-d", name, "sleep", "300")
    wait_until(lambda: "sleep 300" in cli.ok("top", name), what="exec'd process in top")
    aux = cli.ok("top", name, "-o", "pid,comm")
    assert aux.splitlines()[0].split() == ["PID", "COMMAND"]
    assert cli.run("top", res.container("nosuch")).returncode != 0


def test_port_publish(cli: Cli, res: Resources) -> None:
    name = res.container("port")
    p1, p2 = free_port(), free_port()
    cli.ok("run", "-d", "--name", name, "-p", f"{p1}:80", "-p", f"127.0.0.1:{p2}:81/udp",
           "--expose", "90", "-P", "busybox", "sh", "-c",
           "mkdir /www && echo port-ok > /www/index.html && exec httpd -f -p 80 -h /www")  # fmt: skip
    lines = set(cli.ok("port", name).splitlines())
    assert f"80/tcp -> 0.0.0.0:{p1}" in lines
    assert f"81/udp -> 127.0.0.1:{p2}" in lines
    ninety = [line for line in lines if line.startswith("90/tcp -> 0.0.0.0:")]
    assert len(ninety) == 1, lines  # -P picked a host port for the exposed 90
    assert cli.ok("port", name, "80").strip().splitlines()[0] == f"0.0.0.0:{p1}"
    assert cli.ok("port", name, "81/udp").strip() == f"127.0.0.1:{p2}"
    assert http_get(f"http://127.0.0.1:{p1}/") == "port-ok\n"
    proc = cli.run("port", name, "8080")
    assert proc.returncode != 0
    ports = json.loads(cli.fmt("{{json .NetworkSettings.Ports}}", name))
    assert ports["80/tcp"][0]["HostPort"] == str(p1)


def test_inspect_formats(cli: Cli, res: Resources, tmp_path: Path) -> None:
    name = res.container("insp")
    cid = cli.ok("run", "-d", "--name", name, "-e", "A=1", "--label", "k=v", "-w", "/tmp",
                 "--hostname", "boxy", "-v", f"{tmp_path}:/host:ro", *SLEEPER).strip()  # fmt: skip
    config = json.loads(cli.fmt("{{json .Config}}", name))
    assert config["Image"] == "busybox"
    assert config["Cmd"] == ["sleep", "600"]
    assert "A=1" in config["Env"] and any(e.startswith("PATH=") for e in config["Env"])
    assert config["Labels"] == {"k": "v"}
    assert config["WorkingDir"] == "/tmp"
    assert config["Hostname"] == "boxy"
    assert cli.ok("exec", name, "hostname").strip() == "boxy"
    doc = json.loads(cli.ok("inspect", name))
    assert isinstance(doc, list) and len(doc) == 1
    c = doc[0]
    assert c["Id"] == cid and c["Name"] == f"/{name}"
    assert c["State"]["Running"] is True and c["State"]["Status"] == "running"
    assert c["Image"].startswith("sha256:")
    assert c["HostConfig"]["Binds"] == [f"{tmp_path}:/host:ro"]
    assert c["Mounts"][0]["RW"] is False
    assert cli.run("exec", name, "touch", "/host/x").returncode != 0  # read-only bind
    assert cli.fmt("{{.Config.Image}} {{.State.Running}} {{len .Config.Env}}", name).split()[:2] == [
        "busybox", "true"
    ]
    assert cli.fmt("{{range .Config.Cmd}}[{{.}}]{{end}}", name) == "[sleep][600]"
    assert cli.fmt("{{index .Config.Labels \"k\"}}", name) == "v"
    assert cli.fmt("{{.Id}}", "--type", "container", name) == cid
    # several objects, one line each
    other = res.container("insp2")
    cli.ok("create", "--name", other, *SLEEPER)
    assert cli.ok("inspect", "--format", "{{.Name}}", name, other).split() == [f"/{name}", f"/{other}"]
    proc = cli.run("inspect", "--format", "{{.Name}}", name, res.container("missing"))
    assert proc.returncode != 0 and f"/{name}" in proc.stdout


def test_fast_exits_are_always_noticed(cli: Cli, res: Resources) -> None:
    """A process that exits before the daemon has recorded the start (hello-world takes
    microseconds) must still end `run`; it once hung about 1 run in 15."""
    for i in range(8):
        name = res.container(f"fast{i}")
        proc = cli.run("run", "--name", name, "hello-world", timeout=15)
        assert proc.returncode == 0 and "Hello from" in proc.stdout, proc.stderr
        assert cli.state(name) == "exited"
        proc = cli.run("run", "--rm", "busybox", "true", timeout=15)
        assert proc.returncode == 0, proc.stderr
        cid = cli.ok("run", "-d", "hello-world").strip()
        res.track_container(cid)
        assert cli.ok("wait", cid, timeout=15).strip() == "0"


def test_start_attach_and_logs_accumulate(cli: Cli, res: Resources) -> None:
    name = res.container("attach")
    cli.ok("create", "--name", name, "busybox", "sh", "-c", "echo run; exit 4")
    proc = cli.run("start", "-a", name)
    assert proc.returncode == 4 and proc.stdout == "run\n", proc
    proc = cli.run("start", "-a", name)
    assert proc.returncode == 4
    assert cli.ok("logs", name) == "run\nrun\n"  # logs keep every run of the container
    stdin_name = res.container("attachi")
    cli.ok("create", "-i", "--name", stdin_name, "busybox", "sh", "-c", "read x; echo got $x")
    assert cli.ok("start", "-ai", stdin_name, input="value\n") == "got value\n"


def test_stats_no_stream(cli: Cli, res: Resources) -> None:
    name = res.container("stats")
    cli.ok("run", "-d", "--name", name, "-m", "64m", *SLEEPER)
    out = cli.ok("stats", "--no-stream", "--format", "{{.Name}}|{{.MemUsage}}|{{.PIDs}}", name)
    got_name, mem, pids = out.strip().split("|")
    assert got_name == name
    assert mem.endswith("64MiB"), mem
    assert pids == "1"
    table = cli.ok("stats", "--no-stream", name)
    assert table.splitlines()[0].split()[:3] == ["CONTAINER", "ID", "NAME"]


def test_prune_by_label(cli: Cli, res: Resources) -> None:
    label = f"e2e-prune={res.tag}"
    stopped, running = res.container("pr-stopped"), res.container("pr-running")
    cli.ok("create", "--name", stopped, "--label", label, "busybox", "true")
    cli.ok("run", "-d", "--name", running, "--label", label, *SLEEPER)
    other = res.container("pr-other")
    cli.ok("create", "--name", other, "busybox", "true")
    out = cli.ok("container", "prune", "-f", "--filter", f"label={label}")
    assert "Deleted Containers:" in out and "Total reclaimed space:" in out
    names = cli.names(all=True)
    assert stopped not in names and running in names and other in names
    vol = res.volume("pr-vol")
    cli.ok("volume", "create", "--label", label, vol)
    out = cli.ok("volume", "prune", "-f", "-a", "--filter", f"label={label}")  # -a: named too
    assert vol in out
    assert vol not in cli.ok("volume", "ls", "-q").split()


def test_system_prune_sends_its_filter(cli: Cli, res: Resources) -> None:
    """system prune --filter deletes only what the filter names, and lists it newest
    first under dockerd's headings."""
    label = f"e2e-sysprune={res.tag}"
    old, new = res.container("sp-old"), res.container("sp-new")
    kept = res.container("sp-kept")
    old_id = cli.ok("create", "--name", old, "--label", label, "busybox", "true").strip()
    time.sleep(1.1)
    new_id = cli.ok("create", "--name", new, "--label", label, "busybox", "true").strip()
    cli.ok("create", "--name", kept, "busybox", "true")
    out = cli.ok("system", "prune", "-f", "--filter", f"label={label}")
    lines = out.splitlines()
    assert lines[:4] == ["Deleted Containers:", new_id, old_id, ""], out
    assert lines[-1].startswith("Total reclaimed space: ")
    names = cli.names(all=True)
    assert kept in names and old not in names and new not in names


def test_run_options(cli: Cli, res: Resources, tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("FROM_FILE=yes\n# comment\nSPACED=a b\n")
    out = cli.ok("run", "--rm", "--env-file", str(env_file), "-e", "X=1", "-w", "/etc",
                 "-u", "nobody", "--entrypoint", "sh", "busybox", "-c",
                 'echo "$FROM_FILE|$SPACED|$X|$(pwd)|$(id -un)"')  # fmt: skip
    assert out == "yes|a b|1|/etc|nobody\n"
    proc = cli.run("run", "--rm", "--read-only", "--tmpfs", "/scratch", "busybox", "sh", "-c",
                   "touch /scratch/ok && ! touch /nope 2>/dev/null && echo ro-ok")  # fmt: skip
    assert proc.stdout == "ro-ok\n", proc.stderr
    out = cli.ok("run", "--rm", "--hostname", "myhost", "--add-host", "db.local:10.9.8.7",
                 "busybox", "sh", "-c", "hostname; grep db.local /etc/hosts")  # fmt: skip
    assert out.splitlines()[0] == "myhost" and "10.9.8.7" in out.splitlines()[1]
    out = cli.ok("run", "--rm", "--dns", "10.9.9.9", "busybox", "cat", "/etc/resolv.conf")
    assert "nameserver 10.9.9.9" in out
    out = cli.ok("run", "--rm", "-m", "32m", "--pids-limit", "50", "busybox", "sh", "-c",
                 "cat /sys/fs/cgroup/memory.max 2>/dev/null || "
                 "cat /sys/fs/cgroup/memory/memory.limit_in_bytes")  # fmt: skip
    assert out.strip() == str(32 * 1024 * 1024)
    name = res.container("detachedrm")
    cli.ok("run", "-d", "--rm", "--name", name, "busybox", "true")
    wait_until(lambda: not cli.exists(name), timeout=10, what="-d --rm removed on exit")


def test_restart_policy_on_failure(cli: Cli, res: Resources) -> None:
    name = res.container("restarts")
    cli.ok("run", "-d", "--name", name, "--restart", "on-failure:2", "busybox", "sh", "-c",
           "echo try; exit 1")  # fmt: skip
    wait_until(lambda: cli.fmt("{{.RestartCount}}", name) == "2" and cli.state(name) == "exited",
               timeout=20, interval=0.1, what="two restarts then stop")  # fmt: skip
    assert cli.fmt("{{.State.ExitCode}}", name) == "1"
    assert cli.ok("logs", name) == "try\ntry\ntry\n"
    assert cli.fmt("{{.HostConfig.RestartPolicy.Name}}", name) == "on-failure"
    # a restart policy does not bring back a container stopped by the user
    always = res.container("always")
    cli.ok("run", "-d", "--name", always, "--restart", "always", "busybox", "sleep", "600")
    cli.ok("stop", "-t", "1", always)
    time.sleep(0.5)
    assert cli.state(always) == "exited"


def test_update_resources(cli: Cli, res: Resources) -> None:
    name = res.container("update")
    cli.ok("run", "-d", "--name", name, "-m", "64m", "busybox", "sleep", "600")
    cli.ok("update", "--memory", "96m", "--memory-swap", "-1", "--restart", "unless-stopped", name)
    assert cli.fmt("{{.HostConfig.Memory}}", name) == str(96 * 1024 * 1024)
    assert cli.fmt("{{.HostConfig.RestartPolicy.Name}}", name) == "unless-stopped"
    out = cli.ok("exec", name, "sh", "-c",
                 "cat /sys/fs/cgroup/memory.max 2>/dev/null || "
                 "cat /sys/fs/cgroup/memory/memory.limit_in_bytes")  # fmt: skip
    assert out.strip() == str(96 * 1024 * 1024)


def test_events_cli(cli: Cli, res: Resources) -> None:
    name = res.container("events")
    since = str(int(time.time()) - 1)
    # --since: the stream replays what happened before it subscribed (no race with `run`)
    proc = cli.popen("events", "--since", since, "--filter", f"container={name}",
                     "--format", "{{.Action}}")  # fmt: skip
    try:
        cli.ok("run", "--name", name, "busybox", "true")
        cli.ok("rm", name)
        assert proc.stdout is not None
        actions: list[str] = []
        deadline = time.monotonic() + 15
        while "destroy" not in actions and time.monotonic() < deadline:
            line = proc.stdout.readline().decode().strip()
            if line:
                actions.append(line)
        assert [a for a in actions if a in ("create", "start", "die", "destroy")] == [
            "create", "start", "die", "destroy"
        ], actions  # fmt: skip
    finally:
        proc.kill()
        proc.wait()
    until = str(int(time.time()) + 1)
    past = cli.ok("events", "--since", since, "--until", until, "--filter", f"container={name}",
                  "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}")  # fmt: skip
    lines = past.splitlines()
    assert f"container create {name}" in lines and f"container destroy {name}" in lines, lines


def test_events_network_and_attach(cli: Cli, res: Resources) -> None:
    """dockerd's order: create, attach, network connect, start, die, network disconnect."""
    name = res.container("evnet")
    since = f"{time.time() - 1:.3f}"
    cli.ok("run", "--name", name, "busybox", "true")
    cid = cli.fmt("{{.Id}}", name)
    time.sleep(1)
    out = cli.ok("events", "--since", since, "--until", f"{time.time():.3f}", "--format",
                 "{{.Type}} {{.Action}} {{.Actor.ID}} {{index .Actor.Attributes \"container\"}}"
                 " {{.Actor.Attributes.name}} {{index .Actor.Attributes \"type\"}} {{.TimeNano}}")  # fmt: skip
    bridge_id = cli.fmt("{{.Id}}", "bridge")
    seen = []
    for line in out.splitlines():
        kind, action, actor, container, net, driver, nano = line.split(" ")
        assert len(nano) == 19, line  # nanoseconds since the epoch
        if kind == "container" and actor == cid:
            seen.append(action)
        elif kind == "network" and container == cid:
            assert (actor, net, driver) == (bridge_id, "bridge", "bridge"), line
            seen.append(f"network {action}")
    assert seen == [
        "create", "attach", "network connect", "start", "die", "network disconnect"
    ], seen  # fmt: skip


def test_inspect_shows_the_values_in_force(cli: Cli, res: Resources) -> None:
    """What dockerd records for the zero values the CLI sends; user Env before the image's."""
    name = res.container("inforce")
    cli.ok("run", "-d", "--name", name, "-m", "64m", "-e", "B=2", "-e", "A=1", *SLEEPER)
    hc = json.loads(cli.fmt("{{json .HostConfig}}", name))
    assert hc["ShmSize"] == 64 * 1024 * 1024
    assert hc["IpcMode"] == "private"
    v2 = Path("/sys/fs/cgroup/cgroup.controllers").exists()
    assert hc["CgroupnsMode"] == ("private" if v2 else "host")
    assert hc["PidsLimit"] is None and hc["MemorySwappiness"] is None
    assert "/proc/kcore" in hc["MaskedPaths"] and "/proc/sys" in hc["ReadonlyPaths"]
    from dockyard.runtime.resources import swap_limit_supported

    assert hc["MemorySwap"] == (2 * 64 * 1024 * 1024 if swap_limit_supported() else 0)
    env = json.loads(cli.fmt("{{json .Config.Env}}", name))
    assert env[:2] == ["B=2", "A=1"] and env[2].startswith("PATH="), env
    df = cli.ok("exec", name, "df", "-k", "/dev/shm").splitlines()[-1].split()
    assert df[1] == "65536", df  # the 64M /dev/shm is what ShmSize says


def test_aliases_by_api_version(cli: Cli, res: Resources) -> None:
    """Before API 1.45 a user-defined network's Aliases also hold the short ID, as
    dockerd 20.10 shows them at 1.41."""
    import subprocess

    net, name = res.network("alnet"), res.container("al")
    cli.ok("network", "create", net)
    cli.ok("run", "-d", "--name", name, "--network", net, "--network-alias", "foo", *SLEEPER)
    short = cli.fmt("{{.Id}}", name)[:12]
    template = "{{json (index .NetworkSettings.Networks \"" + net + "\").Aliases}}"
    assert json.loads(cli.fmt(template, name)) == ["foo"]
    old = subprocess.run(
        ["docker", "inspect", "--format", template, name],
        env={**cli.daemon.env, "DOCKER_API_VERSION": "1.41"},
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert old.returncode == 0, old.stderr
    assert json.loads(old.stdout) == ["foo", short]


def test_dockerenv_and_mtab_outside_the_changes(cli: Cli, res: Resources) -> None:
    """/.dockerenv and /etc/mtab -> /proc/mounts as in Docker's init layer: in the
    container, never in its diff."""
    name = res.container("initlayer")
    cli.ok("run", "-d", "--name", name, *SLEEPER)
    out = cli.ok("exec", name, "sh", "-c", "stat -c '%a %s' /.dockerenv; readlink /etc/mtab")
    assert out.splitlines() == ["755 0", "/proc/mounts"], out
    cli.ok("exec", name, "touch", "/x")
    assert cli.ok("diff", name).splitlines() == ["A /x"]


def test_logs_details_as_dockerd(cli: Cli, res: Resources) -> None:
    """--details: the attributes the log options name, sorted, then a space (alone when
    there are none); after the timestamp with -t."""
    named, plain = res.container("lgd"), res.container("lgp")
    cli.ok("run", "--name", named, "--label", "a=b", "--log-opt", "labels=a", "-e", "E=1",
           "--log-opt", "env=E", "busybox", "echo", "hi")  # fmt: skip
    cli.ok("run", "--name", plain, "busybox", "echo", "hi")
    assert cli.ok("logs", "--details", named) == "E=1,a=b hi\n"
    assert cli.ok("logs", "--details", plain) == " hi\n"
    stamp, rest = cli.ok("logs", "--details", "-t", named).split(" ", 1)
    assert stamp.endswith("Z") and rest == "E=1,a=b hi\n"
    assert cli.ok("logs", named) == "hi\n"


def test_system_df(cli: Cli, res: Resources) -> None:
    name = res.container("df")
    cli.ok("create", "--name", name, "busybox", "true")
    out = cli.ok("system", "df")
    assert out.splitlines()[0].split()[:2] == ["TYPE", "TOTAL"]
    kinds = [line.split()[0] for line in out.splitlines()[1:]]
    assert kinds[:3] == ["Images", "Containers", "Local"], out
    verbose = cli.ok("system", "df", "-v")
    assert name in verbose and "busybox" in verbose
    assert "Images space usage:" in verbose and "Local Volumes space usage:" in verbose
