"""Container lifecycle: create, start, stop, kill, remove, restart policies, live restore.

State lives in the `containers` table (one JSON document per container, Docker's inspect
shape) and in <data_root>/containers/<id>/ (rootfs layers, bundle, logs). Running processes
live under conmon, outside the daemon; the daemon learns of exits from conmon's exit files.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal as signal_mod
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..common.timefmt import ZERO_TIME, rfc3339
from ..errors import Conflict, DockyardError, InvalidParameter, NotFound
from . import model
from .config import ContainerConfig, Publish
from .rootfs import RootFS

if TYPE_CHECKING:
    from ..images.service import ImageService
    from ..network.service import NetworkService
    from ..state.db import Database
    from ..volumes.service import VolumeService

log = logging.getLogger(__name__)

DEFAULT_STOP_TIMEOUT = 10


class StartError(DockyardError):
    """The runtime refused to start the process; `exit_code` is Docker's 126/127/128."""

    status = 400

    def __init__(self, message: str, exit_code: int = 128) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def classify_start_error(text: str) -> tuple[int, int]:
    """(HTTP status, exit code) for a runtime error, as Docker reports them."""
    low = text.lower()
    if "executable file not found" in low or "no such file or directory" in low:
        return 400, 127
    if "permission denied" in low or "is a directory" in low:
        return 400, 126
    return 500, 128


