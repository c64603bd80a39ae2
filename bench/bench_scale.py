"""Scale and daemon start: N running containers on one daemon, dockyardd beside dockerd.

Per engine, one at a time (N containers of both at once would not fit this host):
- daemon start, empty: SIGTERM the daemon, exec it again, time until GET /_ping answers;
- N containers `run -d --network none busybox sleep` (8 CLIs at a time; none: a /24
  bridge holds 254 addresses), then the daemon's RSS against its idle RSS (growth per
  container), `ps -a` and `inspect` of one through the CLI;
- restart over the N live containers: exec to first /_ping, and exec to the first
  GET /containers/json that lists all N running (live restore: dockerd runs with
  --live-restore, dockyardd restores by default);
- all removed with `rm -f` (and checked) before the next engine starts.
podman has no daemon: it is left out here.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from engines import Docker, Engine, kill_pids, log, wait_gone
from measure import Sample, Timed, memory_of, run_timed
from report import Row

IMAGE = "busybox"
PARALLEL_CLIS = 8


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self._path)
        self.sock = s


def socket_path(engine: Engine) -> str:
    host = engine.env.get("DOCKER_HOST", "")
    return host.removeprefix("unix://")


def get(engine: Engine, path: str, timeout: float = 30) -> tuple[int, bytes]:
    conn = _UnixConnection(socket_path(engine), timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def stop_daemon_only(engine: Engine) -> None:
    """SIGTERM the daemon and wait; containers stay (live restore)."""
    pid = engine.daemon_main_pid()
    if pid is None:
        return
    kill_pids([pid], signal.SIGTERM)
    if not wait_gone(pid, 60):
        raise RuntimeError(f"{engine.name}: daemon did not stop within 60 s")
    proc = getattr(engine, "proc", None)
    if proc is not None:
        proc.wait()
    if isinstance(engine, Docker):  # its containerd goes with it; wait until it has
        time.sleep(0.5)


def timed_start(engine: Engine, want_running: int | None = None, timeout: float = 300) -> dict:
    """Exec the daemon; seconds to the first /_ping, and to a full /containers/json."""
    with contextlib.suppress(FileNotFoundError):
        Path(socket_path(engine)).unlink()
    t0 = time.perf_counter()
    engine.launch()  # type: ignore[attr-defined]
    out: dict = {}
    deadline = t0 + timeout
    while time.perf_counter() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException):
            if get(engine, "/_ping", timeout=5)[0] == 200:
                out["ping_s"] = time.perf_counter() - t0
                break
        if engine.proc.poll() is not None:  # type: ignore[attr-defined]
            raise RuntimeError(f"{engine.name}: daemon exited during start")
        time.sleep(0.005)
    else:
        raise RuntimeError(f"{engine.name}: no /_ping within {timeout} s")
    if want_running is None:
        return out
    while time.perf_counter() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException, ValueError):
            status, body = get(engine, "/containers/json?all=1", timeout=60)
            rows = json.loads(body) if status == 200 else []
            if sum(1 for r in rows if r.get("State") == "running") >= want_running:
                out["ps_all_running_s"] = time.perf_counter() - t0
                return out
        time.sleep(0.02)
    raise RuntimeError(f"{engine.name}: not all {want_running} containers listed running in time")


def start_many(engine: Engine, n: int) -> list[str]:
    names = [f"scale{i}" for i in range(n)]

    def one(name: str) -> str:
        proc = subprocess.run(
            engine.run_argv("-d", "--network", "none", "--name", name, IMAGE, "sleep", "86400"),
            env=engine.env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        return "" if proc.returncode == 0 else proc.stderr.strip()[-200:]

    with ThreadPoolExecutor(PARALLEL_CLIS) as pool:
        errors = [e for e in pool.map(one, names) if e]
    if errors:
        raise RuntimeError(f"{engine.name}: {len(errors)}/{n} run -d failed, e.g. {errors[0]}")
    return names


def remove_all(engine: Engine) -> None:
    ids = subprocess.run(engine.argv("ps", "-aq"), env=engine.env, capture_output=True,
                         text=True, timeout=300).stdout.split()  # fmt: skip
    batches = [ids[i : i + 50] for i in range(0, len(ids), 50)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda b: subprocess.run(engine.rm_argv(*b), env=engine.env,
                                               capture_output=True, timeout=600), batches))  # fmt: skip
    left = subprocess.run(engine.argv("ps", "-aq"), env=engine.env, capture_output=True,
                          text=True, timeout=300).stdout.split()  # fmt: skip
    if left:
        raise RuntimeError(f"{engine.name}: {len(left)} containers left after rm -f")


def rss_kib(engine: Engine) -> int:
    return memory_of(engine.daemon_pids())["rss_kib"]


def scale_one(engine: Engine, n: int, reps: int) -> dict:
    out: dict = {"containers": n}
    starts = Sample()
    for _ in range(reps):  # start, empty
        stop_daemon_only(engine)
        t = timed_start(engine)
        starts.add(Timed(t["ping_s"], 0))
    out["start_empty"] = starts.summary()
    time.sleep(2)
    out["rss_idle_kib"] = rss_kib(engine)
    t0 = time.perf_counter()
    names = start_many(engine, n)
    out["start_all_s"] = time.perf_counter() - t0
    try:
        time.sleep(2)
        out["rss_kib"] = rss_kib(engine)
        out["rss_growth_kib_per_container"] = (out["rss_kib"] - out["rss_idle_kib"]) / n
        ps, inspect = Sample(), Sample()
        run_timed(engine.argv("ps", "-a"), engine.env)  # warm-up
        for _ in range(max(reps, 3)):
            ps.add(run_timed(engine.argv("ps", "-a"), engine.env, timeout=300))
            inspect.add(run_timed(engine.argv("inspect", names[n // 2]), engine.env))
        out["ps_a"], out["inspect"] = ps.summary(), inspect.summary()
        ping, listed = Sample(), Sample()
        for _ in range(reps):  # restart over the live containers
            stop_daemon_only(engine)
            t = timed_start(engine, want_running=n)
            ping.add(Timed(t["ping_s"], 0))
            listed.add(Timed(t["ps_all_running_s"], 0))
        out["restart_ping"], out["restart_ps_all_running"] = ping.summary(), listed.summary()
        time.sleep(2)
        out["rss_after_restart_kib"] = rss_kib(engine)
    finally:
        t0 = time.perf_counter()
        try:
            remove_all(engine)
            out["rm_all_s"] = time.perf_counter() - t0
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            # dockerd 20.10 has hung here with 1000 containers: keep what was measured
            log(f"scale: rm -f on {engine.name} failed after {time.perf_counter() - t0:.0f} s: {exc}")
            out["rm_error"] = str(exc)
    return out


def scale(engines: list[Engine], n: int, reps: int) -> dict:
    """Engines that have a daemon and can relaunch it (dockyard, Docker)."""
    results = {}
    for e in engines:
        if not hasattr(e, "launch"):
            continue
        log(f"scale: {n} containers on {e.name}")
        try:
            results[e.name] = scale_one(e, n, reps)
        except Exception as exc:  # one engine failing keeps the others' numbers
            log(f"scale: {e.name} failed: {exc}")
    return results


def rows(results: dict, n: int) -> list[Row]:
    def per(key: str) -> dict:
        # summaries, seconds, or KiB (report.py's MiB unit divides by 1024)
        return {name: r.get(key) for name, r in results.items()}

    return [
        Row("6. daemon start, empty: exec to /_ping", "ms", per("start_empty")),
        Row(f"6. {n}x run -d --network none (8 CLIs)", "s", per("start_all_s")),
        Row(f"6. daemon RSS with {n} running", "MiB", per("rss_kib"), 0.5),
        Row(
            f"6. daemon RSS growth per container ({n})",
            "MiB",
            per("rss_growth_kib_per_container"),
            0.5,
        ),
        Row(f"6. ps -a with {n}", "ms", per("ps_a")),
        Row(f"6. inspect one of {n}", "ms", per("inspect")),
        Row(f"6. daemon start with {n}: exec to /_ping", "ms", per("restart_ping")),
        Row(
            f"6. restart with {n}: exec to ps listing all running",
            "s",
            per("restart_ps_all_running"),
        ),
        Row(f"6. rm -f of {n}", "s", per("rm_all_s")),
    ]
