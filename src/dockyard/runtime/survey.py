"""What the host runs for one exec root, read in a few batched passes (one `runc list` per
runtime root, one scan of /proc, one listing of the state directories), never a process
per container: daemon start reconciles a thousand containers with it.

`Survey` holds the facts; the container service decides what they mean."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .cgroups import CGROUP_ROOT, DEFAULT_PARENT
from .monitor import Runtime


@dataclass
class Survey:
    runc: dict[str, str] = field(default_factory=dict)  # cid -> runc status
    monitors: dict[str, int] = field(default_factory=dict)  # cid -> pid of its live conmon
    exec_monitors: dict[str, list[int]] = field(default_factory=dict)  # cid -> exec conmons
    inits: dict[str, list[int]] = field(default_factory=dict)  # cid -> `runc init` pids
    dirs: set[str] = field(default_factory=set)  # cids with monitor state under exec_root/c
    cgroups: set[str] = field(default_factory=set)  # cids with a cgroup under our parent

    def traces(self, cid: str) -> list[str]:
        """What of `cid` is still on the host, in words (empty: nothing)."""
        out = []
        if cid in self.runc:
            out.append(f"runc state ({self.runc[cid]})")
        if cid in self.monitors:
            out.append(f"conmon process {self.monitors[cid]}")
        if self.inits.get(cid):
            out.append(f"runc init process {', '.join(map(str, self.inits[cid]))}")
        if cid in self.dirs:
            out.append("monitor state directory")
        return out

    def ids(self) -> set[str]:
        """Ids with state of this exec root (runc's, a monitor's); `runc init` processes
        and cgroups say nothing alone: every daemon's containers share the cgroup parent."""
        return set(self.runc) | set(self.monitors) | self.dirs


def survey(runtimes: Iterable[Runtime], exec_root: Path) -> Survey:
    s = Survey()
    for rt in runtimes:
        if rt.runtime_root.is_dir():
            s.runc.update({cid: str(c.get("status", "")) for cid, c in rt.list().items()})
    try:
        s.dirs = {e.name for e in os.scandir(exec_root / "c") if e.is_dir()}
    except OSError:
        pass
    _scan_processes(s, exec_root)
    s.cgroups = cgroup_ids()
    return s


def _scan_processes(s: Survey, exec_root: Path) -> None:
    exits = str(exec_root / "exits")
    execs = str(exec_root / "c") + "/"
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                args = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        pid = int(entry.name)
        if args[0].endswith("conmon") and "-c" in args and "--exit-dir" in args:
            cid = _after(args, "-c")
            exit_dir = _after(args, "--exit-dir")
            if exit_dir == exits:
                s.monitors[cid] = pid
            elif exit_dir.startswith(execs):
                s.exec_monitors.setdefault(cid, []).append(pid)
        elif len(args) > 1 and args[0].endswith("runc") and args[1] == "init":
            cid = _cgroup_id(pid)
            if cid:
                s.inits.setdefault(cid, []).append(pid)


def _after(args: list[str], flag: str) -> str:
    i = args.index(flag)
    return args[i + 1] if i + 1 < len(args) else ""


def _cgroup_id(pid: int) -> str | None:
    """The container id of a process in one of our cgroups (<parent>/<cid>)."""
    prefix = DEFAULT_PARENT.rstrip("/") + "/"
    try:
        with open(f"/proc/{pid}/cgroup") as f:
            for line in f:
                path = line.rstrip("\n").split(":", 2)[-1]
                if path.startswith(prefix):
                    return path[len(prefix) :].split("/")[0]
    except OSError:
        pass
    return None


def _cgroup_parents() -> list[Path]:
    """The `<parent>` directory in every hierarchy (one on v2, one per controller on v1)."""
    rel = DEFAULT_PARENT.strip("/")
    found = [CGROUP_ROOT / rel] if (CGROUP_ROOT / rel).is_dir() else []
    try:
        for e in os.scandir(CGROUP_ROOT):
            if e.is_dir(follow_symlinks=False) and (Path(e.path) / rel).is_dir():
                found.append(Path(e.path) / rel)
    except OSError:
        pass
    return found


def cgroup_ids() -> set[str]:
    """Ids that have a cgroup under the parent in any hierarchy: every daemon's containers
    share it, so only ids this daemon knows are its to judge."""
    ids: set[str] = set()
    for parent in _cgroup_parents():
        try:
            ids.update(e.name for e in os.scandir(parent) if e.is_dir(follow_symlinks=False))
        except OSError:
            pass
    return ids


def remove_cgroup(cid: str, timeout: float = 2.0) -> bool:
    """Kill what is left in the cgroup of `cid` (a container that is not running has no
    business there) and rmdir it in every hierarchy; False if one stays."""
    dirs = [
        Path(root)
        for parent in _cgroup_parents()
        if (parent / cid).is_dir()
        for root, _, _ in os.walk(parent / cid, topdown=False)
    ]
    for d in dirs:
        with contextlib.suppress(OSError):
            kill_pids(int(p) for p in (d / "cgroup.procs").read_text().split())
    deadline = time.monotonic() + timeout
    while True:
        left = []
        for d in dirs:
            try:
                d.rmdir()
            except FileNotFoundError:
                pass
            except OSError:
                left.append(d)
        if not left or time.monotonic() >= deadline:
            return not left
        dirs = left
        time.sleep(0.02)  # killed processes take a moment to leave


def kill_pids(pids: Iterable[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
