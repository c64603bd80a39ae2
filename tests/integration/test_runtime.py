"""Real containers: a busybox rootfs run by conmon + runc through dockyard.runtime."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from dockyard.runtime import cgroups
from dockyard.runtime.capabilities import KNOWN_CAPABILITIES, host_capabilities
from dockyard.runtime.errors import ContainerNotRunning, RuntimeStartError
from dockyard.runtime.logfile import read_logs
from dockyard.runtime.monitor import Runtime
from dockyard.runtime.spec import build_spec, write_spec

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        os.geteuid() != 0 or not shutil.which("runc") or not shutil.which("conmon"),
        reason="needs root, runc and conmon",
    ),
]

BUSYBOX = "/bin/busybox"
SRC = str(Path(__file__).resolve().parents[2] / "src")


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory):
    root = tmp_path_factory.mktemp("rootfs")
    root.chmod(0o755)  # non-root container users must traverse /
    (root / "bin").mkdir()
    (root / "etc").mkdir()
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    out = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True)
    for name in out.stdout.split():
        if name != "busybox":
            (root / "bin" / name).symlink_to("busybox")
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (root / "etc" / "group").write_text("root:x:0:\n")
    return str(root)


class Harness:
    """Creates containers and guarantees their removal (runc state, conmon, files)."""

    def __init__(self, base: Path, rootfs: str):
        self.base = base
        self.rootfs = rootfs
        self.rt = Runtime(base / "run")
        self.ids: list[str] = []

    def bundle(self, cmd, config=None, **hc) -> tuple[str, Path]:
        cid = "dyt" + secrets.token_hex(6)
        self.ids.append(cid)
        bundle = self.base / "b" / cid
        bundle.mkdir(parents=True)
        spec = build_spec(
            config={"Cmd": cmd, **(config or {})},
            host_config=hc,
            rootfs=self.rootfs,
            hostname=cid[:12],
            mounts=[],
            netns_path=None,
            container_id=cid,
        )
        write_spec(str(bundle), spec)
        return cid, bundle

    def log(self, cid: str) -> Path:
        return self.base / "logs" / f"{cid}.log"

    def run(self, cmd, *, start=True, tty=False, stdin=False, config=None, **hc) -> str:
        cid, bundle = self.bundle(cmd, {"Tty": tty, **(config or {})}, **hc)
        if start:
            self.rt.create_and_start(cid, bundle, tty=tty, stdin=stdin, log_path=self.log(cid))
        else:
            self.rt.create(cid, bundle, tty=tty, stdin=stdin, log_path=self.log(cid))
        return cid

    def output(self, cid: str) -> bytes:
        return b"".join(d for _, d, _ in read_logs(str(self.log(cid))))

    def cleanup(self) -> None:
        for cid in self.ids:
            pid = self.rt.conmon_pid(cid)
            try:
                self.rt.delete(cid, force=True)
            except Exception:
                pass
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


@pytest.fixture
def h(tmp_path, rootfs):
    harness = Harness(tmp_path, rootfs)
    try:
        yield harness
    finally:
        harness.cleanup()


def test_echo_logs_and_exit_zero(h):
    cid = h.run(["sh", "-c", "echo hi; echo oops >&2"])
    status = h.rt.wait(cid, 10)
    assert status is not None and status.exit_code == 0 and not status.oom_killed
    assert abs(status.finished_at - time.time()) < 30
    entries = list(read_logs(str(h.log(cid))))
    assert ("stdout", b"hi\n") in [(s, d) for s, d, _ in entries]
    assert ("stderr", b"oops\n") in [(s, d) for s, d, _ in entries]
    h.rt.delete(cid)
    assert not h.rt.container_dir(cid).exists()
    assert h.rt.state(cid) is None


def test_exit_code(h):
    cid = h.run(["sh", "-c", "exit 3"])
    assert h.rt.wait(cid, 10).exit_code == 3


def test_missing_command_maps_to_127(h):
    with pytest.raises(RuntimeStartError) as info:
        h.run(["nosuch"])
    assert 'exec: "nosuch": executable file not found in $PATH' in info.value.runtime_message
    assert info.value.exit_code_hint == 127


def test_not_executable_maps_to_126(h):
    with pytest.raises(RuntimeStartError) as info:
        h.run(["/etc/passwd"])
    assert "permission denied" in info.value.runtime_message
    assert info.value.exit_code_hint == 126


def test_oom_kill_is_detected(h):
    cid = h.run(["dd", "if=/dev/zero", "of=/dev/null", "bs=128M", "count=1"], Memory=20 << 20)
    status = h.rt.wait(cid, 20)
    assert status.exit_code == 137
    assert status.oom_killed


def test_pids_limit(h):
    cid = h.run(
        ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 2 & done; wait; echo end"],
        PidsLimit=5,
    )
    time.sleep(0.3)
    assert (cgroups.cgroup_path(cid, "pids") / "pids.max").read_text().strip() == "5"
    h.rt.wait(cid, 20)
    assert b"can't fork" in h.output(cid) or b"Resource temporarily" in h.output(cid)


def test_kill_sigterm(h):
    cid = h.run(["sh", "-c", "trap 'exit 42' TERM; echo ready; while true; do sleep 0.05; done"])
    deadline = time.time() + 5
    while b"ready" not in h.output(cid) and time.time() < deadline:
        time.sleep(0.02)
    h.rt.kill(cid, signal.SIGTERM)
    assert h.rt.wait(cid, 10).exit_code == 42
    with pytest.raises(ContainerNotRunning):
        h.rt.kill(cid, signal.SIGTERM)


def test_pause_resume_and_stats(h):
    cid = h.run(["sleep", "30"], Memory=64 << 20)
    h.rt.pause(cid)
    assert h.rt.state(cid)["status"] == "paused"
    h.rt.resume(cid)
    assert h.rt.state(cid)["status"] == "running"
    assert cid in h.rt.running_ids()
    stats = cgroups.read_stats(cid)
    assert stats["memory_stats"]["limit"] == 64 << 20
    assert stats["memory_stats"]["usage"] > 0
    assert stats["pids_stats"]["current"] == 1
    assert stats["cpu_stats"]["cpu_usage"]["total_usage"] > 0
    assert stats["cpu_stats"]["online_cpus"] >= 1
    cgroups.update_resources(h.rt, cid, {"Memory": 32 << 20, "MemorySwap": -1})
    assert cgroups.read_stats(cid)["memory_stats"]["limit"] == 32 << 20
    h.rt.update(cid, {"memory": {"limit": 48 << 20}, "pids": {"limit": 10}})
    assert cgroups.read_stats(cid)["memory_stats"]["limit"] == 48 << 20
    assert cgroups.read_stats(cid)["pids_stats"]["limit"] == 10
    assert h.rt.pids(cid) == [h.rt.state(cid)["pid"]]
    assert not cgroups.oom_killed(cid)
    h.rt.kill(cid, signal.SIGKILL)
    assert h.rt.wait(cid, 10).exit_code == 137


def test_exec_in_running_container(h):
    cid = h.run(["sleep", "30"])
    process = {
        "args": ["sh", "-c", "echo out; echo err >&2; exit 5"],
        "env": ["PATH=/bin"],
        "cwd": "/",
        "user": {"uid": 0, "gid": 0},
    }
    session = h.rt.exec_start(cid, process, tty=False, stdin=False)
    packets = []
    while pkt := session.socket.recv(32769):
        packets.append(pkt)
    assert b"".join(p[1:] for p in packets if p[0] == 2) == b"out\n"
    assert b"".join(p[1:] for p in packets if p[0] == 3) == b"err\n"
    assert session.wait(10) == 5
    session.remove()
    with pytest.raises(RuntimeStartError) as info:
        h.rt.exec_start(cid, dict(process, args=["nosuch"]), tty=False, stdin=False)
    assert "executable file not found" in info.value.runtime_message


def test_exec_with_stdin_and_detached(h):
    cid = h.run(["sleep", "30"])
    base = {"env": ["PATH=/bin"], "cwd": "/", "user": {"uid": 0, "gid": 0}}
    session = h.rt.exec_start(cid, dict(base, args=["cat"]), tty=False, stdin=True)
    session.socket.sendall(b"ping\n")
    session.socket.shutdown(socket.SHUT_WR)  # stdin EOF
    out = b""
    while pkt := session.socket.recv(32769):
        out += pkt[1:]
    assert out == b"ping\n"
    assert session.wait(10) == 0
    detached = h.rt.exec_start(
        cid, dict(base, args=["sh", "-c", "exit 7"]), tty=False, stdin=False, detach=True
    )
    assert detached.socket is None
    assert detached.wait(10) == 7


def test_attach_before_start_reads_output(h):
    cid = h.run(["sh", "-c", "echo hello; echo err >&2"], start=False)
    sock = h.rt.attach(cid)
    h.rt.start(cid)
    packets = []
    sock.settimeout(10)
    while pkt := sock.recv(32769):
        packets.append(pkt)
    sock.close()
    assert (2, b"hello\n") in [(p[0], p[1:]) for p in packets]
    assert (3, b"err\n") in [(p[0], p[1:]) for p in packets]
    assert h.rt.wait(cid, 10).exit_code == 0


def test_stdin_and_tty_resize(h):
    cid = h.run(["cat"], stdin=True)
    sock = h.rt.attach(cid)
    sock.sendall(b"abc\n")
    sock.shutdown(socket.SHUT_WR)
    assert h.rt.wait(cid, 10).exit_code == 0
    assert h.output(cid) == b"abc\n"

    cid = h.run(["sh", "-c", "sleep 0.5; stty size"], tty=True)
    h.rt.resize(cid, 30, 100)
    assert h.rt.wait(cid, 10).exit_code == 0
    assert b"30 100" in h.output(cid)


def test_exit_watcher(h):
    seen: list[str] = []
    event = threading.Event()

    def on_exit(cid):
        seen.append(cid)
        event.set()

    watcher = h.rt.watch_exits(on_exit)
    try:
        cid = h.run(["true"])
        assert event.wait(10)
        assert cid in seen
        assert cid in h.rt.exited_ids()
    finally:
        watcher.stop()


def test_monitor_outlives_the_process_that_started_it(h):
    cid, bundle = h.bundle(["sleep", "30"])
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {SRC!r})
        from pathlib import Path
        from dockyard.runtime.monitor import Runtime
        rt = Runtime(Path({str(h.rt.exec_root)!r}))
        print(rt.create_and_start({cid!r}, Path({str(bundle)!r}), tty=False, stdin=False,
                                  log_path=Path({str(h.log(cid))!r})))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    pid = int(out.stdout.strip())
    assert h.rt.monitor_alive(cid)
    state = h.rt.state(cid)
    assert state["status"] == "running" and state["pid"] == pid
    assert h.rt.exit_status(cid) is None
    h.rt.kill(cid, signal.SIGKILL)
    assert h.rt.wait(cid, 10).exit_code == 137


def test_init_user_ulimit_readonly(h):
    cid = h.run(
        ["sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; echo; id -u; ulimit -n; touch /x"],
        config={"User": "1234:1234"},
        Init=True,
        ReadonlyRootfs=True,
        Ulimits=[{"Name": "nofile", "Soft": 10**9, "Hard": 10**9}],
    )
    assert h.rt.wait(cid, 10).exit_code == 1  # touch on the read-only rootfs fails
    lines = h.output(cid).decode().splitlines()
    assert lines[0].startswith("/sbin/docker-init -- sh")
    assert lines[1] == "1234"
    hard = __import__("resource").getrlimit(__import__("resource").RLIMIT_NOFILE)[1]
    assert int(lines[2]) == min(hard, 10**9)
    assert "Read-only file system" in lines[3]


def test_privileged_and_host_network(h, rootfs):
    cid, bundle = h.bundle(["sh", "-c", "ls /dev/loop-control >/dev/null && cat /proc/self/status"])
    spec = build_spec(
        config={"Cmd": ["sh", "-c", "grep CapEff /proc/self/status; ls /sys/class/net"]},
        host_config={"Privileged": True},
        rootfs=rootfs,
        hostname="priv",
        mounts=[],
        netns_path="host",
        container_id=cid,
    )
    write_spec(str(bundle), spec)
    h.rt.create_and_start(cid, bundle, tty=False, stdin=False, log_path=h.log(cid))
    assert h.rt.wait(cid, 10).exit_code == 0
    out = h.output(cid).decode()
    mask = sum(1 << i for i, c in enumerate(KNOWN_CAPABILITIES) if c in host_capabilities())
    assert f"CapEff:\t{mask:016x}" in out
    host_ifaces = set(os.listdir("/sys/class/net"))
    assert host_ifaces & set(out.split())


def test_exec_process_from_container_spec(h):
    import json

    from dockyard.runtime.execspec import exec_process

    cid = h.run(["sleep", "30"], config={"Env": ["FOO=bar"], "WorkingDir": "/tmp"})
    spec = json.loads((h.base / "b" / cid / "config.json").read_text())
    proc = exec_process(spec, cmd=["sh", "-c", "echo $FOO $BAZ; pwd; id -u"], env=["BAZ=1"],
                        user="99")  # fmt: skip
    session = h.rt.exec_start(cid, proc, tty=False, stdin=False)
    out = b""
    while pkt := session.socket.recv(32769):
        out += pkt[1:]
    assert out == b"bar 1\n/tmp\n99\n"
    assert session.wait(10) == 0


def test_log_rotation_with_reopen_loses_nothing(h):
    from dockyard.runtime.logfile import log_files

    script = "i=0; while [ $i -lt 300 ]; do echo line$i; i=$((i+1)); [ $((i % 50)) = 0 ] && sleep 0.02; done"
    cid = h.run(["sh", "-c", script], start=False)
    h.rt.start(cid)
    for _ in range(4):
        try:
            h.rt.rotate_log_if_needed(cid, 1, 5)
        except ContainerNotRunning:
            break  # it finished first: what was rotated must still be read
        time.sleep(0.015)
    h.rt.wait(cid, 10)
    lines = h.output(cid).decode().split()
    assert lines == [f"line{i}" for i in range(300)]
    assert len(log_files(str(h.log(cid)))) >= 2


def test_exec_with_tty(h):
    cid = h.run(["sleep", "30"])
    base = {"env": ["PATH=/bin"], "cwd": "/", "user": {"uid": 0, "gid": 0}}
    session = h.rt.exec_start(cid, dict(base, args=["sh", "-c", "sleep 0.3; tty; stty size"]),
                              tty=True, stdin=False)  # fmt: skip
    session.resize(24, 91)
    out = b""
    while pkt := session.socket.recv(32769):
        assert pkt[0] == 2  # a TTY has one stream
        out += pkt[1:]
    assert b"/dev/pts/" in out and b"24 91" in out
    assert session.wait(10) == 0


def test_security_defaults_are_applied(h):
    script = (
        "grep -E '^(Seccomp|NoNewPrivs|CapBnd):' /proc/self/status; "
        "wc -c < /proc/timer_list; touch /proc/sys/x 2>&1 | head -c 0; "
        "echo > /proc/sysrq-trigger && echo sysrq-writable; "
        "mount | grep ' /sys ' ; df /dev/shm | tail -1"
    )
    cid = h.run(["sh", "-c", script], SecurityOpt=["no-new-privileges"], ShmSize=8 << 20)
    h.rt.wait(cid, 10)
    out = h.output(cid).decode()
    assert "Seccomp:\t2" in out
    assert "NoNewPrivs:\t1" in out
    assert "CapBnd:\t00000000a80425fb" in out  # Docker's 14 default capabilities
    if os.path.exists("/proc/timer_list"):
        assert "\n0\n" in out  # masked: /dev/null bound over it
    assert "sysrq-writable" not in out
    assert "(ro," in out  # /sys read-only
    assert " 8192 " in out  # /dev/shm sized by ShmSize (KiB)

    cid = h.run(["sh", "-c", "grep Seccomp: /proc/self/status"], SecurityOpt=["seccomp=unconfined"])
    h.rt.wait(cid, 10)
    assert "Seccomp:\t0" in h.output(cid).decode()


def test_recover_after_the_starter_is_sigkilled(h):
    cid, bundle = h.bundle(["sleep", "30"])
    done, _ = h.bundle(["true"])
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {SRC!r})
        from pathlib import Path
        from dockyard.runtime.monitor import Runtime
        rt = Runtime(Path({str(h.rt.exec_root)!r}))
        for cid in ({cid!r}, {done!r}):
            rt.create_and_start(cid, Path({str(h.base / "b")!r}) / cid, tty=False, stdin=False,
                                log_path=Path({str(h.base / "logs")!r}) / cid)
        rt.wait({done!r}, 10)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert out.returncode == -signal.SIGKILL, out.stderr
    rt = Runtime(h.rt.exec_root)  # a "restarted daemon"
    states = rt.recover()
    assert states[cid] == "running" and states[done] == "exited"
    assert rt.exit_status(done).exit_code == 0
    assert done in rt.exited_ids()
    os.kill(rt.conmon_pid(cid), signal.SIGKILL)  # lose the monitor
    time.sleep(0.1)
    assert rt.recover()[cid] == "lost"


def test_exec_session_can_be_reloaded(h):
    from dockyard.runtime.execsession import ExecSession

    cid = h.run(["sleep", "30"])
    base = {"env": ["PATH=/bin"], "cwd": "/", "user": {"uid": 0, "gid": 0}}
    s = h.rt.exec_start(cid, dict(base, args=["sh", "-c", "sleep 0.3; exit 4"]), tty=False,
                        stdin=False, detach=True, exec_id="e1")  # fmt: skip
    again = ExecSession.load(h.rt, cid, "e1")  # as a restarted daemon would
    assert again.pid == s.pid and again.running()
    assert again.wait(10) == 4 and not again.running()


def test_concurrent_starts_from_threads(h):
    from concurrent.futures import ThreadPoolExecutor

    bundles = [h.bundle(["sh", "-c", f"echo n{i}; exit {i}"]) for i in range(8)]

    def run(item):
        cid, bundle = item
        h.rt.create_and_start(cid, bundle, tty=False, stdin=False, log_path=h.log(cid))
        return cid, h.rt.wait(cid, 20)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(run, bundles))
    for i, (cid, status) in enumerate(results):
        assert status.exit_code == i
        assert h.output(cid) == f"n{i}\n".encode()
