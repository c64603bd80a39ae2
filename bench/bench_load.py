"""Load on one private dockyardd (issue 16): 200 concurrent API clients listing containers,
then 50 clients each running `dockyard run --rm busybox true` in a loop for a minute.

Reports successes, failures and latency percentiles, and what the daemon held before and
after (open fds, RSS, mounts under its roots, network namespaces, veths, conmon monitors,
containers): a leak shows as a difference. Entry point: bench/run --load (or run this file).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engines import REPO, TMP, Dockyard, log, quiet  # noqa: E402

BUSYBOX = REPO / "images" / "out" / "busybox.tar"


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run_threads(target, count: int) -> float:  # type: ignore[no-untyped-def]
    """Run `count` threads of `target` to their end; the wall time in seconds."""
    threads = [threading.Thread(target=target) for _ in range(count)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def private_dockyard() -> Dockyard:
    """The bench's Dockyard engine on roots of its own (a full bench may run meanwhile)."""
    dy = Dockyard()
    dy.base = TMP / "bench-load-dockyard"
    dy.exec_root = TMP / "bench-load-dockyard-exec"
    dy.socket = dy.base / "d.sock"
    dy.host = f"unix://{dy.socket}"
    dy.env.update(DOCKYARD_HOST=dy.host, DOCKER_HOST=dy.host,
                  PYTHONPYCACHEPREFIX=str(dy.base / "pycache"))  # fmt: skip
    return dy


def holdings(dy: Dockyard) -> dict[str, int | None]:
    """What the daemon holds now: each number should come back to its value after a load."""
    pid = dy.daemon_main_pid()
    roots = (str(dy.base), str(dy.exec_root))
    with open("/proc/self/mountinfo") as f:
        mounts = sum(1 for line in f if line.split()[4].startswith(roots))
    links = quiet(["ip", "-o", "link"]).stdout.splitlines()
    veths = sum(1 for line in links if line.split(":")[1].strip().startswith(dy.bridge_prefix))
    netns_dir = dy.exec_root / "netns"
    ps = quiet(dy.argv("ps", "-aq"), env=dy.env, timeout=60).stdout.split()
    rss = None
    fds = None
    if pid:
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        with open(f"/proc/{pid}/status") as f:
            rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return {
        "daemon_fds": fds,
        "daemon_rss_kib": rss,
        "mounts": mounts,
        "netns": len(list(netns_dir.iterdir())) if netns_dir.is_dir() else 0,
        "veths": veths,
        "monitors": len(dy.monitor_pids()),
        "containers": len(ps),
    }


def ps_clients(dy: Dockyard, clients: int, requests: int) -> dict:
    """`clients` threads, each with its own connection, each listing containers `requests` times."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client() -> None:
        conn = UnixHTTP(str(dy.socket), timeout=60)
        try:
            start.wait()
            for _ in range(requests):
                t0 = time.perf_counter()
                try:
                    conn.request("GET", "/containers/json?all=1")
                    resp = conn.getresponse()
                    json.loads(resp.read())
                    ok = resp.status == 200
                except (OSError, ValueError, http.client.HTTPException) as exc:
                    ok = False
                    conn.close()
                    conn = UnixHTTP(str(dy.socket), timeout=60)
                    err = repr(exc)
                else:
                    err = f"status {resp.status}"
                with lock:
                    if ok:
                        latencies.append(time.perf_counter() - t0)
                    else:
                        failures.append(err)
        finally:
            conn.close()

    wall = run_threads(client, clients)
    return {
        "clients": clients,
        "requests": clients * requests,
        "ok": len(latencies),
        "failed": len(failures),
        "failures": failures[:5],
        "wall_s": round(wall, 2),
        "p50_ms": round(1000 * (percentile(latencies, 50) or 0), 1),
        "p99_ms": round(1000 * (percentile(latencies, 99) or 0), 1),
        "max_ms": round(1000 * max(latencies, default=0), 1),
    }


def run_rm_loops(dy: Dockyard, clients: int, seconds: float) -> dict:
    """`clients` loops of `dockyard run --rm busybox true` (the CLI, as a user types it)."""
    durations: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop() -> None:
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            proc = subprocess.run(dy.run_argv("--rm", "busybox", "true"), env=dy.env,
                                  capture_output=True, text=True, timeout=300)  # fmt: skip
            with lock:
                if proc.returncode == 0:
                    durations.append(time.perf_counter() - t0)
                else:
                    failures.append(f"exit {proc.returncode}: {proc.stderr.strip()[:200]}")

    wall = run_threads(loop, clients)
    return {
        "clients": clients,
        "seconds": seconds,
        "runs_ok": len(durations),
        "failed": len(failures),
        "failures": failures[:5],
        "runs_per_s": round(len(durations) / wall, 2),
        "p50_s": round(percentile(durations, 50) or 0, 2),
        "p99_s": round(percentile(durations, 99) or 0, 2),
    }


def settle(dy: Dockyard, timeout: float = 60) -> None:
    """Wait until --rm containers are gone (removal ends after the CLI returns)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and quiet(dy.argv("ps", "-aq"), env=dy.env).stdout.strip():
        time.sleep(0.5)


def run(ps_clients_n: int = 200, ps_requests: int = 5, rm_clients: int = 50,
        rm_seconds: float = 60) -> dict:  # fmt: skip
    dy = private_dockyard()
    results: dict = {}
    try:
        dy.start()
        dy.load(BUSYBOX)
        quiet(dy.run_argv("--rm", "busybox", "true"), env=dy.env, timeout=120)  # warm caches
        time.sleep(1)
        results["before"] = holdings(dy)
        log(f"{ps_clients_n} clients x {ps_requests} ps")
        results["ps"] = ps_clients(dy, ps_clients_n, ps_requests)
        results["after_ps"] = holdings(dy)
        log(f"{rm_clients} clients x run --rm for {rm_seconds:.0f} s")
        results["run_rm"] = run_rm_loops(dy, rm_clients, rm_seconds)
        settle(dy)
        time.sleep(2)
        results["after"] = holdings(dy)
        before, after = results["before"], results["after"]
        results["leaks"] = {
            k: after[k] - before[k]
            for k in before
            if k not in ("daemon_rss_kib", "daemon_fds") and after[k] != before[k]
        }
        results["fd_growth"] = (after["daemon_fds"] or 0) - (before["daemon_fds"] or 0)
    finally:
        dy.stop()
    return results


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="bench_load", description=__doc__)
    p.add_argument("--ps-clients", type=int, default=200)
    p.add_argument("--ps-requests", type=int, default=5)
    p.add_argument("--rm-clients", type=int, default=50)
    p.add_argument("--rm-seconds", type=float, default=60)
    args = p.parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("bench_load needs root (it starts a daemon and containers)")
    results = run(args.ps_clients, args.ps_requests, args.rm_clients, args.rm_seconds)
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    (out / f"load-{stamp}.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    bad = results["ps"]["failed"] or results["run_rm"]["failed"] or results["leaks"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
