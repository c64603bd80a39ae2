"""top, stats and changes (diff): views of a container computed from the host side."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from ..common.timefmt import rfc3339
from ..errors import Conflict, InvalidParameter
from .rootfs import runtime_mount_points

if TYPE_CHECKING:
    from .record import Container
    from .service import ContainerService


def top(svc: ContainerService, c: Container, ps_args: str) -> dict[str, Any]:
    if not c.running:
        raise Conflict(f"Container {c.id} is not running")
    pids = set(svc.runtime.pids(c.id))
    try:
        out = subprocess.run(
            ["ps", *ps_args.split()], capture_output=True, text=True, check=True
        ).stdout
    except subprocess.CalledProcessError as exc:
        # dockerd passes on the first line of what ps said
        first = exc.stderr.strip().splitlines()[0] if exc.stderr.strip() else str(exc)
        raise InvalidParameter(f"ps: {first}") from None
    lines = out.splitlines()
    if not lines:
        return {"Titles": [], "Processes": []}
    titles = lines[0].split()
    if "PID" not in titles:
        raise InvalidParameter("Couldn't find PID field in ps output")
    pid_idx = titles.index("PID")
    procs = []
    for line in lines[1:]:
        fields = line.split(None, len(titles) - 1)
        if len(fields) > pid_idx and fields[pid_idx].isdigit() and int(fields[pid_idx]) in pids:
            procs.append(fields)
    return {"Titles": titles, "Processes": procs}


def changes(svc: ContainerService, c: Container) -> list[dict[str, Any]] | None:
    """Kind 0 = modified, 1 = added, 2 = deleted, from the overlay upper dir."""
    from dockyard.fs.changes import changes_from_upper

    lowers = svc.images.lowerdirs(c.record.image_id)
    found = changes_from_upper(
        svc.dir(c.id) / "upper", list(lowers), exclude=runtime_mount_points(c)
    )
    return [ch.to_json() for ch in found] or None


async def stats_stream(
    svc: ContainerService, c: Container, stream: bool, one_shot: bool
) -> AsyncIterator[bytes]:
    prev: dict[str, Any] | None = None
    if not stream and not one_shot and c.running:
        # Docker's non-stream answer carries a precpu sample taken a second earlier.
        prev = await asyncio.to_thread(_sample, svc, c)
        await asyncio.sleep(1)
    while True:
        cur = await asyncio.to_thread(_sample, svc, c)
        doc = dict(cur)
        doc["precpu_stats"] = (prev or {}).get(
            "cpu_stats", {"cpu_usage": {"total_usage": 0}, "throttling_data": {}}
        )
        doc["preread"] = (prev or {}).get("read", "0001-01-01T00:00:00Z")
        yield json.dumps(doc).encode() + b"\n"
        if not stream or not c.running:
            return
        prev = cur
        await asyncio.sleep(1)


def _sample(svc: ContainerService, c: Container) -> dict[str, Any]:

    base: dict[str, Any] = {
        "read": rfc3339(pad=True),
        "name": "/" + c.name,
        "id": c.id,
        "num_procs": 0,
        "pids_stats": {},
        "blkio_stats": {},
        "cpu_stats": {"cpu_usage": {"total_usage": 0}, "throttling_data": {}},
        "memory_stats": {},
        "storage_stats": {},
    }
    if not c.running:
        return base
    try:
        base.update(svc.runtime.stats(c.id))
    except Exception:
        pass
    networks = svc.networks
    if networks is not None and hasattr(networks, "interface_stats"):
        try:
            base["networks"] = networks.interface_stats(c.id)
        except Exception:
            pass
    return base
