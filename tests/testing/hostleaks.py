"""What a test daemon holds on the host, read from the kernel and /proc (not from the
daemon): its containers' processes, conmon monitors, runc state, network namespaces, veths
on its bridges, mounts, cgroups and nft rules. Two snapshots taken around a workload tell
what leaked."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class HostState:
    conmons: frozenset[str] = field(default_factory=frozenset)  # container ids
    runc: frozenset[str] = field(default_factory=frozenset)  # ids runc keeps state for
    netns: frozenset[str] = field(default_factory=frozenset)  # pinned namespace files
    veths: frozenset[str] = field(default_factory=frozenset)  # ports of our bridges
    mounts: frozenset[str] = field(default_factory=frozenset)  # under data/exec root
    cgroups: frozenset[str] = field(default_factory=frozenset)  # cgroup dirs of our ids

    def leaks_against(self, before: HostState, keep: set[str]) -> dict[str, list[str]]:
        """What this snapshot holds beyond `before` that belongs to none of `keep` (ids of
        the containers still expected to run)."""
        out: dict[str, list[str]] = {}
        for name in ("conmons", "runc", "netns", "cgroups"):
            extra = getattr(self, name) - getattr(before, name)
            extra = {x for x in extra if not any(k.startswith(x) or x.startswith(k) for k in keep)}
            if extra:
                out[name] = sorted(extra)
        return out


def _cmdline(pid: str) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def conmon_ids(exec_root: Path) -> set[str]:
    """Container ids of the live conmon processes whose exit dir is under `exec_root`."""
    found = set()
    exit_dir = str(exec_root / "exits")
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        args = _cmdline(pid)
        if not args or not args[0].endswith("conmon") or exit_dir not in args:
            continue
        if "-c" in args:
            cid = args[args.index("-c") + 1]
            if "-e" in args or "--exec-process-spec" in args:
                continue  # an exec session's monitor belongs to a running container
            found.add(cid)
    return found


def runc_ids(exec_root: Path) -> set[str]:
    root = exec_root / "runc"
    if not root.is_dir():
        return set()
    res = subprocess.run(
        ["runc", "--root", str(root), "list", "--format", "json"], capture_output=True, text=True
    )
    try:
        return {c["id"] for c in json.loads(res.stdout or "null") or []}
    except ValueError:
        return set()


def bridge_ports(bridges_prefix: tuple[str, ...]) -> set[str]:
    """veths whose master is one of the bridges named with these prefixes."""
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    ports = set()
    for line in out.splitlines():
        parts = line.split()
        if "master" in parts:
            master = parts[parts.index("master") + 1]
            if master.startswith(bridges_prefix):
                ports.add(parts[1].rstrip(":").split("@")[0])
    return ports


def mounts_under(*roots: Path) -> set[str]:
    prefixes = tuple(str(r) + "/" for r in roots)
    with open("/proc/self/mountinfo") as f:
        points = {line.split()[4] for line in f}
    return {p for p in points if p.startswith(prefixes)}


def cgroup_dirs(ids: set[str]) -> set[str]:
    """The cgroups (under /dockyard, any hierarchy) of these container ids that exist."""
    found = set()
    base = Path("/sys/fs/cgroup")
    roots = [base / "dockyard"] + [p / "dockyard" for p in base.iterdir() if p.is_dir()]
    for root in roots:
        for cid in ids:
            if (root / cid).is_dir():
                found.add(cid)
    return found


def snapshot(daemon: object) -> HostState:
    """Everything of this TestDaemon's on the host right now."""
    exec_root: Path = daemon.exec_root  # type: ignore[attr-defined]
    root: Path = daemon.root  # type: ignore[attr-defined]
    bridges = (daemon.bridge, daemon.bridge_prefix)  # type: ignore[attr-defined]
    netns_dir = exec_root / "netns"
    netns = {p.name for p in netns_dir.iterdir()} if netns_dir.is_dir() else set()
    conmons = conmon_ids(exec_root)
    runc = runc_ids(exec_root)
    known = conmons | runc
    cdir = root / "containers"
    if cdir.is_dir():
        known |= {p.name for p in cdir.iterdir()}
    return HostState(
        conmons=frozenset(conmons),
        runc=frozenset(runc),
        netns=frozenset(netns),
        veths=frozenset(bridge_ports(bridges)),
        mounts=frozenset(mounts_under(root, exec_root)),
        cgroups=frozenset(cgroup_dirs(known)),
    )
