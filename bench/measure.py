"""Timing, statistics and /proc memory readings for the benchmarks."""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass
class Timed:
    seconds: float
    rc: int
    out: bytes = b""
    err: bytes = b""
    cpu: float | None = None  # user+sys of the command (sequential runs only)


@dataclass
class Sample:
    """Repeated measurements of one quantity (seconds or bytes), plus the failures seen."""

    values: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    failures: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, t: Timed) -> None:
        if t.rc == 0:
            self.values.append(t.seconds)
            if t.cpu is not None:
                self.cpu.append(t.cpu)
        else:
            self.failures += 1
            if len(self.errors) < 3:
                self.errors.append(t.err.decode(errors="replace").strip()[-300:])

    def summary(self) -> dict[str, float | int | list[str] | None]:
        cpu = summarize(self.cpu)["median"]
        return {**summarize(self.values), "client_cpu_median": cpu, "failures": self.failures, "errors": self.errors}


def run_timed(
    argv: Sequence[str],
    env: dict[str, str] | None = None,
    timeout: float = 120,
    capture: bool = False,
) -> Timed:
    """Run a command, return its wall time, CPU time and exit status (124 on timeout)."""
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            list(argv),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as e:
        return Timed(time.perf_counter() - start, 124, b"", (e.stderr or b"") + b" (timeout)")
    elapsed = time.perf_counter() - start
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    return Timed(elapsed, proc.returncode, proc.stdout or b"", proc.stderr, cpu)


def run_counting(argv: Sequence[str], env: dict[str, str] | None = None, timeout: float = 300) -> tuple[Timed, int]:
    """Run a command that writes a lot to stdout; count the bytes while draining the pipe."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(argv), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdout is not None
    total = 0
    deadline = start + timeout
    while chunk := proc.stdout.read1(1 << 20):  # type: ignore[attr-defined]
        total += len(chunk)
        if time.perf_counter() > deadline:
            proc.kill()
            break
    rc = proc.wait()
    return Timed(time.perf_counter() - start, rc), total


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        raise ValueError("no values")
    pos = (len(sorted_values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def summarize(values: Iterable[float]) -> dict[str, float | int | None]:
    vals = sorted(values)
    if not vals:
        return {"n": 0, "median": None, "p10": None, "p90": None, "min": None, "max": None}
    return {
        "n": len(vals),
        "median": percentile(vals, 0.5),
        "p10": percentile(vals, 0.1),
        "p90": percentile(vals, 0.9),
        "min": vals[0],
        "max": vals[-1],
    }


# --- processes and memory -------------------------------------------------------------------


def read_cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def read_comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def all_pids() -> list[int]:
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def find_pids(comm_prefix: str, cmdline_contains: str) -> list[int]:
    """Live processes whose comm starts with comm_prefix and whose command line mentions a path."""
    found = []
    for pid in all_pids():
        if read_comm(pid).startswith(comm_prefix) and cmdline_contains in read_cmdline(pid):
            found.append(pid)
    return found


def children(pid: int) -> list[int]:
    kids: list[int] = []
    with contextlib.suppress(OSError):
        for tid in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{tid}/children") as f:
                kids.extend(int(x) for x in f.read().split())
    return kids


def tree(pid: int, stop_comms: tuple[str, ...] = ()) -> list[int]:
    """pid and its descendants, not descending into processes whose comm is in stop_comms."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p != pid and read_comm(p).startswith(stop_comms):
            continue
        out.append(p)
        todo.extend(children(p))
    return out


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in KiB; (0, 0) if the process is gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def memory_of(pids: Iterable[int]) -> dict[str, int]:
    """Summed RSS and PSS (KiB) of the given processes."""
    rss = pss = n = 0
    for pid in pids:
        r, p = memory_kib(pid)
        if r:
            rss += r
            pss += p
            n += 1
    return {"rss_kib": rss, "pss_kib": pss, "processes": n}


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (its own threads, not its children)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")




def quiet_disk() -> None:
    """Before a timed command that writes much: what an earlier step (the other engine's
    pull, a removal) left in the page cache is written back now, not while it runs."""
    os.sync()
