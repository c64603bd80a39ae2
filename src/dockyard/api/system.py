"""System routes: version, info, events, system df — and an echo hijack for tests."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from .. import API_VERSION, MIN_API_VERSION, __version__
from ..common.timefmt import parse_since_until
from ..daemon.check import check
from ..daemon.events import matches
from ..errors import InvalidParameter
from .http import Hijack, Request, Response, StreamResponse, json_response
from .router import Router

if TYPE_CHECKING:
    from ..daemon.core import Daemon


def _parse_time(value: str | None, name: str) -> float | None:
    """Docker's since/until (unix seconds with optional fraction, RFC 3339, a duration)."""
    try:
        return parse_since_until(value)
    except ValueError:
        raise InvalidParameter(f"invalid value for {name}: {value!r}") from None


def version_doc() -> dict[str, Any]:
    uname = os.uname()
    return {
        "Platform": {"Name": "dockyard"},
        "Components": [
            {
                "Name": "Engine",
                "Version": __version__,
                "Details": {
                    "ApiVersion": API_VERSION,
                    "MinAPIVersion": MIN_API_VERSION,
                    "Os": "linux",
                    "Arch": "amd64" if uname.machine == "x86_64" else uname.machine,
                    "KernelVersion": uname.release,
                    "GoVersion": f"python{platform.python_version()}",
                    "GitCommit": "",
                    "BuildTime": _build_time(),
                    "Experimental": "false",
                },
            }
        ],
        "Version": __version__,
        "ApiVersion": API_VERSION,
        "MinAPIVersion": MIN_API_VERSION,
        "GitCommit": "",
        "GoVersion": f"python{platform.python_version()}",
        "Os": "linux",
        "Arch": "amd64" if uname.machine == "x86_64" else uname.machine,
        "KernelVersion": uname.release,
        "BuildTime": _build_time(),
    }


def _build_time() -> str:
    """When this dockyard was installed (its package's time), in dockerd's format."""
    stamp = os.stat(__file__).st_mtime
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000000+00:00", time.gmtime(stamp))


def _os_name() -> str:
    try:
        for line in open("/etc/os-release"):
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "Linux"


def _mem_total() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def security_info(seccomp_profile: str) -> dict[str, Any]:
    """SecurityOptions and Warnings as dockerd 23+ shows them: the daemon's seccomp-profile
    as given ("builtin", "unconfined" or the file's path), with a warning unless builtin."""
    warnings = ["WARNING: daemon is not using the default seccomp profile"]
    return {
        "SecurityOptions": [f"name=seccomp,profile={seccomp_profile}"],
        "Warnings": None if seccomp_profile == "builtin" else warnings,  # null, as Docker's
    }


def info_doc(daemon: Daemon) -> dict[str, Any]:
    cfg = daemon.config
    svc = daemon.services
    counts = svc.containers.counts()
    images = svc.images.count()
    uname = os.uname()
    mirrors = list(cfg.registry_mirrors)
    return {
        "ID": daemon.id,
        "Containers": counts.get("total", 0),
        "ContainersRunning": counts.get("running", 0),
        "ContainersPaused": counts.get("paused", 0),
        "ContainersStopped": counts.get("stopped", 0),
        "Images": images,
        "Driver": "overlay2",
        "DriverStatus": [
            ["Backing Filesystem", "extfs"],
            ["Supports d_type", "true"],
            ["Native Overlay Diff", "true"],
            ["userxattr", "false"],
        ],
        "Plugins": {
            "Volume": ["local"],
            "Network": ["bridge", "host", "null"],
            "Authorization": None,
            "Log": ["json-file", "local", "k8s-file"],
        },
        "MemoryLimit": True,
        "SwapLimit": os.path.exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"),
        "CpuCfsPeriod": True,
        "CpuCfsQuota": True,
        "CPUShares": True,
        "CPUSet": True,
        "PidsLimit": True,
        "IPv4Forwarding": True,
        "BridgeNfIptables": False,
        "BridgeNfIp6tables": False,
        "Debug": cfg.debug,
        "NFd": len(os.listdir("/proc/self/fd")),
        "OomKillDisable": False,
        "NGoroutines": 0,
        "SystemTime": time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime()),
        "LoggingDriver": cfg.log_driver,
        "CgroupDriver": "cgroupfs",
        "CgroupVersion": "2" if os.path.exists("/sys/fs/cgroup/cgroup.controllers") else "1",
        "NEventsListener": 0,
        "KernelVersion": uname.release,
        "OperatingSystem": _os_name(),
        "OSVersion": "",
        "OSType": "linux",
        "Architecture": uname.machine,
        "IndexServerAddress": "https://index.docker.io/v1/",
        "RegistryConfig": {
            "AllowNondistributableArtifactsCIDRs": [],
            "AllowNondistributableArtifactsHostnames": [],
            "InsecureRegistryCIDRs": ["127.0.0.0/8"],
            "IndexConfigs": {
                "docker.io": {
                    "Name": "docker.io",
                    "Mirrors": mirrors,
                    "Secure": True,
                    "Official": True,
                }
            },
            "Mirrors": mirrors,
        },
        "NCPU": os.cpu_count() or 1,
        "MemTotal": _mem_total(),
        "GenericResources": None,
        "DockerRootDir": str(cfg.data_root),
        "HttpProxy": "",
        "HttpsProxy": "",
        "NoProxy": "",
        "Name": uname.nodename,
        "Labels": [],
        "ExperimentalBuild": False,
        "ServerVersion": __version__,
        "Runtimes": {name: {"path": path} for name, path in cfg.runtime_paths.items()},
        "DefaultRuntime": cfg.default_runtime,
        "Swarm": {
            "NodeID": "",
            "NodeAddr": "",
            "LocalNodeState": "inactive",
            "ControlAvailable": False,
            "Error": "",
            "RemoteManagers": None,
        },
        "LiveRestoreEnabled": cfg.live_restore,
        "Isolation": "",
        "InitBinary": "docker-init",
        "ContainerdCommit": {"ID": ""},
        "RuncCommit": {"ID": ""},
        "InitCommit": {"ID": ""},
        **security_info(cfg.seccomp_profile),
        **_configured_pools(cfg),
    }


