"""What happens when a container's process ends: conmon's exit files are watched, the
container is torn down and recorded as exited, `wait` callers are answered, and the restart
policy (or --rm) decides what comes next, also for the containers that `reconcile` finds
exited at daemon start; restart policies apply again at boot."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..common.timefmt import rfc3339
from ..errors import InvalidParameter, NotFound
from ..runtime.logfile import effective_log_opts
from .mounts import teardown_mounts
from .netconnect import unwire
from .rootfs import RootFS

if TYPE_CHECKING:
    from ..network.service import NetworkService
    from ..volumes.service import VolumeService
    from .record import Container
    from .runtime_adapter import RuntimeAdapter
    from .store import ContainerStore

log = logging.getLogger(__name__)

# (container, action, extra attributes): a container event.
Event = Callable[["Container", str, "dict[str, str] | None"], None]

WAIT_CONDITIONS = ("not-running", "next-exit", "removed")


def should_restart(c: Container) -> bool:
    """Docker's restart policies, for a container that just exited on its own."""
    if c.manually_stopped or c.removing:
        return False
    policy = c.host_config.restart_policy
    name = policy.name or "no"
    code = c.state.exit_code
    if name in ("always", "unless-stopped"):
        return True
    if name == "on-failure" and code != 0:
        limit = policy.maximum_retry_count
        return not limit or c.record.restart_count < limit
    return False


class Waiters:
    """`docker wait` callers (on the event loop), answered from whichever thread saw the
    exit or the removal. Shares the store's lock so that a removal and a new waiter cannot
    miss each other."""

    def __init__(self, store: ContainerStore) -> None:
        self.store = store
        self.loop: asyncio.AbstractEventLoop | None = None
        self._waiters: dict[str, list[tuple[str, asyncio.Future[dict[str, Any]]]]] = {}

    def notify(self, c: Container, condition: str) -> None:
        loop = self.loop
        if loop is None:
            return
        result = {"StatusCode": c.state.exit_code, "Error": None}
        with self.store.lock:
            keep = []
            for cond, fut in self._waiters.get(c.id, []):
                if cond == condition or condition == "removed":
                    loop.call_soon_threadsafe(_resolve, fut, result)
                else:
                    keep.append((cond, fut))
            self._waiters[c.id] = keep
            if condition == "removed":
                self._waiters.pop(c.id, None)

    async def wait(self, ref: str, condition: str = "not-running") -> dict[str, Any]:
        if condition not in (*WAIT_CONDITIONS, ""):
            raise InvalidParameter(f"invalid condition: {condition}")
        condition = condition or "not-running"
        c = self.store.get(ref)
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        with self.store.lock:
            if condition == "not-running" and not c.running and not c.state.restarting:
                return {"StatusCode": c.state.exit_code, "Error": None}
            if condition == "removed" and self.store.find(c.id) is None:
                return {"StatusCode": c.state.exit_code, "Error": None}
            self._waiters.setdefault(c.id, []).append((condition, fut))
        return await fut


def _resolve(fut: asyncio.Future[dict[str, Any]], result: dict[str, Any]) -> None:
    if not fut.done():
        fut.set_result(result)


