"""Container cgroups on v1 (per-controller hierarchies) and v2 (unified) hosts.

Containers live at `<cgroup_parent>/<cid>` (runc's cgroupfs driver, absolute path under
each hierarchy's mount point). `read_stats()` returns the shape of Docker's
GET /containers/{id}/stats (without name/id/networks/precpu_stats, which the caller adds).
"""

from __future__ import annotations

import json
import os
import subprocess
from functools import cache
from pathlib import Path
from typing import Protocol

from ..common.timefmt import rfc3339
from .errors import ContainerNotRunning, RuntimeCommandError
from .resources import build_resources

CGROUP_ROOT = Path("/sys/fs/cgroup")
DEFAULT_PARENT = "/dockyard"
_NS_PER_TICK = 1_000_000_000 // os.sysconf("SC_CLK_TCK")
_UNLIMITED_V1 = 1 << 62  # v1 reports "no limit" as a huge page-rounded number


@cache
def is_v2() -> bool:
    """True on a pure cgroup v2 host (hybrid v1 hosts count as v1: runc uses v1 there)."""
    return (CGROUP_ROOT / "cgroup.controllers").exists()


def cgroup_path(cid: str, controller: str = "", cgroup_parent: str = DEFAULT_PARENT) -> Path:
    """Directory of the container's cgroup for `controller` (ignored on v2)."""
    rel = f"{cgroup_parent.strip('/')}/{cid}".strip("/")
    if is_v2():
        return CGROUP_ROOT / rel
    return CGROUP_ROOT / controller / rel


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def _int(path: Path) -> int | None:
    text = _read(path)
    if text is None:
        return None
    text = text.strip()
    if text == "max":
        return None
    try:
        return int(text)
    except ValueError:
        return None


def _kv(path: Path) -> dict[str, int]:
    out = {}
    for line in (_read(path) or "").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            out[parts[0]] = int(parts[1])
    return out


def _host_memory() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def system_cpu_usage() -> int:
    """Host CPU time in nanoseconds, as Docker's system_cpu_usage (from /proc/stat)."""
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:8]
    return sum(int(x) for x in fields) * _NS_PER_TICK


def _blkio_v1(base: Path) -> dict:
    def entries(name: str) -> list[dict]:
        out = []
        for line in (_read(base / name) or "").splitlines():
            parts = line.split()
            if len(parts) == 3 and ":" in parts[0]:
                major, minor = parts[0].split(":")
                out.append(
                    {
                        "major": int(major),
                        "minor": int(minor),
                        "op": parts[1],
                        "value": int(parts[2]),
                    }
                )
        return out

    return {
        "io_service_bytes_recursive": entries("blkio.throttle.io_service_bytes_recursive"),
        "io_serviced_recursive": entries("blkio.throttle.io_serviced_recursive"),
        "io_queue_recursive": None,
        "io_service_time_recursive": None,
        "io_wait_time_recursive": None,
        "io_merged_recursive": None,
        "io_time_recursive": None,
        "sectors_recursive": None,
    }


def _blkio_v2(base: Path) -> dict:
    bytes_, ios = [], []
    for line in (_read(base / "io.stat") or "").splitlines():
        parts = line.split()
        if not parts or ":" not in parts[0]:
            continue
        major, minor = (int(x) for x in parts[0].split(":"))
        kv = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        for op, b, n in (("read", "rbytes", "rios"), ("write", "wbytes", "wios")):
            bytes_.append({"major": major, "minor": minor, "op": op, "value": int(kv.get(b, 0))})
            ios.append({"major": major, "minor": minor, "op": op, "value": int(kv.get(n, 0))})
    return {"io_service_bytes_recursive": bytes_, "io_serviced_recursive": ios}


def _stats_v1(cid: str, parent: str) -> dict:
    mem = cgroup_path(cid, "memory", parent)
    if not mem.exists():
        raise ContainerNotRunning(f"no cgroup for container {cid}")
    limit = _int(mem / "memory.limit_in_bytes")
    if limit is None or limit >= _UNLIMITED_V1:
        limit = _host_memory()
    acct = cgroup_path(cid, "cpuacct", parent)
    percpu = [int(x) for x in (_read(acct / "cpuacct.usage_percpu") or "").split()]
    cpu_stat = _kv(cgroup_path(cid, "cpu", parent) / "cpu.stat")
    pids = cgroup_path(cid, "pids", parent)
    return {
        "memory_stats": {
            "usage": _int(mem / "memory.usage_in_bytes") or 0,
            "max_usage": _int(mem / "memory.max_usage_in_bytes") or 0,
            "failcnt": _int(mem / "memory.failcnt") or 0,
            "limit": limit,
            "stats": _kv(mem / "memory.stat"),
        },
        "cpu_stats": {
            "cpu_usage": {
                "total_usage": _int(acct / "cpuacct.usage") or 0,
                "percpu_usage": percpu,
                "usage_in_kernelmode": (_int(acct / "cpuacct.usage_sys") or 0),
                "usage_in_usermode": (_int(acct / "cpuacct.usage_user") or 0),
            },
            "throttling_data": {
                "periods": cpu_stat.get("nr_periods", 0),
                "throttled_periods": cpu_stat.get("nr_throttled", 0),
                "throttled_time": cpu_stat.get("throttled_time", 0),
            },
        },
        "pids_stats": _pids(pids / "pids.current", pids / "pids.max"),
        "blkio_stats": _blkio_v1(cgroup_path(cid, "blkio", parent)),
    }