def _configured_pools(cfg: Any) -> dict[str, Any]:
    """DefaultAddressPools, which dockerd shows only when they were configured."""
    from ..daemon.config import DaemonConfig

    if cfg.default_address_pools == DaemonConfig().default_address_pools:
        return {}
    return {"DefaultAddressPools": [{"Base": p["base"], "Size": p["size"]} for p in cfg.default_address_pools]}


def register(router: Router, daemon: Daemon) -> None:
    @router.route("GET", "/version")
    async def version(req: Request) -> Response:
        return json_response(version_doc())

    @router.route("GET", "/info")
    async def info(req: Request) -> Response:
        return json_response(await asyncio.to_thread(info_doc, daemon))

    @router.route("GET", "/system/df")
    async def system_df(req: Request) -> Response:
        from .build import cache_mounts as build_cache_mounts

        svc = daemon.services

        def collect() -> dict[str, Any]:
            return {
                "LayersSize": svc.images.layers_size(),
                "Images": svc.images.df(),
                "Containers": svc.containers.df(),
                "Volumes": svc.volumes.df(),
                "BuildCache": build_cache_mounts(daemon).usage(),
            }

        return json_response(await asyncio.to_thread(collect))

    @router.route("GET", "/events")
    async def events(req: Request) -> StreamResponse:
        since = _parse_time(req.q("since"), "since")
        until = _parse_time(req.q("until"), "until")
        filters = req.q_filters()
        return StreamResponse(_event_stream(daemon, since, until, filters))

    @router.route("POST", "/_dockyard/system/check")
    async def system_check(req: Request) -> Response:
        # dockyard's own (Docker has no such route): the store and the host state this
        # daemon owns, checked (and repaired).
        repair = req.q_bool("repair")
        problems = await asyncio.to_thread(check, daemon.services, repair)
        return json_response({"Problems": problems})

    @router.route("POST", "/_dockyard/echo")
    async def echo(req: Request) -> Hijack:
        # Proves the raw hijack: everything the client sends comes straight back.
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
            writer.close()

        return Hijack(handler, content_type="application/vnd.docker.raw-stream")


async def _event_stream(
    daemon: Daemon, since: float | None, until: float | None, filters: dict[str, list[str]]
) -> AsyncIterator[bytes]:
    past, queue = daemon.events.subscribe()
    try:
        now = time.time()
        if since is not None:
            for event in past:
                ts = event["timeNano"] / 1e9
                if ts < since or (until is not None and ts > until):
                    continue
                if matches(event, filters):
                    yield json.dumps(event).encode() + b"\n"
        if until is not None and until <= now:
            return
        while True:
            timeout = None if until is None else max(0.0, until - time.time())
            try:
                event = await asyncio.wait_for(queue.get(), timeout)
            except TimeoutError:
                return
            if until is not None and event["timeNano"] / 1e9 > until:
                return
            if matches(event, filters):
                yield json.dumps(event).encode() + b"\n"
    finally:
        daemon.events.unsubscribe(queue)