class Exits:
    """Exit handling for every container. `start` starts a container again (called with
    its lock held), `remove` removes one (--rm), `stopped` is told of every exit (with the
    lock held; health checks stop); all come from the container service."""

    def __init__(
        self,
        store: ContainerStore,
        runtime: RuntimeAdapter,
        networks: NetworkService,
        volumes: VolumeService,
        event: Event,
        log_opts: dict[str, str],
        *,
        start: Callable[[Container], None],
        remove: Callable[[str], None],
        stopped: Callable[[Container], None] = lambda c: None,
        announce: Callable[[Container, str], None] = lambda c, action: None,
    ) -> None:
        self.store = store
        self.runtime = runtime
        self.networks = networks
        self.volumes = volumes
        self.event = event
        self.log_opts = log_opts
        self.start = start
        self.remove = remove
        self.stopped = stopped
        self.announce = announce  # network events: disconnect after die, as dockerd
        self.waiters = Waiters(store)
        self.stopping = threading.Event()
        self._watcher: Any = None

    # ------------------------------------------------------------------ watching
    async def start_background(self) -> None:
        """Once the event loop runs: watch exit files, restart what the policies say,
        rotate logs."""
        self.waiters.loop = asyncio.get_running_loop()
        self._watcher = self.runtime.primary.watch_exits(self._on_exit_file)
        await asyncio.to_thread(self.restart_on_boot)
        threading.Thread(target=self._rotate_logs_loop, name="log-rotate", daemon=True).start()

    def shutdown(self) -> None:
        self.stopping.set()
        if self._watcher is not None:
            self._watcher.stop()

    def _rotate_logs_loop(self, interval: float = 0.5) -> None:
        """conmon cannot keep several files itself: rotate for containers that ask to."""
        while not self.stopping.wait(interval):
            for c in self.store.all():
                if not c.running:
                    continue
                opts = effective_log_opts(self.log_opts, c.host_config.log_config.config)
                if int(opts.get("max-file") or 1) > 1 and opts.get("max-size"):
                    self.runtime.rotate_logs(c.id, opts)

    def _on_exit_file(self, cid: str) -> None:
        c = self.store.find(cid)
        if c is None or not (c.running or c.state.restarting):
            return
        try:
            self.handle_exit(c)
        except Exception:
            log.exception("handling exit of %s", cid[:12])

    # ------------------------------------------------------------------ one exit
    def handle_exit(self, c: Container) -> None:
        """Record the exit conmon reported (if it did), then apply the policies."""
        with c.lock:
            if not c.running:
                return
            status = self.runtime.exit_status(c.id)
            if status is None:
                return
            code, finished, oom = status
            self.finish(c, code, finished, oom)
        self._after_exit(c)

    def wait_exit(self, c: Container, timeout: float) -> None:
        # The watcher usually records the exit; do it here too so stop returns exited.
        deadline = time.monotonic() + timeout
        while c.running and time.monotonic() < deadline:
            self.handle_exit(c)
            if c.running:
                c.exit_event.wait(0.02)  # the exit watcher may record it first

    def finish(self, c: Container, code: int, finished: float, oom: bool) -> None:
        """Tear down what the running container held and record it as exited."""
        try:
            self.runtime.delete(c.id)
        except Exception:
            log.exception("runtime delete %s", c.id[:12])
        try:
            unwire(c, self.networks)
        except Exception:
            log.exception("network teardown %s", c.id[:12])
        try:
            RootFS(self.store.dir(c.id)).unmount()
        except OSError:
            log.exception("unmount %s", c.id[:12])
        try:
            teardown_mounts(c.record.mounts, self.volumes)
        except Exception:
            log.exception("volume teardown %s", c.id[:12])
        self.stopped(c)
        c.state.exited(code, oom, rfc3339(finished, pad=True))
        try:
            self.store.save(c)
        except OSError as exc:  # a full disk: the exit still reaches every waiter
            log.error("recording the exit of %s: %s", c.id[:12], exc)
        if oom:
            self.event(c, "oom", None)
        self.event(c, "die", {"exitCode": str(code)})
        self.announce(c, "disconnect")
        c.exit_event.set()
        self.waiters.notify(c, "next-exit")
        self.waiters.notify(c, "not-running")

    def _after_exit(self, c: Container) -> None:
        if c.host_config.auto_remove and not c.removing:
            threading.Thread(target=self._auto_remove, args=(c,), daemon=True).start()
            return
        if not self.stopping.is_set() and should_restart(c):
            delay = min(0.1 * (2 ** min(c.record.restart_count, 10)), 60.0)
            with c.lock:
                c.state.restarting, c.state.status = True, "restarting"
                self.store.save(c)
            threading.Timer(delay, self._restart_after_exit, args=(c,)).start()

    def _auto_remove(self, c: Container, drain_timeout: float = 5.0) -> None:
        # Like Docker, let attached clients read the last output before the log goes.
        with c.attach_done:
            c.attach_done.wait_for(lambda: c.attachers == 0, timeout=drain_timeout)
        try:
            self.remove(c.id)
        except NotFound:
            pass
        except Exception:
            log.exception("auto-remove %s", c.id[:12])

    def _restart_after_exit(self, c: Container) -> None:
        with c.lock:
            known = self.store.find(c.id) is not None
            if c.removing or c.manually_stopped or not known:
                c.state.restarting = False
                if known:
                    c.state.status = "exited"
                    self.store.save(c)
                return
            c.record.restart_count += 1
            try:
                self.start(c)
            except Exception as exc:
                log.warning("restart of %s failed: %s", c.id[:12], exc)
                c.state.stop_restarting()
                self.store.save(c)

    # ------------------------------------------------------------------ daemon start
    def restart_on_boot(self) -> None:
        for c in self.store.all():
            if c.running:
                continue
            policy = c.host_config.restart_policy.name
            if policy == "always" or (policy == "unless-stopped" and not c.manually_stopped):
                if c.record.was_running_at_shutdown or policy == "always":
                    try:
                        with c.lock:
                            self.start(c)
                    except Exception as exc:
                        log.warning("restart on boot of %s failed: %s", c.id[:12], exc)