def _pids(current: Path, maximum: Path) -> dict:
    out: dict = {"current": _int(current) or 0}
    if (limit := _int(maximum)) is not None:
        out["limit"] = limit
    return out


def _stats_v2(cid: str, parent: str) -> dict:
    base = cgroup_path(cid, "", parent)
    if not base.exists():
        raise ContainerNotRunning(f"no cgroup for container {cid}")
    cpu = _kv(base / "cpu.stat")
    limit = _int(base / "memory.max") or _host_memory()
    return {
        "memory_stats": {
            "usage": _int(base / "memory.current") or 0,
            "limit": limit,
            "stats": _kv(base / "memory.stat"),
        },
        "cpu_stats": {
            "cpu_usage": {
                "total_usage": cpu.get("usage_usec", 0) * 1000,
                "usage_in_kernelmode": cpu.get("system_usec", 0) * 1000,
                "usage_in_usermode": cpu.get("user_usec", 0) * 1000,
            },
            "throttling_data": {
                "periods": cpu.get("nr_periods", 0),
                "throttled_periods": cpu.get("nr_throttled", 0),
                "throttled_time": cpu.get("throttled_usec", 0) * 1000,
            },
        },
        "pids_stats": _pids(base / "pids.current", base / "pids.max"),
        "blkio_stats": _blkio_v2(base),
    }


def read_stats(cid: str, cgroup_parent: str = DEFAULT_PARENT) -> dict:
    """One sample of the container's resource usage, in Docker's stats JSON shape."""
    stats = _stats_v2(cid, cgroup_parent) if is_v2() else _stats_v1(cid, cgroup_parent)
    stats["cpu_stats"]["system_cpu_usage"] = system_cpu_usage()
    stats["cpu_stats"]["online_cpus"] = len(os.sched_getaffinity(0))
    stats["read"] = rfc3339()
    stats["num_procs"] = 0
    stats["storage_stats"] = {}
    return stats


def oom_killed(cid: str, cgroup_parent: str = DEFAULT_PARENT) -> bool:
    """Did the kernel OOM-kill a process of this (still existing) cgroup?"""
    if is_v2():
        return _kv(cgroup_path(cid, "", cgroup_parent) / "memory.events").get("oom_kill", 0) > 0
    ctl = _kv(cgroup_path(cid, "memory", cgroup_parent) / "memory.oom_control")
    return ctl.get("oom_kill", 0) > 0


class Runc(Protocol):
    """What update_resources needs of the runtime (monitor.Runtime is one)."""

    def runc_args(self, *args: str) -> list[str]: ...


def update_resources(runtime: Runc, cid: str, resources: dict) -> None:
    """Apply resources to a running container with `runc update`.

    `resources` is either HostConfig-style (Memory, NanoCpus, CpuShares, PidsLimit, ...) or
    an OCI `linux.resources` object (memory/cpu/pids/blockIO keys) already built."""
    oci_keys = {"memory", "cpu", "pids", "blockIO", "devices", "hugepageLimits", "unified"}
    oci = dict(resources) if set(resources) <= oci_keys else build_resources(resources)
    oci.pop("devices", None)  # device rules cannot change on a running container
    if not oci:
        return
    res = subprocess.run(
        runtime.runc_args("update", "--resources", "-", cid),
        input=json.dumps(oci).encode(),
        capture_output=True,
        close_fds=True,
        timeout=60,
    )
    if res.returncode != 0:
        from .conmon import runtime_error_text

        text = runtime_error_text(res.stderr.decode("utf-8", "replace"))
        if "does not exist" in text or "not running" in text:
            raise ContainerNotRunning(f"container {cid} is not running")
        raise RuntimeCommandError(f"Cannot update container {cid}: {text}")