class Container:
    """In-memory view of one container; `doc` is its persisted inspect document."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.lock = threading.RLock()
        self.exit_event = threading.Event()
        self.manually_stopped = bool(doc.get("_ManuallyStopped"))
        self.removing = False
        # Bumped when a start fails, so attach sessions waiting for the start give up.
        self.failed_starts = 0
        # Attach sessions still streaming output: --rm waits for them to drain the log.
        self.attachers = 0
        self.attach_done = threading.Condition()

    @property
    def id(self) -> str:
        return str(self.doc["Id"])

    @property
    def name(self) -> str:
        return str(self.doc["Name"]).lstrip("/")

    @property
    def state(self) -> dict[str, Any]:
        return self.doc["State"]  # type: ignore[no-any-return]

    @property
    def running(self) -> bool:
        return bool(self.state.get("Running"))


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
        self.db = db
        self.images = images
        self.volumes = volumes
        self.networks = networks
        self.publish = publish
        self.root = config.data_root / "containers"
        self.root.mkdir(parents=True, exist_ok=True)
        self.exec_root = config.exec_root
        self._lock = threading.RLock()
        self._by_id: dict[str, Container] = {}
        self._names: dict[str, str] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: dict[str, list[tuple[str, asyncio.Future[dict[str, Any]]]]] = {}
        self._stop = threading.Event()
        self._watcher: Any = None
        from .runtime_adapter import RuntimeAdapter

        self.runtime = RuntimeAdapter(
            config.exec_root, config.runtime_paths, config.default_runtime
        )
        from .execs import ExecManager

        self.execs = ExecManager(self)
        self._load()

    # ------------------------------------------------------------------ persistence
    def _load(self) -> None:
        for _id, doc in self.db.query("SELECT id, doc FROM containers"):
            c = Container(json.loads(doc))
            self._by_id[c.id] = c
            self._names[c.name] = c.id

    def _save(self, c: Container) -> None:
        c.doc["_ManuallyStopped"] = c.manually_stopped
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT OR REPLACE INTO containers(id, name, doc) VALUES (?, ?, ?)",
                (c.id, c.name, json.dumps(c.doc)),
            )

    def _delete_row(self, c: Container) -> None:
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM containers WHERE id=?", (c.id,))

    def dir(self, cid: str) -> Path:
        return self.root / cid

    # ------------------------------------------------------------------ lookup
    def get(self, ref: str) -> Container:
        """By full id, name (with or without /), or unique id prefix — Docker's order."""
        with self._lock:
            if ref in self._by_id:
                return self._by_id[ref]
            name = ref.lstrip("/")
            if name in self._names:
                return self._by_id[self._names[name]]
            if ref:
                matches = [c for cid, c in self._by_id.items() if cid.startswith(ref)]
                if len(matches) == 1:
                    return matches[0]
                if len(matches) > 1:
                    raise InvalidParameter(f"multiple IDs found with provided prefix: {ref}")
        raise NotFound(f"No such container: {ref}")

    def all(self) -> list[Container]:
        with self._lock:
            return list(self._by_id.values())

    def counts(self) -> dict[str, int]:
        cs = self.all()
        running = sum(1 for c in cs if c.running and not c.state.get("Paused"))
        paused = sum(1 for c in cs if c.state.get("Paused"))
        return {
            "total": len(cs),
            "running": running,
            "paused": paused,
            "stopped": len(cs) - running - paused,
        }

    def image_usage(self) -> dict[str, int]:
        usage: dict[str, int] = {}
        for c in self.all():
            usage[c.doc["Image"]] = usage.get(c.doc["Image"], 0) + 1
        return usage

    def running_image_usage(self) -> dict[str, list[str]]:
        usage: dict[str, list[str]] = {}
        for c in self.all():
            if c.running:
                usage.setdefault(c.doc["Image"], []).append(c.id)
        return usage

    def image_users(self) -> dict[str, list[str]]:
        usage: dict[str, list[str]] = {}
        for c in self.all():
            usage.setdefault(c.doc["Image"], []).append(c.id)
        return usage

    # ------------------------------------------------------------------ create
    def create(
        self, name: str | None, body: dict[str, Any], platform: str | None = None
    ) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise InvalidParameter("invalid container config: body must be a JSON object")
        host_config = model.normalize_host_config(
            body.pop("HostConfig", None), self.config.default_runtime
        )
        networking = body.pop("NetworkingConfig", None) or {}
        image_ref = body.get("Image") or ""
        if not image_ref:
            raise InvalidParameter("Config cannot be empty in order to create a container")
        runtime = host_config.get("Runtime") or self.config.default_runtime
        if runtime not in self.config.runtime_paths:
            raise InvalidParameter(f"unknown or invalid runtime name: {runtime}")
        images = self.images
        image = images.resolve(image_ref)
        image_id = image.id if hasattr(image, "id") else image["Id"]
        image_config = images.config(image_id) or {}
        config = model.merge_image_config(body, image_config)
        cmd = model.command_of(config)
        if not cmd:
            raise InvalidParameter("no command specified")
        self._validate_links(host_config)
        network_mode = host_config.get("NetworkMode") or "default"
        networks = self.networks
        networks.validate_mode(network_mode, networking)
        cid = model.new_id()
        with self._lock:
            if name:
                name = model.validate_name(name)
                if name in self._names:
                    raise model.name_conflict(name, self._names[name])
            else:
                name = model.random_name(set(self._names))
            self._names[name] = cid  # reserve now; released if anything below fails
        cdir = self.dir(cid)
        try:
            config.setdefault("Hostname", "")
            if not config.get("Hostname"):
                # On the host's network a container shows the host's name, as in Docker.
                config["Hostname"] = os.uname().nodename if network_mode == "host" else cid[:12]
            config.setdefault("Domainname", "")
            config.setdefault("AttachStdin", False)
            config.setdefault("AttachStdout", False)
            config.setdefault("AttachStderr", False)
            config.setdefault("Tty", False)
            config.setdefault("OpenStdin", False)
            config.setdefault("StdinOnce", False)
            config["Image"] = image_ref
            mount_plan = self._plan_mounts(cid, config, host_config, image_config)
            cdir.mkdir(parents=True)
            RootFS(cdir).prepare()
            doc: dict[str, Any] = {
                "Id": cid,
                "Created": rfc3339(pad=True),
                "Path": cmd[0],
                "Args": cmd[1:],
                "State": model.initial_state(),
                "Image": image_id,
                "ResolvConfPath": str(cdir / "resolv.conf"),
                "HostnamePath": str(cdir / "hostname"),
                "HostsPath": str(cdir / "hosts"),
                "LogPath": str(cdir / "ctr.log"),
                "Name": "/" + name,
                "RestartCount": 0,
                "Driver": "overlay2",
                "Platform": "linux",
                "MountLabel": "",
                "ProcessLabel": "",
                "AppArmorProfile": "",
                "ExecIDs": None,
                "HostConfig": host_config,
                "GraphDriver": {
                    "Name": "overlay2",
                    "Data": {
                        "LowerDir": ":".join(str(p) for p in images.lowerdirs(image_id)),
                        "MergedDir": str(cdir / "merged"),
                        "UpperDir": str(cdir / "upper"),
                        "WorkDir": str(cdir / "work"),
                    },
                },
                "Mounts": [m.mount_point() for m in mount_plan if m.in_inspect],
                "_MountPlan": [m.to_dict() for m in mount_plan],
                "Config": config,
                "NetworkSettings": self._initial_network_settings(network_mode, networking),
                "_ImageRef": image_ref,
                "_Networking": networking,
            }
            c = Container(doc)
            networks.on_create(c.doc)
            self._save(c)
        except BaseException:
            with self._lock:
                self._names.pop(name, None)
            shutil.rmtree(cdir, ignore_errors=True)
            vols = self.volumes
            vols.release(cid)
            raise
        with self._lock:
            self._by_id[cid] = c
        self._event(c, "create")
        warnings: list[str] = []
        return {"Id": cid, "Warnings": warnings}

    def _validate_links(self, host_config: dict[str, Any]) -> None:
        for link in host_config.get("Links") or []:
            target = link.split(":", 1)[0].lstrip("/")
            try:
                self.get(target)
            except NotFound:
                raise InvalidParameter(
                    f"could not get container for {target}: No such container: {target}"
                ) from None

    def _initial_network_settings(self, mode: str, networking: dict[str, Any]) -> dict[str, Any]:
        return {
            "Bridge": "",
            "SandboxID": "",
            "SandboxKey": "",
            "HairpinMode": False,
            "LinkLocalIPv6Address": "",
            "LinkLocalIPv6PrefixLen": 0,
            "Ports": {},
            "SecondaryIPAddresses": None,
            "SecondaryIPv6Addresses": None,
            "EndpointID": "",
            "Gateway": "",
            "GlobalIPv6Address": "",
            "GlobalIPv6PrefixLen": 0,
            "IPAddress": "",
            "IPPrefixLen": 0,
            "IPv6Gateway": "",
            "MacAddress": "",
            "Networks": {},
        }

    def _plan_mounts(
        self,
        cid: str,
        config: dict[str, Any],
        host_config: dict[str, Any],
        image_config: dict[str, Any],
    ) -> list[Any]:
        from .mounts import plan_mounts

        volumes = self.volumes

        def volumes_from(ref: str) -> list[dict[str, Any]]:
            return list(self.get(ref).doc.get("_MountPlan") or [])

        return plan_mounts(
            config,
            host_config,
            image_config.get("Volumes"),
            volumes,
            volumes_from,
            ref=cid,
            daemon_root=str(self.config.data_root),
        )

    def _mount_plan(self, c: Container) -> list[Any]:
        from .mounts import PlannedMount

        return [PlannedMount.from_dict(d) for d in c.doc.get("_MountPlan") or []]

    def volume_users(self) -> dict[str, list[str]]:
        from .mounts import volumes_in_use

        return volumes_in_use(
            (c.id, c.doc.get("_MountPlan") or []) for c in self.all() if not c.removing
        )

    # ------------------------------------------------------------------ start
    def start(self, ref: str) -> None:
        c = self.get(ref)
        with c.lock:
            if c.state.get("Paused"):
                raise Conflict("cannot start a paused container, try unpause instead")
            if c.running:
                raise NotModifiedStart()
            if c.removing:
                raise Conflict(f"container {c.id} is marked for removal and cannot be started")
            c.manually_stopped = False
            try:
                self._start_locked(c)
            except DockyardError:
                if c.doc["HostConfig"].get("AutoRemove"):
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
        hc = c.doc["HostConfig"]
        cfg = c.doc["Config"]
        undo: list[Callable[[], None]] = []
        try:
            self.runtime.cleanup(c.id)
            rootfs.mount(images.lowerdirs(c.doc["Image"]))
            undo.append(rootfs.unmount)
            volumes = self.volumes
            oci_mounts: list[dict[str, Any]] = []
            from .mounts import populate_volumes, setup_mounts, teardown_mounts

            plan = self._mount_plan(c)
            if any(m.copy_data for m in plan):
                populate_volumes(plan, rootfs.merged, volumes)
                c.doc["_MountPlan"] = [m.to_dict() for m in plan]
                self._save(c)
            oci_mounts = setup_mounts(plan, volumes)
            undo.append(lambda: teardown_mounts(plan, volumes))
            netns_path = None
            netns_path = networks.setup(c.doc, cdir)
            undo.append(lambda: networks.teardown(c.doc))
            self._write_etc_files(c, cdir)
            from ..runtime.spec import build_spec

            oci_mounts += self._etc_mounts(c, cdir)
            spec = build_spec(
                config=cfg,
                host_config=hc,
                rootfs=str(rootfs.merged),
                hostname=cfg.get("Hostname") or c.id[:12],
                mounts=oci_mounts,
                netns_path=netns_path,
                container_id=c.id,
                **({"cgroup_parent": hc["CgroupParent"]} if hc.get("CgroupParent") else {}),
            )
            bundle = cdir
            (bundle / "config.json").write_text(json.dumps(spec))
            log_opts = (hc.get("LogConfig") or {}).get("Config") or {}
            pid = self.runtime.start(
                c.id,
                bundle,
                tty=bool(cfg.get("Tty")),
                stdin=bool(cfg.get("OpenStdin")),
                log_path=Path(c.doc["LogPath"]),
                log_opts={**self.config.log_opts, **log_opts},
                runtime_name=hc.get("Runtime") or self.config.default_runtime,
                # Docker closes stdin after the first attach only without a TTY.
                stdin_once=bool(cfg.get("StdinOnce")) and not cfg.get("Tty"),
            )
        except BaseException as exc:
            for fn in reversed(undo):
                try:
                    fn()
                except Exception:
                    log.exception("undo after failed start of %s", c.id[:12])
            message = getattr(exc, "message", None) or str(exc)
            status, exit_code = classify_start_error(message)
            c.state.update(
                {
                    "Status": "created" if c.state["Status"] == "created" else "exited",
                    "Running": False,
                    "Pid": 0,
                    "ExitCode": exit_code,
                    "Error": message,
                }
            )
            c.failed_starts += 1
            self._save(c)
            if isinstance(exc, DockyardError) and exc.status < 500:
                raise
            err = StartError(message, exit_code)
            err.status = status
            raise err from None
        c.exit_event.clear()
        c.state.update(
            {
                "Status": "running",
                "Running": True,
                "Paused": False,
                "Restarting": False,
                "OOMKilled": False,
                "Dead": False,
                "Pid": pid,
                "ExitCode": 0,
                "Error": "",
                "StartedAt": rfc3339(pad=True),
                "FinishedAt": ZERO_TIME,
            }
        )
        self._save(c)
        self._event(c, "start")
        # A quick process may be gone before we marked it running, and the exit watcher
        # ignored its exit file then: look once more now.
        if self.runtime.exit_status(c.id) is not None:
            threading.Thread(target=self._handle_exit, args=(c,), daemon=True).start()

    def _write_etc_files(self, c: Container, cdir: Path) -> None:
        networks = self.networks
        hostname = c.doc["Config"].get("Hostname") or c.id[:12]
        (cdir / "hostname").write_text(hostname + "\n")
        hosts, resolv = networks.etc_files(c.doc)
        (cdir / "hosts").write_text(hosts)
        (cdir / "resolv.conf").write_text(resolv)

    def _etc_mounts(self, c: Container, cdir: Path) -> list[dict[str, Any]]:
        taken = {m.get("Destination") for m in c.doc.get("Mounts") or []}
        out = []
        for name in ("hostname", "hosts", "resolv.conf"):
            dest = f"/etc/{name}"
            if dest in taken:
                continue
            out.append(
                {
                    "destination": dest,
                    "type": "bind",
                    "source": str(cdir / name),
                    "options": ["rbind", "rprivate"],
                }
            )
        return out

    # ------------------------------------------------------------------ exits
    def start_watcher(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._watcher = self.runtime.primary.watch_exits(self._on_exit_file)

    async def start_background(self) -> None:
        loop = asyncio.get_running_loop()
        self.start_watcher(loop)
        await asyncio.to_thread(self._restart_on_boot)
        threading.Thread(target=self._rotate_logs_loop, name="log-rotate", daemon=True).start()

    def _rotate_logs_loop(self, interval: float = 0.5) -> None:
        """conmon cannot keep several files itself: rotate for containers that ask to."""
        while not self._stop.wait(interval):
            for c in self.all():
                opts = {
                    **self.config.log_opts,
                    **((c.doc["HostConfig"].get("LogConfig") or {}).get("Config") or {}),
                }
                if c.running and int(opts.get("max-file") or 1) > 1 and opts.get("max-size"):
                    self.runtime.rotate_logs(c.id, opts)

    def _on_exit_file(self, cid: str) -> None:
        c = self._by_id.get(cid)
        if c is None or not (c.running or c.state.get("Restarting")):
            return
        try:
            self._handle_exit(c)
        except Exception:
            log.exception("handling exit of %s", cid[:12])

    def _handle_exit(self, c: Container) -> None:
        with c.lock:
            if not c.running:
                return
            status = self.runtime.exit_status(c.id)
            if status is None:
                return
            code, finished, oom = status
            self._finish(c, code, finished, oom)
        self._after_exit(c)

    def _finish(self, c: Container, code: int, finished: float, oom: bool) -> None:
        networks = self.networks
        try:
            self.runtime.delete(c.id)
        except Exception:
            log.exception("runtime delete %s", c.id[:12])
        try:
            networks.teardown(c.doc)
        except Exception:
            log.exception("network teardown %s", c.id[:12])
        try:
            RootFS(self.dir(c.id)).unmount()
        except OSError:
            log.exception("unmount %s", c.id[:12])
        volumes = self.volumes
        from .mounts import teardown_mounts

        try:
            teardown_mounts(self._mount_plan(c), volumes)
        except Exception:
            log.exception("volume teardown %s", c.id[:12])
        c.state.update(
            {
                "Status": "exited",
                "Running": False,
                "Paused": False,
                "Restarting": False,
                "OOMKilled": oom,
                "Pid": 0,
                "ExitCode": code,
                "FinishedAt": rfc3339(finished, pad=True),
            }
        )
        self._save(c)
        if oom:
            self._event(c, "oom")
        self._event(c, "die", {"exitCode": str(code)})
        c.exit_event.set()
        self._notify(c, "next-exit")
        self._notify(c, "not-running")

    def _after_exit(self, c: Container) -> None:
        hc = c.doc["HostConfig"]
        if hc.get("AutoRemove") and not c.removing:
            threading.Thread(target=self._auto_remove, args=(c,), daemon=True).start()
            return
        if self._should_restart(c):
            delay = min(0.1 * (2 ** min(c.doc.get("RestartCount", 0), 10)), 60.0)
            with c.lock:
                c.state["Restarting"] = True
                c.state["Status"] = "restarting"
                self._save(c)
            threading.Timer(delay, self._restart_after_exit, args=(c,)).start()

    def _auto_remove(self, c: Container, drain_timeout: float = 5.0) -> None:
        # Like Docker, let attached clients read the last output before the log goes.
        with c.attach_done:
            c.attach_done.wait_for(lambda: c.attachers == 0, timeout=drain_timeout)
        try:
            self.remove(c.id, force=True, volumes=True)
        except NotFound:
            pass
        except Exception:
            log.exception("auto-remove %s", c.id[:12])

    def _should_restart(self, c: Container) -> bool:
        if c.manually_stopped or c.removing or self._stop.is_set():
            return False
        policy = c.doc["HostConfig"].get("RestartPolicy") or {}
        name = policy.get("Name") or "no"
        code = c.state.get("ExitCode", 0)
        if name in ("always", "unless-stopped"):
            return True
        if name == "on-failure" and code != 0:
            limit = policy.get("MaximumRetryCount") or 0
            return not limit or c.doc.get("RestartCount", 0) < limit
        return False

    def _restart_after_exit(self, c: Container) -> None:
        with c.lock:
            if c.removing or c.manually_stopped or c.id not in self._by_id:
                c.state["Restarting"] = False
                if c.id in self._by_id:
                    c.state["Status"] = "exited"
                    self._save(c)
                return
            c.doc["RestartCount"] = c.doc.get("RestartCount", 0) + 1
            try:
                self._start_locked(c)
            except Exception as exc:
                log.warning("restart of %s failed: %s", c.id[:12], exc)
                c.state["Restarting"] = False
                c.state["Status"] = "exited"
                self._save(c)

    # ------------------------------------------------------------------ waiting
    def _notify(self, c: Container, condition: str) -> None:
        loop = self._loop
        if loop is None:
            return
        result = {"StatusCode": c.state.get("ExitCode", 0), "Error": None}
        with self._lock:
            waiters = self._waiters.get(c.id, [])
            keep = []
            for cond, fut in waiters:
                if cond == condition or (condition == "removed" and True):
                    loop.call_soon_threadsafe(_resolve, fut, result)
                else:
                    keep.append((cond, fut))
            self._waiters[c.id] = keep
            if condition == "removed":
                self._waiters.pop(c.id, None)

    async def wait(self, ref: str, condition: str = "not-running") -> dict[str, Any]:
        if condition not in ("not-running", "next-exit", "removed", ""):
            raise InvalidParameter(f"invalid condition: {condition}")
        condition = condition or "not-running"
        c = self.get(ref)
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[dict[str, Any]] = loop.create_future()
        with self._lock:
            if condition == "not-running" and not c.running and not c.state.get("Restarting"):
                return {"StatusCode": c.state.get("ExitCode", 0), "Error": None}
            if condition == "removed" and c.id not in self._by_id:
                return {"StatusCode": c.state.get("ExitCode", 0), "Error": None}
            self._waiters.setdefault(c.id, []).append((condition, fut))
        return await fut

    # ------------------------------------------------------------------ stop / kill
    def stop(self, ref: str, timeout: int | None = None, sig: str | None = None) -> bool:
        c = self.get(ref)
        c.manually_stopped = True
        if not c.running:
            if c.state.get("Restarting"):
                c.state["Restarting"] = False
                c.state["Status"] = "exited"
                self._save(c)
                return True
            self._save(c)
            return False
        if timeout is None or timeout < -1:
            timeout = c.doc["Config"].get("StopTimeout")
            if timeout is None:
                timeout = DEFAULT_STOP_TIMEOUT
        stop_signal = sig or c.doc["Config"].get("StopSignal") or "SIGTERM"
        self._save(c)
        if c.state.get("Paused"):
            self.runtime.resume(c.id)
        try:
            self.runtime.kill(c.id, parse_signal(stop_signal))
        except Exception as exc:
            log.debug("stop signal to %s: %s", c.id[:12], exc)
        if timeout == -1 or not c.exit_event.wait(timeout):
            if c.running:
                try:
                    self.runtime.kill(c.id, signal_mod.SIGKILL, all_processes=True)
                except Exception as exc:
                    log.debug("SIGKILL to %s: %s", c.id[:12], exc)
                self._wait_exit(c, 10)
        self._event(c, "stop")
        return True

    def _wait_exit(self, c: Container, timeout: float) -> None:
        # The watcher usually records the exit; do it here too so stop returns exited.
        deadline = time.monotonic() + timeout
        while c.running and time.monotonic() < deadline:
            self._handle_exit(c)
            if c.running:
                time.sleep(0.02)

    def kill(self, ref: str, sig: str | None = "SIGKILL") -> None:
        c = self.get(ref)
        signum = parse_signal(sig or "SIGKILL")
        if not c.running:
            raise Conflict(f"Cannot kill container: {ref}: Container {c.id} is not running")
        if signum == signal_mod.SIGKILL:
            c.manually_stopped = True
            self._save(c)
        self.runtime.kill(c.id, signum)
        self._event(c, "kill", {"signal": str(int(signum))})

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
            if c.state.get("Paused"):
                raise Conflict(f"Container {c.id} is already paused")
            self.runtime.pause(c.id)
            c.state.update({"Paused": True, "Status": "paused"})
            self._save(c)
        self._event(c, "pause")

    def unpause(self, ref: str) -> None:
        c = self.get(ref)
        with c.lock:
            if not c.state.get("Paused"):
                raise Conflict(f"Container {c.id} is not paused")
            self.runtime.resume(c.id)
            c.state.update({"Paused": False, "Status": "running"})
            self._save(c)
        self._event(c, "unpause")

    # ------------------------------------------------------------------ remove
    def remove(
        self, ref: str, force: bool = False, volumes: bool = False, link: bool = False
    ) -> None:
        c = self.get(ref)
        if link:
            raise InvalidParameter("legacy links are not supported for removal")
        if c.running:
            if not force:
                state = "paused" if c.state.get("Paused") else "running"
                raise Conflict(
                    f'cannot remove container "/{c.name}": container is {state}: stop the '
                    "container before removing or force remove"
                )
            c.removing = True
            c.manually_stopped = True
            try:
                if c.state.get("Paused"):
                    self.runtime.resume(c.id)
                self.runtime.kill(c.id, signal_mod.SIGKILL, all_processes=True)
            except Exception as exc:
                log.debug("kill before rm %s: %s", c.id[:12], exc)
            self._wait_exit(c, 10)
            if c.running:
                # The runtime lost it; finish by hand so the container can go.
                self._finish(c, 137, time.time(), False)
        c.removing = True
        with c.lock:
            try:
                self.runtime.delete(c.id, force=True)
            except Exception:
                pass
            networks = self.networks
            try:
                networks.on_remove(c.doc)
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
                for vname in anonymous_volumes(self._mount_plan(c)):
                    try:
                        vols.remove(vname)
                    except DockyardError as exc:
                        log.info("keeping volume %s: %s", vname, exc.message)
            self._delete_row(c)
            with self._lock:
                self._by_id.pop(c.id, None)
                if self._names.get(c.name) == c.id:
                    self._names.pop(c.name, None)
            shutil.rmtree(self.dir(c.id), ignore_errors=True)
        self._event(c, "destroy")
        self._notify(c, "removed")
        # An image removed with rmi -f while this container used it can go now.
        images = self.images
        try:
            images.resolve(c.doc["Image"])
        except NotFound:
            try:
                images.sweep()
            except Exception:
                log.exception("image sweep after removing %s", c.id[:12])

    def rename(self, ref: str, new_name: str) -> None:
        c = self.get(ref)
        new = model.validate_name(new_name)
        with self._lock:
            if new == c.name:
                raise InvalidParameter(
                    "Renaming a container with the same name as its current name"
                )
            if new in self._names:
                raise model.name_conflict(new, self._names[new])
            old = c.name
            self._names.pop(old, None)
            self._names[new] = c.id
            c.doc["Name"] = "/" + new
            self._save(c)
        self._event(c, "rename", {"oldName": "/" + old})

    def prune(self, filters: dict[str, list[str]]) -> dict[str, Any]:
        from .filters import container_matches

        deleted, space = [], 0
        for c in self.all():
            if c.running or c.state.get("Paused") or c.state.get("Restarting"):
                continue
            if not container_matches(c, filters, prune=True):
                continue
            space += _dir_size(self.dir(c.id) / "upper")
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
        hc = dict(c.doc["HostConfig"])
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
        c.doc["HostConfig"] = hc
        self._save(c)
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
        from .inspect_proc import runtime_mount_points

        c = self.get(ref)
        images = self.images
        repo_tag = None
        if repo:
            repo_tag = f"{repo}:{tag}" if tag else repo
        paused_here = False
        if pause and c.running and not c.state.get("Paused"):
            self.runtime.pause(c.id)
            paused_here = True
        try:
            merged = dict(c.doc["Config"])
            if config:
                merged.update({k: v for k, v in config.items() if v not in (None, "", [], {})})
            image_id: str = images.commit(
                self.dir(c.id) / "upper",
                c.doc["Image"],
                merged,
                author=author,
                comment=comment,
                changes=changes or [],
                container_id=c.id,
                repo_tag=repo_tag,
                container_config=c.doc["Config"],
                exclude=runtime_mount_points(c),
            )
        finally:
            if paused_here:
                self.runtime.resume(c.id)
        self._event(c, "commit", {"comment": comment} if comment else None)
        return image_id

    # ------------------------------------------------------------------ boot / recovery
    def recover(self) -> None:
        """Reconcile the DB with what conmon/runc still run (live restore)."""
        for c in self.all():
            if c.running:
                status = self.runtime.exit_status(c.id)
                alive = self.runtime.is_running(c.id)
                if alive:
                    networks = self.networks
                    try:
                        networks.restore(c.doc)
                    except Exception:
                        log.exception("network restore %s", c.id[:12])
                    continue
                code, finished, oom = status if status else (255, time.time(), False)
                self._finish(c, code, finished, oom)
            elif c.state.get("Restarting"):
                c.state["Restarting"] = False
                c.state["Status"] = "exited"
                self._save(c)
        # Leftover directories of containers that never made it into the DB.
        for entry in self.root.iterdir():
            if entry.name not in self._by_id:
                try:
                    RootFS(entry).unmount()
                except OSError:
                    pass
                shutil.rmtree(entry, ignore_errors=True)

    def _restart_on_boot(self) -> None:
        for c in self.all():
            if c.running:
                continue
            policy = (c.doc["HostConfig"].get("RestartPolicy") or {}).get("Name")
            if policy == "always" or (policy == "unless-stopped" and not c.manually_stopped):
                if c.doc.get("_WasRunningAtShutdown", True) or policy == "always":
                    try:
                        with c.lock:
                            self._start_locked(c)
                    except Exception as exc:
                        log.warning("restart on boot of %s failed: %s", c.id[:12], exc)

    def shutdown(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.stop()

    # ------------------------------------------------------------------ misc
    def _event(self, c: Container, action: str, extra: dict[str, str] | None = None) -> None:
        attrs = {
            "image": c.doc.get("_ImageRef") or c.doc["Config"].get("Image", ""),
            "name": c.name,
        }
        attrs.update(c.doc["Config"].get("Labels") or {})
        if extra:
            attrs.update(extra)
        self.publish("container", action, c.id, attrs)

    def df(self) -> list[dict[str, Any]]:
        from .views import link_names, summary

        links = link_names(self)
        return [summary(self, c, size=True, links=links) for c in self.all()]


class NotModifiedStart(DockyardError):
    status = 304


def _resolve(fut: asyncio.Future[dict[str, Any]], result: dict[str, Any]) -> None:
    if not fut.done():
        fut.set_result(result)


def _dir_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


def parse_signal(sig: str | int) -> int:
    if isinstance(sig, int):
        return sig
    s = str(sig).strip().upper()
    if s.isdigit():
        n = int(s)
        if not 0 < n < 65:
            raise InvalidParameter(f"Invalid signal: {sig}")
        return n
    if not s.startswith("SIG"):
        s = "SIG" + s
    try:
        return int(getattr(signal_mod.Signals, s))
    except AttributeError:
        raise InvalidParameter(f"Invalid signal: {sig}") from None
