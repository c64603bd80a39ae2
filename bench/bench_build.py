"""Build benchmark: `RUN --mount=type=cache` for a package cache, and a cold build that
reuses a registry cache (`--cache-from type=registry`), on a private dockyardd.

    .venv/bin/python bench/bench_build.py [--packages 30] [--size-kib 1024] [--reps 3]

No internet: a "package mirror" on the bridge's gateway serves generated package files
with a per-request latency and a bandwidth cap (a mirror reached over a network), and the
Dockerfile's RUN fetches them with busybox wget into /var/cache/pkg, as apt/apk/pip do.
A changed build arg invalidates that RUN; the rebuild is timed with the cache mount
(files already in the cache are not fetched) and without it (everything is fetched
again). Then a daemon with an empty store builds the same Dockerfile cold, with and
without --cache-from a registry cache pushed by the first daemon. Docker + BuildKit is
not measured here (no Docker engine runs on this host).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from engines import REPO, Dockyard, log  # noqa: E402

DOCKERFILE = """\
FROM busybox
ARG REV=1
RUN {mount}sh -c 'mkdir -p /opt/pkgs /var/cache/pkg && echo rev $REV && \\
    for i in $(seq 1 {n}); do f=/var/cache/pkg/p$i; \\
      [ -s $f ] || wget -q -O $f http://{mirror}/p$i; cp $f /opt/pkgs/; done{clean}'
RUN ls /opt/pkgs | wc -l
"""


def mirror(host: str, size: int, latency: float, rate: float) -> ThreadingHTTPServer:
    """Generated package files; each answer waits `latency` s and streams at `rate` B/s."""
    blob = os.urandom(size)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            time.sleep(latency)
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            chunk = 64 << 10
            for off in range(0, size, chunk):
                self.wfile.write(blob[off : off + chunk])
                time.sleep(chunk / rate)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def build(engine: Dockyard, ctx: Path, *args: str) -> float:
    t = time.perf_counter()
    proc = subprocess.run(
        engine.argv("build", *args, str(ctx)), env=engine.env, capture_output=True, text=True
    )
    took = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"build failed: {proc.stderr}\n{proc.stdout[-2000:]}")
    return took


def gateway(engine: Dockyard) -> str:
    out = subprocess.run(
        engine.argv("network", "inspect", "bridge"), env=engine.env, capture_output=True, text=True
    ).stdout
    return json.loads(out)[0]["IPAM"]["Config"][0]["Gateway"]


def fresh_engine() -> Dockyard:
    engine = Dockyard()
    engine.start()
    engine.load(REPO / "images" / "out" / "busybox.tar")
    return engine


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--packages", type=int, default=30)
    ap.add_argument("--size-kib", type=int, default=1024)
    ap.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    ap.add_argument("--rate-mib", type=float, default=20.0, help="MiB/s per download")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    work = Path("/tmp/bench-build")
    subprocess.run(["rm", "-rf", str(work)], check=True)
    results: dict[str, object] = {"packages": args.packages, "size_kib": args.size_kib,
                                  "latency_s": args.latency, "rate_mib_s": args.rate_mib}  # fmt: skip
    engine = fresh_engine()
    try:
        server = mirror(
            gateway(engine), args.size_kib << 10, args.latency, args.rate_mib * (1 << 20)
        )
        where = f"{server.server_address[0]}:{server.server_address[1]}"
        variants = {
            "cache-mount": ("--mount=type=cache,target=/var/cache/pkg ", ""),
            "no-cache-mount": ("", " && rm -rf /var/cache/pkg"),
        }
        for name, (mount, clean) in variants.items():
            ctx = work / name
            ctx.mkdir(parents=True)
            (ctx / "Dockerfile").write_text(
                DOCKERFILE.format(mount=mount, n=args.packages, mirror=where, clean=clean)
            )
            build(engine, ctx, "--build-arg", "REV=0", "-t", f"bench/{name}")  # warm: cold fetch
            times = [
                build(engine, ctx, "--build-arg", f"REV={rev}", "-t", f"bench/{name}")
                for rev in range(1, args.reps + 1)
            ]
            results[f"rebuild_{name}_s"] = statistics.median(times)
            log(
                f"{name}: rebuild after an invalidating change, median {statistics.median(times):.2f}s {times}"
            )
        ratio = results["rebuild_no-cache-mount_s"] / results["rebuild_cache-mount_s"]  # type: ignore[operator]
        results["cache_mount_speedup"] = ratio
        log(f"the cache mount makes the rebuild {ratio:.1f}x faster")
        server.shutdown()
        results.update(registry_cache(engine, work, args))
        engine = None  # type: ignore[assignment]
    finally:
        if engine is not None:
            engine.stop()
    out = REPO / "bench" / "results" / f"bench-build-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


def registry_cache(first: Dockyard, work: Path, args: argparse.Namespace) -> dict[str, float]:
    """Cold builds on a daemon with an empty store, with and without a registry cache."""
    from testing.registry_server import RegistryServer

    reg = RegistryServer(work / "registry").start()
    ctx = work / "cold"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(
        "FROM busybox\n"
        f"RUN dd if=/dev/urandom of=/blob bs=1M count=64 2>/dev/null && sleep {args.latency * args.packages:.1f}\n"
        "RUN sha256sum /blob > /blob.sum\n"
    )
    ref = f"{reg.host}/bench/cache:latest"
    try:
        build(first, ctx, "--cache-to", f"type=registry,ref={ref}", "-t", "bench/cold")
        first.stop()
        cold_none, cold_cache = [], []
        for _ in range(args.reps):
            engine = fresh_engine()
            try:
                cold_none.append(build(engine, ctx, "-t", "bench/cold"))
            finally:
                engine.stop()
            engine = fresh_engine()
            try:
                cold_cache.append(
                    build(
                        engine, ctx, "--cache-from", f"type=registry,ref={ref}", "-t", "bench/cold"
                    )
                )
            finally:
                engine.stop()
        log(f"cold build, empty store: {statistics.median(cold_none):.2f}s without a cache, "
            f"{statistics.median(cold_cache):.2f}s with --cache-from a registry")  # fmt: skip
        return {"cold_no_cache_s": statistics.median(cold_none),
                "cold_registry_cache_s": statistics.median(cold_cache)}  # fmt: skip
    finally:
        reg.stop()


if __name__ == "__main__":
    main()
