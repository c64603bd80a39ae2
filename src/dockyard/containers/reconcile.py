"""Containers against the host: every record, whatever its recorded state, compared with
what the runtime (runc state), the monitors (conmon), the `runc init` processes, the
cgroups and the mounts say, plus everything of ours on the host that no record owns.

Each anomaly is a `Finding` with the fix that settles it. At daemon start every fix is
applied (a container whose process lives is adopted when its record says it runs, and
killed when its start never completed; whatever has no owner is released); `system check`
lists the same findings and applies them on `--repair`.

The host is read in batches (`runtime.survey`, one read of mountinfo), never with a
process per container: start-up stays cheap with a thousand containers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..runtime.survey import Survey, kill_pids, remove_cgroup
from .netconnect import unwire
from .rootfs import umount

if TYPE_CHECKING:
    from .exits import Exits
    from .record import Container

log = logging.getLogger(__name__)

# (container, exit code, finished at, OOM-killed): Exits.finish.
Finish = Callable[["Container", int, float, bool], None]


@dataclass
class Finding:
    resource: str
    problem: str
    fix: Callable[[], None] | None  # None: nothing here can bring it back


def mount_points() -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4].replace("\\040", " ") for line in f]


class Reconciler:
    """Works through the exit handling's peers (records, runtime, networks) and ends a
    container the way an exit does (`exits.finish`)."""

    def __init__(self, exits: Exits) -> None:
        self.store = exits.store
        self.runtime = exits.runtime
        self.networks = exits.networks
        self.finish: Finish = exits.finish
        self._ahead: tuple[threading.Thread, list[Survey]] | None = None

    def read_ahead(self) -> None:
        """Start reading the host for the start-up findings now: `runc list` of a thousand
        containers takes seconds, and can overlap the recovery of images, volumes and
        networks (none of which starts or stops a container)."""
        box: list[Survey] = []

        def read() -> None:
            try:
                box.append(self.runtime.survey())
            except Exception:  # read again when it is needed
                log.exception("reading the host ahead of recovery")

        t = threading.Thread(target=read, name="survey")
        t.start()
        self._ahead = (t, box)

    def _survey(self, at_start: bool) -> Survey:
        ahead, self._ahead = self._ahead, None
        if at_start and ahead is not None:
            ahead[0].join()
            if ahead[1]:
                return ahead[1][0]
        return self.runtime.survey()  # none read ahead, or reading it failed

    # ------------------------------------------------------------------ findings
    def findings(self, at_start: bool) -> list[Finding]:
        """Every anomaly now. Outside start-up, containers busy under their lock (being
        started, stopped, copied from) and names reserved by a create in progress are left
        out: what they hold is in flight, not lost."""
        s = self._survey(at_start)
        mounts = self._mounts_by_id()
        out: list[Finding] = []
        adopted: set[str] = set()
        with self._settled(at_start) as records:
            for c in records:
                found = self._judge(c, s, mounts, at_start)
                if found is None:
                    adopted.add(c.id)
                else:
                    out.extend(found)
            known = {c.id for c in self.store.all()} | self.store.reserved_ids()
            for cid in sorted((s.ids() | set(mounts) | self._dirs()) - known):
                out.append(self._orphan(cid, s, mounts.get(cid, [])))
        return out

    def _judge(
        self, c: Container, s: Survey, mounts: dict[str, list[str]], at_start: bool
    ) -> list[Finding] | None:
        """None when the container is running and its process lives (adopted); else what
        is wrong with it (maybe nothing)."""
        cid = c.id
        status = s.runc.get(cid)
        if not self.store.dir(cid).is_dir():
            return [Finding(_name(c), "its directory (upper layer, logs) is missing", None)]
        if c.running:
            if status in ("running", "paused") and cid in s.monitors:
                return None
            exit_status = self.runtime.exit_status(cid)
            if exit_status is not None:
                if not at_start:
                    return []  # the exit watcher is about to record it
                code, finished, oom = exit_status
                return [
                    Finding(
                        _name(c),
                        "exited while the daemon was down",
                        lambda: self._end(c, code, finished, oom),
                    )
                ]
            what = "its monitor is gone" if status else "its process is gone"
            return [
                Finding(
                    _name(c),
                    f"recorded running but {what}",
                    lambda: self._end(c, 255, time.time(), False, kill=True),
                )
            ]
        traces = s.traces(cid)
        stray = mounts.get(cid, [])
        if cid in s.cgroups:
            traces.append("cgroup")
        if stray:
            traces.append(f"{len(stray)} mount(s)")
        if not traces:
            if c.state.restarting and at_start:
                return [Finding(_name(c), "recorded restarting", lambda: self._stop_restarting(c))]
            return []
        problem = f"recorded {c.state.status or 'created'} but holds {', '.join(traces)}"
        return [Finding(_name(c), problem, lambda: self._release(c, s, stray))]

    def _orphan(self, cid: str, s: Survey, stray: list[str]) -> Finding:
        traces = s.traces(cid) + ([f"{len(stray)} mount(s)"] if stray else [])
        if cid in s.cgroups:
            traces.append("cgroup")
        if cid in self._dirs():
            traces.append("container directory")
        return Finding(
            f"container {cid[:12]}",
            f"no such container, yet {', '.join(traces)} remain",
            lambda: self._release_orphan(cid, s, stray),
        )

    # ------------------------------------------------------------------ fixes
    def _end(self, c: Container, code: int, finished: float, oom: bool, kill: bool = False) -> None:
        with c.lock:
            if not c.running:
                return
            if kill:
                self._kill(c.id)
            self.finish(c, code, finished, oom)

    def _stop_restarting(self, c: Container) -> None:
        c.state.stop_restarting()
        self.store.save(c)

    def _release(self, c: Container, s: Survey, stray: list[str]) -> None:
        """A container whose start never completed: everything it holds goes; its record
        keeps the state it had (a crash during `run -d` leaves it created)."""
        with c.lock:
            if c.running:
                return
            kill_pids(s.inits.get(c.id, []))
            self._kill(c.id)
            with _logged("network teardown", c.id):
                unwire(c, self.networks)
            _unmount_all(stray)
            # No volume teardown: whether its start got as far as mounting them is unknown,
            # and the counts of the volumes' other users must stay right.
            remove_cgroup(c.id)
            if c.state.restarting:
                c.state.stop_restarting()
            self.store.save(c)

    def _release_orphan(self, cid: str, s: Survey, stray: list[str]) -> None:
        kill_pids(s.inits.get(cid, []))
        self._kill(cid)
        with _logged("network teardown", cid):
            self.networks.on_remove(cid)
        _unmount_all(stray)
        remove_cgroup(cid)
        if self.store.find(cid) is None and cid not in self.store.reserved_ids():
            shutil.rmtree(self.store.dir(cid), ignore_errors=True)

    def _kill(self, cid: str) -> None:
        """runc delete --force (kills the process, drops the state and cgroup), then the
        monitor and its files."""
        with _logged("runtime delete", cid):
            self.runtime.delete(cid, force=True)

    # ------------------------------------------------------------------ reading
    @contextlib.contextmanager
    def _settled(self, at_start: bool) -> Iterator[list[Container]]:
        """The records to judge; outside start-up each under its lock, taken without
        waiting (a busy container is in flight, not lost)."""
        if at_start:
            yield self.store.all()
            return
        held = [c for c in self.store.all() if c.lock.acquire(blocking=False)]
        try:
            yield [c for c in held if not c.removing]
        finally:
            for c in held:
                c.lock.release()

    def _mounts_by_id(self) -> dict[str, list[str]]:
        """Mounts under each container directory, deepest first."""
        base = str(self.store.root) + "/"
        out: dict[str, list[str]] = {}
        for p in sorted(mount_points(), key=len, reverse=True):
            if p.startswith(base):
                out.setdefault(p[len(base) :].split("/")[0], []).append(p)
        return out

    def _dirs(self) -> set[str]:
        try:
            return {e.name for e in os.scandir(self.store.root) if e.is_dir()}
        except OSError:
            return set()


def _name(c: Container) -> str:
    return f"container {c.id[:12]} ({c.name})"


def _unmount_all(points: list[str]) -> None:
    for p in points:
        try:
            umount(p)
        except OSError as exc:
            log.warning("unmount %s: %s", p, exc)


@contextlib.contextmanager
def _logged(what: str, cid: str) -> Iterator[None]:
    try:
        yield
    except Exception:
        log.exception("%s of %s", what, cid[:12])
