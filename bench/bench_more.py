"""The heavier scenarios of issue #15, dockyard beside Docker and podman: pull, push, image
build, scale (N running containers) and daemon start. Entry point: `bench/run more`.

    bench/run more [--scenarios pull,push,build,scale,start] [--engines dockyard,docker,podman]
                   [--reps 3] [--containers 1000] [--big-mib 600]

Each engine is started privately (engines.py), the table is printed as `bench/run` prints
its own, and the JSON and table land in bench/results/more-<time>.{json,txt}.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("BENCH_TAG", "more-")  # apart from a `bench/run` at the same time

import bench_distribution  # noqa: E402
import bench_imagebuild  # noqa: E402
import bench_scale  # noqa: E402
import report  # noqa: E402
from engines import REPO, Docker, Dockyard, Engine, Podman  # noqa: E402

from bench import guarded, host_info, on_signal  # noqa: E402

RESULTS = REPO / "bench" / "results"
BUSYBOX = REPO / "images" / "out" / "busybox.tar"
ALL = ("pull", "push", "build", "scale", "start")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench/run more", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument(
        "--scenarios", default=",".join(ALL), help="comma-separated subset of " + ",".join(ALL)
    )
    p.add_argument("--engines", default="dockyard,docker,podman")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--containers", type=int, default=1000, help="containers for scale and start")
    p.add_argument("--big-mib", type=int, default=600, help="random data in the pull/push image")
    p.add_argument("--no-nginx", action="store_true", help="build only the context without network")
    return p.parse_args(argv)


def make_engines(names: set[str]) -> dict[str, Engine]:
    engines: dict[str, Engine] = {}
    if "dockyard" in names:
        engines["dockyard"] = Dockyard()
    if "docker" in names:
        engines["docker"] = Docker()
    if "podman" in names:
        engines["podman"] = Podman()
    return engines


def run(args: argparse.Namespace, results: dict) -> list[report.Row]:
    wanted = set(args.scenarios.split(","))
    errors = results["errors"]
    engines = make_engines(set(args.engines.split(",")))
    rows: list[report.Row] = []
    if wanted & {"scale", "start"} and isinstance(engines.get("docker"), Docker):
        engines["docker"].extra_flags.append("--live-restore")  # type: ignore[attr-defined]
    try:
        for e in engines.values():
            guarded(f"start {e.name}", e.start, errors)
        listed = list(engines.values())
        if wanted & {"scale", "start"}:
            daemons = [e for e in listed if e.name != "podman"]
            for e in daemons:
                guarded(f"load busybox into {e.name}", lambda e=e: e.load(BUSYBOX), errors)
            got = guarded(f"scale {args.containers}", lambda: bench_scale.scale(
                daemons, args.containers, args.reps), errors)  # fmt: skip
            if got:
                results["scale"] = got
                rows += bench_scale.rows(got, args.containers)
        if wanted & {"pull", "push"}:
            got = guarded("pull and push", lambda: bench_distribution.pull_push(
                listed, args.reps, args.big_mib, wanted & {"pull", "push"}), errors)  # fmt: skip
            if got:
                results["distribution"] = got
                rows += bench_distribution.rows(got)
        if "build" in wanted:
            got = guarded("build", lambda: bench_imagebuild.builds(
                listed, args.reps, not args.no_nginx), errors)  # fmt: skip
            if got:
                results["build"] = got
                rows += bench_imagebuild.rows(got)
    finally:
        for e in engines.values():
            guarded(f"stop and clean {e.name}", e.stop, errors)
    return rows


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("bench/run more needs root (it starts container engines)")
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    results: dict = {"started_at": stamp, "host": host_info(), "args": vars(args), "errors": []}
    t0 = time.monotonic()
    rows = run(args, results)
    results["duration_s"] = time.monotonic() - t0
    results["goals"] = report.goals_summary(rows)
    table = report.render(rows, [])
    (RESULTS / f"more-{stamp}.json").write_text(json.dumps(results, indent=2, default=str))
    (RESULTS / f"more-{stamp}.txt").write_text(table + "\n")
    print(table)
    for err in results["errors"]:
        print(f"error: {err}")
    print(f"results: {RESULTS / f'more-{stamp}.json'} ({results['duration_s']:.0f} s)")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
