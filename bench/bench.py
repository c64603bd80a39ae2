"""dockyard against Docker and Podman on this machine, in one run. Entry point: bench/run.

Starts a private dockyardd, a private dockerd (+ its containerd) and a podman with its own
roots, loads images/out/busybox.tar into each, runs the scenarios, prints a table (median
[p10-p90], ratio dockyard/Docker, goals) and writes bench/results/bench-<time>.json. Everything
it started is stopped and removed at the end, also on error or SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import profile_run  # noqa: E402
import report  # noqa: E402
import scenarios  # noqa: E402
from engines import (  # noqa: E402
    REPO,
    Docker,
    DockerCliOnDockyard,
    Dockyard,
    Engine,
    Podman,
    log,
    refuse_if_in_use,  # noqa: E402
)
from report import Row  # noqa: E402

RESULTS = REPO / "bench" / "results"
BUSYBOX = REPO / "images" / "out" / "busybox.tar"
NOT_YET = ["pull", "push", "build", "compose up"]


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    p.add_argument("--quick", action="store_true", help="few repetitions (a smoke test, ~3 min)")
    p.add_argument("--engines", default="dockyard,docker,podman",
                   help="comma-separated subset of dockyard,docker,podman")  # fmt: skip
    p.add_argument("--no-profile", action="store_true", help="skip the py-spy profile")
    p.add_argument("--profile-seconds", type=int, default=10)
    p.add_argument("--no-install", action="store_true", help="never apt-get install")
    p.add_argument("--cleanup", action="store_true", help="only remove what a killed run left behind")
    return p.parse_args(argv)


def ensure_packages(allow_install: bool) -> None:
    missing = [b for b in ("dockerd", "docker", "podman", "conmon", "runc") if not shutil.which(b)]
    if not missing:
        return
    if not allow_install:
        raise SystemExit(f"missing {', '.join(missing)}; run without --no-install")
    log(f"installing docker.io podman (missing: {', '.join(missing)})")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "docker.io", "podman"], check=True, env=env, timeout=900)


def ensure_image() -> None:
    if not BUSYBOX.exists():
        subprocess.run([str(REPO / "scripts" / "make-images"), "--only", "busybox"], check=True, timeout=900)


def on_signal(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def guarded(label: str, fn: Callable[[], Any], errors: list[str]) -> Any:
    """Run one measurement; a failure is recorded and the bench goes on."""
    log(label)
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - any failure of one scenario must not stop the others
        errors.append(f"{label}: {e!r}")
        log(f"FAILED {label}: {e!r}\n{traceback.format_exc()}")
        return None


def host_info() -> dict:
    versions = {}
    for name, argv in {
        "docker_cli": ["docker", "--version"], "dockerd": ["dockerd", "--version"],
        "containerd": ["containerd", "--version"], "podman": ["podman", "--version"],
        "runc": ["runc", "--version"], "conmon": ["conmon", "--version"],
    }.items():  # fmt: skip
        try:
            versions[name] = subprocess.run(argv, capture_output=True, text=True, timeout=20).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            versions[name] = None
    return {"kernel": platform.release(), "cpus": os.cpu_count(), "python": platform.python_version(), **versions}


def run_all(cfg: scenarios.Config, engines: dict[str, Engine], args: argparse.Namespace,
            results: dict) -> None:  # fmt: skip
    errors: list[str] = results["errors"]
    main = [e for e in engines.values() if not isinstance(e, DockerCliOnDockyard)]
    for e in main:
        guarded(f"start {e.name}", e.start, errors)
    for e in main:
        guarded(f"load busybox into {e.name}", lambda e=e: e.load(BUSYBOX), errors)
    time.sleep(2)
    results["idle_memory"] = {e.name: scenarios.idle_memory(e) for e in main}
    results["notes"] = {e.name: e.notes for e in engines.values()}

    results["cli_start"] = guarded("4. CLI start time", lambda: scenarios.cli_start(main, cfg.reps_run), errors)
    if "dockyard" in engines and "docker-cli->dockyard" in engines:
        results["cli_start_docker_on_dockyard"] = guarded(
            "4. docker version against dockyardd",
            lambda: scenarios.cli_start([engines["docker-cli->dockyard"]], cfg.reps_run), errors)  # fmt: skip
    results["run_rm"] = guarded(
        "1. run --rm busybox true", lambda: scenarios.run_rm(list(engines.values()), cfg.reps_run), errors
    )
    if "dockyard" in engines and not args.no_profile:
        dy = engines["dockyard"]
        pid = dy.daemon_main_pid()
        if pid:
            results["profile"] = guarded(
                "profile dockyardd", lambda: profile_run.profile(dy, pid, RESULTS, args.profile_seconds), errors
            )
    # the docker CLI against dockyardd separates client cost from daemon cost
    with_via = list(engines.values())
    results["concurrent"] = {}  # before 3.: logs must not inflate the memory readings
    for n, rounds in cfg.concurrency:
        results["concurrent"][str(n)] = {}
        for e in with_via:
            results["concurrent"][str(n)][e.name] = guarded(
                f"2. {n} concurrent run -d, {e.name} ({rounds} rounds)",
                lambda e=e, n=n, rounds=rounds: scenarios.concurrent(e, n, rounds, cfg.reps_small), errors,
            )
            guarded(f"clean {e.name}", lambda e=e: scenarios.cleanup_all(e), errors)
    for name in ("exec", "logs", "stop"):
        results[name] = {}
    for e in with_via:
        results["exec"][e.name] = guarded(f"3. exec {e.name}", lambda e=e: scenarios.exec_latency(e, cfg.reps_run), errors)
    for e in main:
        results["logs"][e.name] = guarded(
            f"3. logs {cfg.log_bytes >> 20} MiB {e.name}", lambda e=e: scenarios.logs_big(e, cfg.log_bytes, cfg.reps_logs), errors
        )
        results["stop"][e.name] = guarded(f"3. stop {e.name}", lambda e=e: scenarios.stop_graceful(e, cfg.reps_stop), errors)


def pick(d: dict | None, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


def build_rows(results: dict) -> list[Row]:
    engines = report.ENGINES
    rows = [
        Row("1. run --rm busybox true", "ms", {e: pick(results, "run_rm", e) for e in engines}, 0.33),
        Row("1. ... CPU of the CLI process", "ms", {e: pick(results, "run_rm", e, "client_cpu_median") for e in engines}),
    ]
    for n, per in (results.get("concurrent") or {}).items():
        big = n == "100"
        rows += [
            Row(f"2. {n}x run -d, until all run", "s", {e: pick(per, e, "start_all") for e in engines}, 0.4 if big else None),
            Row(f"2. ps -a with {n}", "ms", {e: pick(per, e, "ps_a") for e in engines}, 1.0 if big else None),
            Row(f"2. rm -f of {n}", "s", {e: pick(per, e, "rm_f_all") for e in engines}),
            Row(f"2. daemon RSS with {n} running", "MiB",
                {e: pick(per, e, "memory_median", "daemon_rss_kib") for e in engines}, 0.5 if big else None),
            Row(f"2. monitor RSS per container ({n})", "MiB",
                {e: pick(per, e, "memory_median", "monitor_rss_kib_per_container") for e in engines}, 0.2 if big else None),
            Row(f"2. monitor PSS per container ({n})", "MiB",
                {e: pick(per, e, "memory_median", "monitor_pss_kib_per_container") for e in engines}),
        ]  # fmt: skip
    rows += [
        Row("3. exec true", "ms", {e: pick(results, "exec", e) for e in engines}),
        Row(f"3. logs of {pick(results, 'config', 'log_bytes') // (1 << 20)} MiB", "s",
            {e: pick(results, "logs", e) for e in engines}),
        Row("3. daemon RSS after those logs", "MiB", {e: pick(results, "logs", e, "daemon_rss_kib_after") for e in engines}),
        Row("3. stop (PID 1 traps TERM)", "s", {e: pick(results, "stop", e) for e in engines}),
    ]  # fmt: skip
    cli = results.get("cli_start") or {}
    via = results.get("cli_start_docker_on_dockyard") or {}
    rows += [
        Row("4. CLI --version (client only)", "ms", {e: cli.get(f"{e} --version") for e in engines}),
        Row("4. version --format {{.Client.Version}}", "ms",
            {**{e: cli.get(f"{e} version --format") for e in engines},
             "docker-cli->dockyard": via.get("docker-cli->dockyard version --format")}),
        Row("4. daemon RSS idle (after load)", "MiB",
            {e: pick(results, "idle_memory", e, "rss_kib") for e in engines}, 0.5),
    ]  # fmt: skip
    return rows


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("bench/run needs root (it starts container engines)")
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    cfg = scenarios.Config.quick() if args.quick else scenarios.Config()
    wanted = set(args.engines.split(","))
    ensure_packages(not args.no_install)
    ensure_image()
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    results: dict = {"started_at": stamp, "host": host_info(), "config": vars(cfg) | {"concurrency": list(cfg.concurrency)},
                     "errors": []}  # fmt: skip
    engines: dict[str, Engine] = {}
    if "dockyard" in wanted:
        dy = Dockyard()
        engines["dockyard"] = dy
        engines["docker-cli->dockyard"] = DockerCliOnDockyard(dy)
    if "docker" in wanted:
        engines["docker"] = Docker()
    if "podman" in wanted:
        engines["podman"] = Podman()
    if args.cleanup:
        for e in engines.values():
            e.adopt()
            guarded(f"stop and clean {e.name}", e.stop, results["errors"])
        return 1 if results["errors"] else 0
    for e in engines.values():  # before anything is started, stopped or cleaned
        if e.daemon_comm and e.daemon_marker():
            try:
                refuse_if_in_use(e.daemon_comm, Path(e.daemon_marker()))
            except RuntimeError as exc:
                raise SystemExit(f"bench/run: {exc}") from None
    t0 = time.monotonic()
    try:
        run_all(cfg, engines, args, results)
    finally:
        for e in engines.values():
            guarded(f"stop and clean {e.name}", e.stop, results["errors"])
    results["duration_s"] = time.monotonic() - t0
    rows = build_rows(results)
    results["goals"] = report.goals_summary(rows)
    table = report.render(rows, [f"5. {x}" for x in NOT_YET])
    out = RESULTS / f"bench-{stamp}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    (RESULTS / f"bench-{stamp}.txt").write_text(table + "\n")
    print(table)
    for name, notes in (results.get("notes") or {}).items():
        for note in notes:
            print(f"note: {name}: {note}")
    if "profile" in results and results["profile"]:
        print(f"profile: {RESULTS / 'profile-run-rm-top.txt'}")
    for err in results["errors"]:
        print(f"error: {err}")
    print(f"results: {out} ({results['duration_s']:.0f} s)")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
