"""containers/healthmonitor with the exec machinery faked: a probe "exec" is a host process
(so the timeout kill is real), the container record a plain one. Checks the schedule, the
events, the timeout, stopping, and that probes never overlap or leak sessions."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from dockyard.common.timefmt import rfc3339
from dockyard.containers.healthmonitor import HealthMonitors
from dockyard.containers.record import Container, ContainerRecord
from dockyard.errors import Conflict

MS = 1_000_000


class FakeHandle:
    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.pid = proc.pid
        self.socket = None
        self.removed = False

    def wait(self, timeout: float | None = None) -> int | None:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def exit_code(self) -> int | None:
        return self.proc.poll()

    def remove(self) -> None:
        self.removed = True


class FakeSession:
    def __init__(self, sid: str, cmd: list[str]) -> None:
        self.id = sid
        self.cmd = cmd
        self.exit_code: int | None = None


class FakeExecs:
    """ExecManager's calls the monitor makes; the command runs on the host."""

    def __init__(self) -> None:
        self.sessions: dict[str, FakeSession] = {}
        self.live = 0
        self.most_live = 0
        self.handles: list[FakeHandle] = []
        self.lock = threading.Lock()
        self.refuse: str | None = None
        self.spawned: set[str] = set()

    def create(self, cid: str, body: dict[str, Any]) -> dict[str, str]:
        sid = f"e{len(self.handles)}-{time.monotonic_ns()}"
        self.sessions[sid] = FakeSession(sid, body["Cmd"])
        return {"Id": sid}

    def get(self, sid: str) -> FakeSession:
        return self.sessions[sid]

    def spawn(self, s: FakeSession, tty: bool, stdin: bool, detach: bool) -> FakeHandle:
        if self.refuse:
            self.finish(s, 127)
            raise Conflict(self.refuse)
        with self.lock:
            self.spawned.add(s.id)
            self.live += 1
            self.most_live = max(self.most_live, self.live)
        h = FakeHandle(subprocess.Popen(s.cmd))
        self.handles.append(h)
        return h

    def finish(self, s: FakeSession, code: int) -> None:
        s.exit_code = code
        with self.lock:
            if s.id in self.spawned:
                self.spawned.discard(s.id)
                self.live -= 1

    def forget(self, s: FakeSession) -> None:
        self.sessions.pop(s.id, None)


class FakeStore:
    def __init__(self) -> None:
        self.saves = 0

    def save(self, c: Container) -> None:
        self.saves += 1


def container(test: list[str], **hc: int) -> Container:
    return Container(
        ContainerRecord.from_stored(
            {
                "Id": "c" * 64,
                "Name": "/probed",
                "State": {"Running": True, "Paused": False, "StartedAt": rfc3339(pad=True)},
                "Config": {"Healthcheck": {"Test": test, **hc}},
            }
        )
    )


@pytest.fixture
def env() -> Iterator[tuple[HealthMonitors, FakeExecs, list[str]]]:
    execs = FakeExecs()
    events: list[str] = []
    monitors = HealthMonitors(FakeStore(), execs, lambda c, action, extra: events.append(action))  # type: ignore[arg-type]
    yield monitors, execs, events
    monitors.shutdown()
    for h in execs.handles:
        if h.proc.poll() is None:
            h.proc.kill()
            h.proc.wait()


def wait_for(cond: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_healthy_then_unhealthy_with_events(env: Any, tmp_path: Any) -> None:
    monitors, execs, events = env
    flag = tmp_path / "ok"
    flag.touch()
    c = container(["CMD", "test", "-e", str(flag)], Interval=50 * MS, Retries=2)
    with c.lock:
        monitors.started(c)
    assert c.state.health == {"Status": "starting", "FailingStreak": 0, "Log": []}
    wait_for(lambda: c.state.health["Status"] == "healthy")
    flag.unlink()
    wait_for(lambda: c.state.health["Status"] == "unhealthy")
    assert events == ["health_status: healthy", "health_status: unhealthy"]
    assert c.state.health["FailingStreak"] >= 2
    log = c.state.health["Log"]
    assert 2 <= len(log) <= 5 and log[-1]["ExitCode"] == 1


def test_hanging_probe_is_killed_at_its_timeout(env: Any) -> None:
    monitors, execs, events = env
    c = container(["CMD", "sleep", "30"], Interval=20 * MS, Timeout=150 * MS, Retries=1)
    t0 = time.monotonic()
    with c.lock:
        monitors.started(c)
    wait_for(lambda: c.state.health["Status"] == "unhealthy")
    assert time.monotonic() - t0 < 3
    entry = c.state.health["Log"][0]
    assert entry["ExitCode"] == -1
    assert entry["Output"] == "Health check exceeded timeout (150ms)"
    first = execs.handles[0]
    assert first.proc.poll() == -9 and first.removed  # SIGKILLed and its files dropped


def test_probes_never_overlap_and_sessions_are_dropped(env: Any) -> None:
    monitors, execs, events = env
    # each probe outlasts the interval several times over
    c = container(["CMD", "sleep", "0.1"], Interval=MS)
    with c.lock:
        monitors.started(c)
    wait_for(lambda: len(execs.handles) >= 4)
    with c.lock:
        monitors.stopped(c)
    assert execs.most_live == 1
    wait_for(lambda: not execs.sessions)
    assert all(h.removed for h in execs.handles[:-1])


def test_stop_ends_probing_and_reads_unhealthy(env: Any) -> None:
    monitors, execs, events = env
    c = container(["CMD", "sleep", "30"], Interval=10 * MS)
    with c.lock:
        monitors.started(c)
    wait_for(lambda: len(execs.handles) == 1)
    with c.lock:
        monitors.stopped(c)
    assert c.state.health["Status"] == "unhealthy"
    assert not monitors.running(c.id)
    # the probe in flight is killed, nothing is recorded for it, no new one starts
    wait_for(lambda: execs.handles[0].proc.poll() is not None)
    time.sleep(0.1)
    assert len(execs.handles) == 1 and c.state.health["Log"] == [] and events == []


def test_a_command_that_cannot_start_fails_with_the_runtime_message(env: Any) -> None:
    monitors, execs, events = env
    execs.refuse = 'OCI runtime exec failed: exec: "nosuch": executable file not found'
    c = container(["CMD", "nosuch"], Interval=10 * MS, Retries=1)
    with c.lock:
        monitors.started(c)
    wait_for(lambda: c.state.health["Status"] == "unhealthy")
    entry = c.state.health["Log"][0]
    assert (entry["ExitCode"], entry["Output"]) == (-1, execs.refuse)
    assert not execs.sessions


def test_no_monitor_without_a_probe(env: Any) -> None:
    monitors, execs, events = env
    for test in (["NONE"], []):
        c = container(test)
        with c.lock:
            monitors.started(c)
        assert c.state.health is None and not monitors.running(c.id)


def test_restart_keeps_the_log_and_starts_over(env: Any) -> None:
    monitors, execs, events = env
    c = container(["CMD", "false"], Interval=10 * MS, Retries=1)
    with c.lock:
        monitors.started(c)
    wait_for(lambda: c.state.health["Status"] == "unhealthy")
    with c.lock:
        monitors.stopped(c)
        monitors.started(c)  # as live restore does
    assert c.state.health["Status"] == "starting"
    assert c.state.health["FailingStreak"] == 0 and c.state.health["Log"]
