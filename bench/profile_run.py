"""Profile dockyardd with py-spy while a loop of `dockyard run --rm busybox true` runs.

Two recordings: on-CPU (py-spy's default, idle threads left out) and wall clock (--idle: every
thread, waiting included; threads parked waiting for work are then dropped). Each is kept raw (collapsed stacks, for flamegraph tools) and
summarised: self and inclusive share per function, top N."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

from engines import VENV_BIN, Engine, log
from measure import cpu_seconds, run_timed

RATE = 200
FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def py_spy() -> str | None:
    cand = VENV_BIN / "py-spy"
    return str(cand) if cand.exists() else shutil.which("py-spy")


def _loop(engine: Engine, stop: threading.Event, times: list[float]) -> None:
    while not stop.is_set():
        t = run_timed(engine.run_argv("--rm", "busybox", "true"), engine.env)
        if t.rc == 0:
            times.append(t.seconds)


def record(engine: Engine, pid: int, out: Path, seconds: int, idle: bool) -> dict:
    spy = py_spy()
    if spy is None:
        return {"error": "py-spy not installed (pip install py-spy into .venv)"}
    stop = threading.Event()
    times: list[float] = []
    loop = threading.Thread(target=_loop, args=(engine, stop, times), daemon=True)
    cpu0 = cpu_seconds(pid)
    loop.start()
    time.sleep(0.5)
    argv = [spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", str(RATE),
            "--format", "raw", "--output", str(out), "--nonblocking"]  # fmt: skip
    if idle:
        argv.append("--idle")
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    stop.set()
    loop.join(60)
    cpu = cpu_seconds(pid) - cpu0
    if proc.returncode != 0 or not out.exists():
        return {"error": f"py-spy failed: {proc.stderr[-500:]}"}
    return {
        "runs": len(times),
        "daemon_cpu_ms_per_run": 1000 * cpu / len(times) if times else None,
        "raw": str(out),
        **summarise(out, RATE, len(times), drop_idle=idle),
    }


def parse_frame(frame: str) -> str:
    m = FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    path = m.group("file")
    short = path.split("site-packages/")[-1].split("src/")[-1]
    return f"{m.group('func')} ({short})"


# A thread parked here is waiting for work, not working: left out of the wall-clock view.
IDLE_LEAVES = ("EpollSelector.select ", "Condition.wait ", "ExitWatcher._run ", "_worker ")


def is_idle(frames: list[str]) -> bool:
    return frames[-1].startswith(IDLE_LEAVES) and not any(f.startswith("_WorkItem.run ") for f in frames)


def summarise(raw: Path, rate: int, runs: int, drop_idle: bool, top: int = 25) -> dict:
    self_count: Counter[str] = Counter()
    incl_count: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    total = idle = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        count = int(n)
        frames = [parse_frame(f) for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        if drop_idle and is_idle(frames):
            idle += count
            continue
        total += count
        self_count[frames[-1]] += count
        for f in set(frames):
            incl_count[f] += count
            if "(dockyard/" in f and not f.startswith(("main ", "<module> ")):
                ours[f] += count

    def table(c: Counter[str]) -> list[dict]:
        return [
            {"share": round(v / total, 4), "ms_per_run": round(1000 * v / rate / max(runs, 1), 2), "where": k}
            for k, v in c.most_common(top)
        ]

    return {"samples": total, "idle_samples_dropped": idle, "self": table(self_count),
            "inclusive": table(incl_count), "inclusive_dockyard": table(ours)}  # fmt: skip


def render(result: dict, title: str) -> str:
    if "error" in result:
        return f"{title}: {result['error']}\n"
    cpu = result.get("daemon_cpu_ms_per_run")
    lines = [f"== {title}: {result['samples']} busy samples, {result['runs']} runs"
             + ("" if cpu is None else f", daemon CPU {cpu:.1f} ms/run")]  # fmt: skip
    for kind in ("self", "inclusive_dockyard", "inclusive"):
        lines.append(f"-- top by {kind} time (share of busy samples, ms per run)")
        lines += [f"{r['share'] * 100:6.1f}% {r['ms_per_run']:7.1f} ms  {r['where']}" for r in result[kind]]
    return "\n".join(lines) + "\n"


def profile_cli(engine: Engine, out: Path, runs: int) -> dict:
    """py-spy on the `dockyard run --rm busybox true` client process itself, runs aggregated."""
    spy = py_spy()
    if spy is None:
        return {"error": "py-spy not installed"}
    rate = 1000
    lines: list[str] = []
    part = out.with_suffix(".part")
    done = 0
    for _ in range(runs):
        argv = [spy, "record", "--rate", str(rate), "--format", "raw", "--output", str(part),
                "--", *engine.run_argv("--rm", "busybox", "true")]  # fmt: skip
        proc = subprocess.run(argv, env=engine.env, capture_output=True, text=True, timeout=120)
        if proc.returncode == 0 and part.exists():
            lines += part.read_text().splitlines()
            done += 1
    part.unlink(missing_ok=True)
    out.write_text("\n".join(lines) + "\n")
    return {"runs": done, "daemon_cpu_ms_per_run": None, "raw": str(out),
            **summarise(out, rate, done, drop_idle=False)}  # fmt: skip


def profile(engine: Engine, pid: int, results_dir: Path, seconds: int) -> dict:
    log(f"profiling dockyardd (pid {pid}) for 2 x {seconds} s")
    out: dict = {}
    text = []
    for idle, key in ((False, "cpu"), (True, "wall")):
        path = results_dir / f"profile-run-rm-{key}.txt"
        out[key] = record(engine, pid, path, seconds, idle)
        text.append(render(out[key], f"dockyardd {key} profile, run --rm busybox true loop"))
    out["cli"] = profile_cli(engine, results_dir / "profile-cli-run-rm.txt", 10)
    text.append(render(out["cli"], "dockyard CLI process (client side), run --rm busybox true"))
    (results_dir / "profile-run-rm-top.txt").write_text("\n".join(text))
    return out
