"""The container service: the public face of containers/ for the API, the builder and the
daemon. It holds the records (store), creates containers (create), starts, stops, kills,
pauses, updates and removes them here, and leaves exits, restart policies and live restore
to `exits`.

Running processes live under conmon, outside the daemon; the daemon learns of exits from
conmon's exit files.
"""

from __future__ import annotations

import copy
import json
import logging
import shutil
import signal as signal_mod
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..common.timefmt import rfc3339
from ..errors import Conflict, DockyardError, InvalidParameter, NotFound
from ..runtime.logfile import effective_log_opts
from . import model, netconnect
from .config import ContainerConfig, Publish
from .create import create_container
from .etcfiles import etc_mounts, write_etc_files
from .exits import Exits
from .healthmonitor import HealthMonitors
from .links import remove_link
from .reconcile import Reconciler
from .record import Container, HostConfig
from .rootfs import RootFS, dir_size, runtime_mount_points
from .runtime_adapter import RuntimeAdapter
from .signals import parse_signal
from .starterrors import NotModifiedStart, StartError, classify_start_error
from .store import ContainerStore

if TYPE_CHECKING:
    from ..images.service import ImageService
    from ..network.options import ConnectOptions, DisconnectOptions
    from ..network.service import NetworkService
    from ..state.db import Database
    from ..volumes.service import VolumeService

log = logging.getLogger(__name__)

DEFAULT_STOP_TIMEOUT = 10


