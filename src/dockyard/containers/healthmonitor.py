"""The daemon's health-check monitors: one thread per running container with a probe, which
runs the probe as an exec in the container on its schedule (`health.Probe.next_delay`),
kills it at its timeout, and records the result in `State.Health` (publishing
`health_status: <status>` when the status changes).

As in dockerd, a monitor runs while its container runs and is not paused; it starts with the
container (or with the daemon, for a container that kept running: live restore) and stops
with it, the status then reading "unhealthy". A monitor never runs two probes at once, and
waits for a probe it abandons to be gone, so probes cannot pile up.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..common.timefmt import parse_rfc3339_ns
from ..errors import DockyardError
from .health import UNHEALTHY, Health, OutputBuffer, Probe, Result

if TYPE_CHECKING:
    from .execs import ExecManager
    from .exits import Event
    from .record import Container
    from .store import ContainerStore

log = logging.getLogger(__name__)

# How long a killed probe may take to be reaped, and its output to drain, before the
# monitor gives up on it (the process is SIGKILLed: it cannot outlive these by much).
_REAP_TIMEOUT = 10.0
_DRAIN_TIMEOUT = 2.0


class HealthMonitors:
    """Every container's monitor. `clock` gives Unix nanoseconds (tests pass a fake one)."""

    def __init__(
        self,
        store: ContainerStore,
        execs: ExecManager,
        event: Event,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.store = store
        self.execs = execs
        self.event = event
        self.clock = clock
        self._stops: dict[str, threading.Event] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ hooks (c locked)
    def started(self, c: Container) -> None:
        """The container (re)started, or kept running across a daemon restart: its health
        starts over ("starting", no failures; the log is kept) and its monitor runs."""
        if Probe.of(c.config.to_dict()) is None:
            return
        self.stopped(c)
        health = Health.from_dict(c.state.health)
        health.restart()
        c.state.health = health.to_dict()
        self._ensure(c)

    def stopped(self, c: Container) -> None:
        """The container stopped or paused: no more probes; the status reads unhealthy."""
        with self._lock:
            stop = self._stops.pop(c.id, None)
            self._threads.pop(c.id, None)
        if stop is None:
            return
        stop.set()
        if c.state.health is not None:
            c.state.health["Status"] = UNHEALTHY

    def unpaused(self, c: Container) -> None:
        """Probes resume; the status stays what it was until the next result."""
        if c.state.health is not None:
            self._ensure(c)

    def shutdown(self) -> None:
        """The daemon stops: stop every monitor, leaving the recorded health as it is."""
        with self._lock:
            stops = list(self._stops.values())
            threads = list(self._threads.values())
            self._stops.clear()
            self._threads.clear()
        for stop in stops:
            stop.set()
        for t in threads:
            t.join(timeout=_REAP_TIMEOUT)

    def running(self, cid: str) -> bool:
        with self._lock:
            return cid in self._stops

    # ------------------------------------------------------------------ the monitor
    def _ensure(self, c: Container) -> None:
        probe = Probe.of(c.config.to_dict())
        if probe is None or not c.running or c.state.paused:
            return
        with self._lock:
            if c.id in self._stops:
                return
            stop = threading.Event()
            t = threading.Thread(
                target=self._monitor, args=(c, probe, stop), name=f"health-{c.id[:12]}", daemon=True
            )
            self._stops[c.id] = stop
            self._threads[c.id] = t
        t.start()

    def _monitor(self, c: Container, probe: Probe, stop: threading.Event) -> None:
        started = parse_rfc3339_ns(c.state.started_at)
        while True:
            status = (c.state.health or {}).get("Status", "")
            if stop.wait(probe.next_delay(self.clock() - started, status)):
                return
            try:
                result = self.run_probe(c, probe, stop)
            except Exception as exc:  # a bug here must not end the monitor silently
                log.exception("health check of %s", c.id[:12])
                now = self.clock()
                result = Result(now, now, -1, str(exc))
            if result is None:
                return
            with c.lock:
                if stop.is_set():  # stopped while we waited for the lock
                    return
                health = Health.from_dict(c.state.health)
                changed = health.record(result, probe, started)
                c.state.health = health.to_dict()
                self.store.save(c)
            if changed:
                self.event(c, f"health_status: {changed}", None)

    def run_probe(self, c: Container, probe: Probe, stop: threading.Event) -> Result | None:
        """One probe run as an exec; None when the monitor was stopped meanwhile."""
        start = self.clock()
        if not probe.command:
            return Result(
                start, self.clock(), -1, f"healthcheck for container {c.id} has no command"
            )
        try:
            created = self.execs.create(
                c.id, {"Cmd": probe.command, "AttachStdout": True, "AttachStderr": True}
            )
        except DockyardError as exc:
            return Result(start, self.clock(), -1, exc.message)
        session = self.execs.get(created["Id"])
        try:
            handle = self.execs.spawn(session, tty=False, stdin=False, detach=False)
        except DockyardError as exc:
            self.execs.forget(session)
            return Result(start, self.clock(), -1, exc.message)
        output = OutputBuffer()
        reader = threading.Thread(target=_drain, args=(handle.socket, output), daemon=True)
        reader.start()
        try:
            code, timed_out = _wait(handle, probe.timeout, stop)
            if timed_out or code is None:
                _kill(handle)
                code = handle.wait(_REAP_TIMEOUT)
            reader.join(_DRAIN_TIMEOUT)
        finally:
            self.execs.finish(session, code if code is not None and code >= 0 else 137)
            self.execs.forget(session)
            handle.remove()
        if stop.is_set() and not timed_out:
            return None
        end = self.clock()
        if timed_out:
            return probe.timeout_result(start, end, output.text())
        return Result(
            start, end, session.exit_code if session.exit_code is not None else -1, output.text()
        )


def _wait(handle: Any, timeout: float, stop: threading.Event) -> tuple[int | None, bool]:
    """(exit code, timed out); the code is None when the monitor was stopped first."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None, True
        code = handle.wait(min(left, 0.05))
        if code is not None:
            return code, False
        if stop.is_set():
            return None, False


def _kill(handle: Any) -> None:
    if handle.exit_code() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(handle.pid, signal.SIGKILL)


def _drain(sock: Any, output: OutputBuffer) -> None:
    """conmon's attach packets (one byte of stream id, then data) until it hangs up."""
    if sock is None:
        return
    with contextlib.suppress(OSError):
        while True:
            packet = sock.recv(32 * 1024 + 1)
            if not packet:
                return
            output.write(packet[1:])
