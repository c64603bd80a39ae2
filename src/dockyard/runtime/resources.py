"""HostConfig resource fields to OCI `linux.resources` (memory, cpu, pids, blkio)."""

from __future__ import annotations

import os

from .errors import SpecError

CPU_PERIOD = 100_000  # Docker's CFS period for --cpus (microseconds)


def swap_limit_supported() -> bool:
    """Can the memory controller limit swap? (v1 needs swap accounting, v2 memory.swap.max)"""
    return os.path.exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes") or (
        os.path.exists("/sys/fs/cgroup/cgroup.controllers")
        and os.path.exists("/sys/fs/cgroup/memory.swap.max")
    )


def _int(hc: dict, key: str) -> int:
    v = hc.get(key)
    if v in (None, ""):
        return 0
    try:
        return int(v)
    except (TypeError, ValueError):
        raise SpecError(f"invalid {key}: {v!r}") from None


def memory_resources(hc: dict) -> dict:
    mem, swap = _int(hc, "Memory"), _int(hc, "MemorySwap")
    out: dict = {}
    if mem:
        if mem < 6 * 1024 * 1024:
            raise SpecError("Minimum memory limit allowed is 6MB")
        out["limit"] = mem
        if swap_limit_supported():
            if swap == 0:
                out["swap"] = 2 * mem  # Docker: swap defaults to twice the memory
            elif swap > 0:
                if swap < mem:
                    raise SpecError(
                        "Minimum memoryswap limit should be larger than memory limit, see usage"
                    )
                out["swap"] = swap
            else:
                out["swap"] = -1
    elif swap > 0:
        raise SpecError(
            "You should always set the Memory limit when using Memoryswap limit, see usage"
        )
    if _int(hc, "MemoryReservation"):
        out["reservation"] = _int(hc, "MemoryReservation")
    swappiness = hc.get("MemorySwappiness")
    if swappiness is not None and int(swappiness) >= 0:
        if int(swappiness) > 100:
            raise SpecError(f"Invalid value: {swappiness}, valid memory swappiness range is 0-100")
        out["swappiness"] = int(swappiness)
    if hc.get("OomKillDisable"):
        out["disableOOMKiller"] = True
    return out


def cpu_resources(hc: dict) -> dict:
    nano, quota, period = _int(hc, "NanoCpus"), _int(hc, "CpuQuota"), _int(hc, "CpuPeriod")
    out: dict = {}
    if nano and (quota or period):
        raise SpecError(
            "Conflicting options: Nano CPUs and CPU Period cannot both be set"
            if period
            else "Conflicting options: Nano CPUs and CPU Quota cannot both be set"
        )
    if nano:
        if nano < 0 or nano > os.cpu_count() * 1_000_000_000:  # type: ignore[operator]
            raise SpecError(
                f"Range of CPUs is from 0.01 to {os.cpu_count()}.00, as there are only "
                f"{os.cpu_count()} CPUs available"
            )
        out["period"] = CPU_PERIOD
        out["quota"] = nano * CPU_PERIOD // 1_000_000_000
    if quota:
        out["quota"] = quota
    if period:
        out["period"] = period
    if _int(hc, "CpuShares"):
        out["shares"] = _int(hc, "CpuShares")
    if hc.get("CpusetCpus"):
        out["cpus"] = hc["CpusetCpus"]
    if hc.get("CpusetMems"):
        out["mems"] = hc["CpusetMems"]
    return out


def build_resources(hc: dict) -> dict:
    """`linux.resources` without the device rules (the spec builder adds those)."""
    res: dict = {}
    if mem := memory_resources(hc):
        res["memory"] = mem
    if cpu := cpu_resources(hc):
        res["cpu"] = cpu
    pids = hc.get("PidsLimit")
    if pids not in (None, 0):
        res["pids"] = {"limit": int(pids) if int(pids) > 0 else -1}
    if _int(hc, "BlkioWeight"):
        res["blockIO"] = {"weight": _int(hc, "BlkioWeight")}
    return res