class ContainerService:
    """Every container of the daemon: its records, lifecycle and exits.

    Its peers come in the constructor: the image store (root filesystems, image config),
    the volume service (mounts), the network service (endpoints, /etc files) and the
    event publisher.
    """

    def __init__(
        self,
        config: ContainerConfig,
        db: Database,
        *,
        images: ImageService,
        volumes: VolumeService,
        networks: NetworkService,
        publish: Publish,
    ) -> None:
        self.config = config
        self.images = images
        self.volumes = volumes
        self.networks = networks
        self.publish = publish
        self.store = ContainerStore(db, config.data_root / "containers")
        self.root = self.store.root
        self.runtime = RuntimeAdapter(
            config.exec_root, config.runtime_paths, config.default_runtime
        )
        from .execs import ExecManager

        self.execs = ExecManager(self.store, self.runtime, self._event)
        self.health = HealthMonitors(self.store, self.execs, self._event)
        self.exits = Exits(
            self.store,
            self.runtime,
            networks,
            volumes,
            self._event,
            config.log_opts,
            start=self._start_locked,
            remove=lambda cid: self.remove(cid, force=True, volumes=True),
            stopped=self.health.stopped,
            announce=self._announce,
        )
        self.reconciler = Reconciler(self.exits)

    # ------------------------------------------------------------------ records
    def get(self, ref: str) -> Container:
        """By full id, name (with or without /), or unique id prefix — Docker's order."""
        return self.store.get(ref)

    def all(self) -> list[Container]:
        return self.store.all()

    def dir(self, cid: str) -> Path:
        return self.store.dir(cid)

    def counts(self) -> dict[str, int]:
        cs = self.all()
        running = sum(1 for c in cs if c.running and not c.state.paused)
        paused = sum(1 for c in cs if c.state.paused)
        return {
            "total": len(cs),
            "running": running,
            "paused": paused,
            "stopped": len(cs) - running - paused,
        }

    def image_usage(self) -> dict[str, int]:
        usage: dict[str, int] = {}
        for c in self.all():
            usage[c.record.image_id] = usage.get(c.record.image_id, 0) + 1
        return usage

    def running_image_usage(self) -> dict[str, list[str]]:
        usage: dict[str, list[str]] = {}
        for c in self.all():
            if c.running:
                usage.setdefault(c.record.image_id, []).append(c.id)
        return usage

    def image_users(self) -> dict[str, list[str]]:
        usage: dict[str, list[str]] = {}
        for c in self.all():
            usage.setdefault(c.record.image_id, []).append(c.id)
        return usage

    def volume_users(self) -> dict[str, list[str]]:
        from .mounts import volumes_in_use

        return volumes_in_use((c.id, c.record.mounts) for c in self.all() if not c.removing)

    # ------------------------------------------------------------------ create
    def create(
        self, name: str | None, body: dict[str, Any], platform: str | None = None
    ) -> dict[str, Any]:
        c = create_container(
            self.store, self.config, self.images, self.networks, self.volumes, name, body
        )
        self._event(c, "create")
        return {"Id": c.id, "Warnings": []}

    # ------------------------------------------------------------------ start
    def start(self, ref: str) -> None:
        c = self.get(ref)
        with c.lock:
            if c.state.paused:
                raise Conflict("cannot start a paused container, try unpause instead")
            if c.running:
                raise NotModifiedStart()
            if c.removing:
                raise Conflict(f"container {c.id} is marked for removal and cannot be started")
            c.manually_stopped = False
            try:
                self._start_locked(c)
            except DockyardError:
                if c.host_config.auto_remove:
                    # Docker removes an --rm container whose start failed; `run` waits for it.
                    threading.Thread(target=self._remove_quietly, args=(c.id,), daemon=True).start()
                raise

    def _remove_quietly(self, cid: str) -> None:
        try:
            self.remove(cid, force=True, volumes=True)
        except DockyardError:
            pass

    def _start_locked(self, c: Container) -> None:
        cdir = self.dir(c.id)
        images = self.images
        networks = self.networks
        rootfs = RootFS(cdir)
        hc, cfg = c.host_config, c.config
        undo: list[Callable[[], None]] = []
        try:
            self.runtime.cleanup(c.id)
            rootfs.mount(images.lowerdirs(c.record.image_id))
            undo.append(rootfs.unmount)
            volumes = self.volumes
            oci_mounts: list[dict[str, Any]] = []
            from .mounts import populate_volumes, setup_mounts, teardown_mounts

            plan = c.record.mounts
            if any(m.copy_data for m in plan):
                populate_volumes(plan, rootfs.merged, volumes)
                self.store.save(c)
            oci_mounts = setup_mounts(plan, volumes)
            undo.append(lambda: teardown_mounts(plan, volumes))
            netns_path = netconnect.wire(c, networks)
            undo.append(lambda: netconnect.unwire(c, networks))
            plumbed = netconnect.plumb_in_background(c, networks)
            undo.append(plumbed)  # (runs first) the namespace goes once nothing works in it
            self._announce(c, "connect")
            write_etc_files(c, cdir, self.networks)
            from ..runtime.spec import build_spec

            oci_mounts += etc_mounts(c, cdir)
            spec = build_spec(
                config=cfg.to_dict(),
                host_config=hc.to_dict(),
                rootfs=str(rootfs.merged),
                hostname=cfg.hostname or c.id[:12],
                mounts=oci_mounts,
                netns_path=netns_path,
                container_id=c.id,
                seccomp_default=self.config.default_seccomp,
                **({"cgroup_parent": hc.cgroup_parent} if hc.cgroup_parent else {}),
            )
            bundle = cdir
            (bundle / "config.json").write_text(json.dumps(spec))
            pid = self.runtime.start(
                c.id,
                bundle,
                tty=bool(cfg.tty),
                stdin=bool(cfg.open_stdin),
                log_path=Path(c.record.log_path),
                log_opts=effective_log_opts(self.config.log_opts, hc.log_config.config),
                runtime_name=hc.runtime or self.config.default_runtime,
                # Docker closes stdin after the first attach only without a TTY.
                stdin_once=bool(cfg.stdin_once) and not cfg.tty,
                before_start=plumbed,  # its network ready before its command runs
            )
        except BaseException as exc:
            for fn in reversed(undo):
                try:
                    fn()
                except Exception:
                    log.exception("undo after failed start of %s", c.id[:12])
            message = getattr(exc, "message", None) or str(exc)
            status, exit_code = classify_start_error(message)
            c.state.start_failed(exit_code, message)
            c.failed_starts += 1
            self.store.save(c)
            if isinstance(exc, DockyardError) and exc.status < 500:
                raise
            err = StartError(message, exit_code)
            err.status = status
            raise err from None
        c.exit_event.clear()
        c.state.started(pid, rfc3339(pad=True))
        self.health.started(c)
        self.store.save(c)
        self._event(c, "start")
        # A quick process may be gone before we marked it running, and the exit watcher
        # ignored its exit file then: look once more now.
        if self.runtime.exit_status(c.id) is not None:
            threading.Thread(target=self.exits.handle_exit, args=(c,), daemon=True).start()

    # ------------------------------------------------------------------ stop / kill
    def stop(self, ref: str, timeout: int | None = None, sig: str | None = None) -> bool:
        c = self.get(ref)
        c.manually_stopped = True
        if not c.running:
            if c.state.restarting:
                c.state.stop_restarting()
                self.store.save(c)
                return True
            self.store.save(c)
            return False
        if timeout is None or timeout < -1:
            timeout = c.config.stop_timeout
            if timeout is None:
                timeout = DEFAULT_STOP_TIMEOUT
        stop_signal = sig or c.config.stop_signal or "SIGTERM"
        self.store.save(c)
        if c.state.paused:
            self.runtime.resume(c.id)
        # Docker's events of a stop: `kill` (the stop signal), `kill` (9) on time-out, then
        # `die` and `stop`; each kill is published once the signal went out, before the exit.
        try:
            signum = parse_signal(stop_signal)
            self.runtime.kill(c.id, signum, pid=c.state.pid)
            self._event(c, "kill", {"signal": str(signum)})
        except Exception as exc:
            log.debug("stop signal to %s: %s", c.id[:12], exc)
        if timeout == -1 or not c.exit_event.wait(timeout):
            if c.running:
                try:
                    self.runtime.kill(c.id, signal_mod.SIGKILL, True, c.state.pid)
                    self._event(c, "kill", {"signal": str(int(signal_mod.SIGKILL))})
                except Exception as exc:
                    log.debug("SIGKILL to %s: %s", c.id[:12], exc)
                self.exits.wait_exit(c, 10)
        self._event(c, "stop")
        return True

    def kill(self, ref: str, sig: str | None = "SIGKILL") -> None:
        try:
            c = self.get(ref)
        except NotFound as e:
            raise NotFound(f"Cannot kill container: {ref}: {e.message}") from None
        signum = parse_signal(sig or "SIGKILL")
        if not c.running:
            raise Conflict(f"Cannot kill container: {ref}: Container {c.id} is not running")
        if signum == signal_mod.SIGKILL:
            c.manually_stopped = True
            self.store.save(c)
        self.runtime.kill(c.id, signum, pid=c.state.pid)
        self._event(c, "kill", {"signal": str(int(signum))})
        if signum == signal_mod.SIGKILL:
            # Docker answers a SIGKILL only once the exit is recorded, so an inspect right
            # after `docker kill` says exited (137).
            self.exits.wait_exit(c, 2)
            if c.running:
                self.runtime.kill(c.id, signal_mod.SIGKILL, True, c.state.pid)
                self.exits.wait_exit(c, 10)

    def restart(self, ref: str, timeout: int | None = None, sig: str | None = None) -> None:
        c = self.get(ref)
        if c.running:
            self.stop(c.id, timeout, sig)
        with c.lock:
            c.manually_stopped = False
            if not c.running:
                self._start_locked(c)
        self._event(c, "restart")

    def pause(self, ref: str) -> None:
        c = self.get(ref)
        with c.lock:
            if not c.running:
                raise Conflict(f"Container {c.id} is not running")
            if c.state.paused:
                raise Conflict(f"Container {c.id} is already paused")
            self.runtime.pause(c.id)
            c.state.paused, c.state.status = True, "paused"
            self.health.stopped(c)
            self.store.save(c)
        self._event(c, "pause")

    def unpause(self, ref: str) -> None:
        c = self.get(ref)
        with c.lock:
            if not c.state.paused:
                raise Conflict(f"Container {c.id} is not paused")
            self.runtime.resume(c.id)
            c.state.paused, c.state.status = False, "running"
            self.health.unpaused(c)
            self.store.save(c)
        self._event(c, "unpause")

    # ------------------------------------------------------------------ remove
    def remove(
        self, ref: str, force: bool = False, volumes: bool = False, link: bool = False
    ) -> None:
        if link:
            remove_link(self.store, ref)
            return
        c = self.get(ref)
        # Docker counts a container waiting to be restarted by its policy as running.
        if c.running or c.state.restarting:
            if not force:
                raise Conflict(
                    f'cannot remove container "/{c.name}": container is {c.state.status}: '
                    "stop the container before removing or force remove"
                )
            c.manually_stopped = True
        if c.running:
            c.removing = True
            c.manually_stopped = True
            try:
                if c.state.paused:
                    self.runtime.resume(c.id)
                self.runtime.kill(c.id, signal_mod.SIGKILL, True, c.state.pid)
            except Exception as exc:
                log.debug("kill before rm %s: %s", c.id[:12], exc)
            self.exits.wait_exit(c, 10)
            if c.running:
                # The runtime lost it; finish by hand so the container can go.
                self.exits.finish(c, 137, time.time(), False)
        c.removing = True
        with c.lock:
            try:
                self.runtime.delete(c.id, force=True)
            except Exception:
                pass
            networks = self.networks
            try:
                networks.on_remove(c.id)
            except Exception:
                log.exception("network cleanup %s", c.id[:12])
            try:
                RootFS(self.dir(c.id)).unmount()
            except OSError:
                log.exception("unmount %s", c.id[:12])
            vols = self.volumes
            from .mounts import anonymous_volumes

            vols.release(c.id)
            if volumes:
                for vname in anonymous_volumes(c.record.mounts):
                    try:
                        vols.remove(vname)
                    except DockyardError as exc:
                        log.info("keeping volume %s: %s", vname, exc.message)
            self.store.delete(c)
        self._event(c, "destroy")
        self.exits.waiters.notify(c, "removed")
        # The directory goes after the waiters heard (`run --rm` waits for "removed"): it no
        # longer names a container, and one a crash leaves behind goes at recovery.
        shutil.rmtree(self.dir(c.id), ignore_errors=True)
        # An image removed with rmi -f while this container used it can go now.
        images = self.images
        try:
            images.resolve(c.record.image_id)
        except NotFound:
            try:
                images.sweep()
            except Exception:
                log.exception("image sweep after removing %s", c.id[:12])

    def rename(self, ref: str, new_name: str) -> None:
        c = self.get(ref)
        try:
            old = self.store.rename(c, new_name)
        except Conflict as e:
            if not e.message.startswith("Conflict. The container name"):
                raise
            raise Conflict(f"Error when allocating new name: {e.message}") from None
        self._event(c, "rename", {"oldName": "/" + old})

    def prune(self, filters: dict[str, list[str]]) -> dict[str, Any]:
        from .filters import container_matches

        deleted, space = [], 0
        # newest first, the order dockerd lists what it deleted
        for c in sorted(self.all(), key=lambda c: c.record.created, reverse=True):
            if c.running or c.state.paused or c.state.restarting:
                continue
            if not container_matches(c, filters, prune=True):
                continue
            space += dir_size(self.dir(c.id) / "upper")
            try:
                self.remove(c.id, force=False)
                deleted.append(c.id)
            except DockyardError:
                continue
        return {"ContainersDeleted": deleted or None, "SpaceReclaimed": space}

    def update(self, ref: str, body: dict[str, Any]) -> dict[str, Any]:
        c = self.get(ref)
        if not isinstance(body, dict):
            raise InvalidParameter("invalid update body")
        hc = c.host_config.to_dict()
        policy = body.pop("RestartPolicy", None)
        for key, value in body.items():
            if (
                key in model.DEFAULT_HOST_CONFIG
                and value not in (None, 0, "")
                or key == "PidsLimit"
            ):
                hc[key] = value
        if policy is not None:
            hc["RestartPolicy"] = policy
        hc = model.normalize_host_config(hc, self.config.default_runtime)
        if c.running:
            self.runtime.update(c.id, hc)
        c.record.host_config = HostConfig.from_dict(hc)
        self.store.save(c)
        self._event(c, "update")
        return {"Warnings": []}

    def commit(
        self,
        ref: str,
        repo: str | None,
        tag: str | None,
        comment: str = "",
        author: str = "",
        changes: list[str] | None = None,
        pause: bool = True,
        config: dict[str, Any] | None = None,
    ) -> str:
        """docker commit: the container's changes become a new image on top of its own."""
        c = self.get(ref)
        images = self.images
        repo_tag = None
        if repo:
            repo_tag = f"{repo}:{tag}" if tag else repo
        paused_here = False
        if pause and c.running and not c.state.paused:
            self.runtime.pause(c.id)
            paused_here = True
        try:
            merged = c.config.to_dict()
            if config:
                merged.update({k: v for k, v in config.items() if v not in (None, "", [], {})})
            image_id: str = images.commit(
                self.dir(c.id) / "upper",
                c.record.image_id,
                merged,
                author=author,
                comment=comment,
                changes=changes or [],
                container_id=c.id,
                repo_tag=repo_tag,
                container_config=c.config.to_dict(),
                exclude=runtime_mount_points(c),
            )
        finally:
            if paused_here:
                self.runtime.resume(c.id)
        self._event(c, "commit", {"comment": comment} if comment else None)
        return image_id

    # ------------------------------------------------------------------ networks
    def connect_network(self, network: str, opts: ConnectOptions) -> None:
        """docker network connect: under the container's lock, through the network service."""
        netconnect.connect(self.store, self.networks, self.publish, network, opts)

    def disconnect_network(self, network: str, opts: DisconnectOptions) -> None:
        netconnect.disconnect(self.store, self.networks, self.publish, network, opts)

    # ------------------------------------------------------------------ daemon start / stop
    def read_ahead(self) -> None:
        """Before the other services recover: start reading what the host runs."""
        self.reconciler.read_ahead()

    def recover(self) -> None:
        """Reconcile every record with what the host still runs (live restore: adopt what
        runs, release what a crash left half-done); health checks resume for the
        containers that kept running."""
        from .mounts import restore_mounts

        for c in self.all():
            if c.running:  # count the volume mounts it holds again, before any teardown
                restore_mounts(c.record.mounts, self.volumes)
        for f in self.reconciler.findings(at_start=True):
            log.warning("recovery: %s: %s", f.resource, f.problem)
            if f.fix is not None:
                f.fix()
        changed = []
        for c in self.all():
            with c.lock:
                if c.running:
                    self.runtime.sweep_execs(c.id)
                if c.running and not c.state.paused:
                    health = copy.deepcopy(c.state.health)
                    self.health.started(c)
                    if c.state.health != health:  # only a health check changes the record
                        changed.append(c)
        self.store.save_many(changed)

    def check(self, repair: bool) -> list[dict[str, Any]]:
        """`system check`: containers against the host (reconcile's findings); fixed on
        `repair`."""
        out = []
        for f in self.reconciler.findings(at_start=False):
            done = repair and f.fix is not None
            if done:
                f.fix()  # type: ignore[misc]
            out.append({"Resource": f.resource, "Problem": f.problem, "Repaired": done})
        return out

    async def start_background(self) -> None:
        await self.exits.start_background()

    async def wait(self, ref: str, condition: str = "not-running") -> dict[str, Any]:
        return await self.exits.waiters.wait(ref, condition)

    def shutdown(self) -> None:
        self.health.shutdown()
        self.exits.shutdown()

    # ------------------------------------------------------------------ misc
    def attached(self, c: Container) -> None:
        """A client attached to `c` (dockerd's `attach` event)."""
        self._event(c, "attach")

    def _announce(self, c: Container, action: str) -> None:
        netconnect.announce(self.networks, self.publish, c, action)

    def _event(self, c: Container, action: str, extra: dict[str, str] | None = None) -> None:
        attrs = {"image": c.record.image_ref or c.config.image, "name": c.name}
        attrs.update(c.config.labels or {})
        if extra:
            attrs.update(extra)
        self.publish("container", action, c.id, attrs)

    def df(self) -> list[dict[str, Any]]:
        from .views import link_names, summary

        cs = self.all()
        links = link_names(cs)
        return [summary(self.store, self.images, c, size=True, links=links) for c in cs]
