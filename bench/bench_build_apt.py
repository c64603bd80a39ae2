"""Build benchmark with real packages: `apt-get install` from the Debian mirror with the
package cache on `RUN --mount=type=cache` (docker-clean disabled, as Docker's docs show),
against the same Dockerfile without the cache mount, and a cold build on a daemon with an
empty store that reuses a registry cache (`--cache-from type=registry`).

    .venv/bin/python bench/bench_build_apt.py [--packages "git curl"] [--reps 3]
        [--rate-mib 8] [--docker]

The rebuild after a change that invalidates the install step is timed with and without
the cache mount: with it, apt finds every .deb (and the package lists) in the cache and
downloads nothing. This host's Debian mirror is local (hundreds of MiB/s), so downloads
cost little; `--rate-mib N` sends apt through a proxy on the bridge's gateway that
streams at N MiB/s, as a mirror across a network would (0: straight to the mirror). `--docker` also times the no-mount Dockerfile on a private dockerd 20.10
(its classic builder; BuildKit needs buildx, which this host lacks: RUN --mount cannot run
on Docker here). Results go to bench/results/bench-build-apt-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from engines import REPO, Docker, Dockyard, Engine, log  # noqa: E402

MIRROR = "deb.debian.org"
SETUP = (
    "FROM debian:12\n"
    "RUN rm -f /etc/apt/apt.conf.d/docker-clean /etc/apt/sources.list.d/debian.sources && \\\n"
    "    echo 'Binary::apt::APT::Keep-Downloaded-Packages \"true\";' "
    "> /etc/apt/apt.conf.d/keep-cache && \\\n"
    f"    echo 'deb http://{MIRROR}/debian bookworm main' > /etc/apt/sources.list\n"
    "ARG REV=1\n"
)
PROXY = "RUN echo 'Acquire::http::Proxy \"http://{proxy}\";' > /etc/apt/apt.conf.d/proxy\n"
WITH_MOUNT = (
    "RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\\n"
    "    --mount=type=cache,target=/var/lib/apt,sharing=locked \\\n"
    "    echo rev $REV && apt-get update -q && \\\n"
    "    apt-get install -y -q --no-install-recommends {packages}\n"
)
WITHOUT = (
    "RUN echo rev $REV && apt-get update -q && \\\n"
    "    apt-get install -y -q --no-install-recommends {packages} && \\\n"
    "    apt-get clean && rm -rf /var/lib/apt/lists/*\n"
)


class _Dockyard(Dockyard):
    """A dockyardd in directories of this bench's own: bench/run's engines use the shared
    ones, and a bench started meanwhile would take ours for leftovers and stop it."""

    def __init__(self) -> None:
        super().__init__()
        self.base = Path("/tmp/bench-apt-dockyard")
        self.exec_root = Path("/tmp/bench-apt-dockyard-exec")
        self.socket = self.base / "d.sock"
        self.host = f"unix://{self.socket}"
        self.env.update(DOCKYARD_HOST=self.host, DOCKER_HOST=self.host)
        self.env["PYTHONPYCACHEPREFIX"] = str(self.base / "pycache")


class _Docker(Docker):
    def __init__(self) -> None:
        super().__init__()
        self.data_root = Path("/tmp/bench-apt-docker")
        self.exec_root = Path("/tmp/bench-apt-docker-exec")
        self.socket = Path("/tmp/bench-apt-docker.sock")
        self.pidfile = Path("/tmp/bench-apt-docker.pid")
        self.logfile = Path("/tmp/bench-apt-docker.log")
        self.bridge = "dkaptbench0"
        self.env["DOCKER_HOST"] = f"unix://{self.socket}"


def build(engine: Engine, ctx: Path, *args: str) -> tuple[float, str]:
    t = time.perf_counter()
    proc = subprocess.run(
        engine.argv("build", *args, str(ctx)), env=engine.env, capture_output=True, text=True
    )
    took = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"build failed: {proc.stderr}\n{proc.stdout[-3000:]}")
    return took, proc.stdout


def fresh(engine: Engine) -> Engine:
    engine.start()
    engine.load(REPO / "images" / "out" / "debian.tar")
    return engine


def throttling_proxy(host: str, rate: float) -> ThreadingHTTPServer:
    """apt's HTTP proxy: forwards each GET to the mirror and streams the answer at `rate`
    bytes a second (a mirror across a network)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            headers = {
                k: v
                for k, v in self.headers.items()
                if k.lower() not in ("host", "proxy-connection")
            }
            req = urllib.request.Request(self.path, headers=headers)
            try:
                resp = urllib.request.urlopen(req, timeout=60)
            except urllib.error.HTTPError as exc:
                resp = exc
            self.send_response(resp.status)
            for key, value in resp.headers.items():
                if key.lower() not in ("connection", "transfer-encoding"):
                    self.send_header(key, value)
            self.end_headers()
            chunk = 64 << 10
            while data := resp.read(chunk):
                t = time.perf_counter()
                self.wfile.write(data)
                time.sleep(max(0.0, len(data) / rate - (time.perf_counter() - t)))

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def gateway(engine: Engine) -> str:
    out = subprocess.run(
        engine.argv("network", "inspect", "bridge"), env=engine.env, capture_output=True, text=True
    ).stdout
    return json.loads(out)[0]["IPAM"]["Config"][0]["Gateway"]


def context(work: Path, name: str, step: str, packages: str, proxy: str) -> Path:
    ctx = work / name
    ctx.mkdir(parents=True)
    setup = SETUP + (PROXY.format(proxy=proxy) if proxy else "")
    (ctx / "Dockerfile").write_text(setup + step.format(packages=packages))
    return ctx


def rebuilds(
    engine: Engine, ctxs: dict[str, Path], host: str, reps: int, *extra: str
) -> dict[str, tuple[list[float], int]]:
    """For each context: a first build fills the cache, then each rep changes REV (the
    step reruns). The contexts alternate rep by rep, so both see the same load on a busy
    host. {name: (times, files apt fetched in the last rebuild)}"""
    add = ["--add-host", host, "-t", "bench/apt", *extra]
    for ctx in ctxs.values():
        build(engine, ctx, "--build-arg", "REV=0", *add)
    got: dict[str, tuple[list[float], int]] = {name: ([], 0) for name in ctxs}
    for r in range(1, reps + 1):
        for name, ctx in ctxs.items():
            took, out = build(engine, ctx, "--build-arg", f"REV={r}", *add)
            fetched = sum(1 for line in out.splitlines() if line.startswith("Get:"))
            got[name] = ([*got[name][0], took], fetched)
    return got


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--packages", default="git curl python3")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--rate-mib", type=float, default=0.0, help="apt through a proxy at N MiB/s")
    ap.add_argument("--no-cold", action="store_true", help="skip the registry-cache cold builds")
    ap.add_argument("--docker", action="store_true", help="also time dockerd 20.10 (no mount)")
    args = ap.parse_args()
    host = f"{MIRROR}:{socket.gethostbyname(MIRROR)}"
    work = Path("/tmp/bench-build-apt")
    shutil.rmtree(work, ignore_errors=True)
    res: dict[str, object] = {
        "packages": args.packages,
        "reps": args.reps,
        "rate_mib": args.rate_mib,
    }
    engine = fresh(_Dockyard())
    proxy = None
    try:
        where = ""
        if args.rate_mib:
            proxy = throttling_proxy("0.0.0.0", args.rate_mib * (1 << 20))
            where = f"{gateway(engine)}:{proxy.server_address[1]}"
        with_mount = context(work, "mount", WITH_MOUNT, args.packages, where)
        without = context(work, "nomount", WITHOUT, args.packages, where)
        both = {"cache-mount": with_mount, "no-cache-mount": without}
        for name, (times, fetched) in rebuilds(engine, both, host, args.reps).items():
            res[f"rebuild_{name}_s"] = statistics.median(times)
            res[f"rebuild_{name}_fetched"] = fetched
            log(f"dockyard {name}: rebuild after an invalidating change {times}, {fetched} fetched")
        speedup = res["rebuild_no-cache-mount_s"] / res["rebuild_cache-mount_s"]  # type: ignore[operator]
        res["cache_mount_speedup"] = round(speedup, 2)
        log(f"dockyard: the cache mount makes the rebuild {speedup:.2f}x faster")
        # straight to the mirror: each new daemon's bridge (the proxy's address) differs
        if not args.no_cold:
            cold = context(work, "cold", WITHOUT, args.packages, "")
            res.update(registry_cache(engine, work, cold, host, args.reps))
        if args.docker:
            try:
                res.update(
                    docker_classic(work, host, args, proxy.server_address[1] if proxy else 0)
                )
            except RuntimeError as exc:
                res["docker_classic_error"] = str(exc)[:300]
                log(f"docker: {exc}")
    finally:
        engine.stop()  # registry_cache stopped it already: a no-op then
        if proxy is not None:
            proxy.shutdown()
    out = REPO / "bench" / "results" / f"bench-build-apt-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(res, indent=2))
    print(json.dumps(res, indent=2))


def docker_classic(work: Path, host: str, args: argparse.Namespace, port: int) -> dict[str, object]:
    """dockerd 20.10's classic builder on the no-mount Dockerfile. Its bench daemon runs
    without iptables (no NAT): its builds use the host's network, the proxy on loopback."""
    docker = fresh(_Docker())
    out: dict[str, object] = {}
    proxy = f"127.0.0.1:{port}" if port else ""
    try:
        without = context(work, "docker-nomount", WITHOUT, args.packages, proxy)
        times = rebuilds(docker, {"x": without}, host, args.reps, "--network", "host")["x"][0]
        out["docker_classic_rebuild_no-cache-mount_s"] = statistics.median(times)
        log(f"docker 20.10 classic builder, no cache mount: {times}")
        with_mount = context(work, "docker-mount", WITH_MOUNT, args.packages, proxy)
        try:
            build(docker, with_mount, "--add-host", host, "--network", "host")
        except RuntimeError as exc:
            out["docker_classic_cache_mount"] = str(exc).splitlines()[0][:200]  # its stderr
    finally:
        docker.stop()
    return out


def registry_cache(first: Engine, work: Path, ctx: Path, host: str, reps: int) -> dict[str, object]:
    """Cold builds on a daemon with an empty store, without and with a registry cache the
    first daemon exported (mode=max)."""
    from testing.registry_server import RegistryServer

    reg = RegistryServer(work / "registry").start()
    ref = f"{reg.host}/bench/apt-cache:latest"
    add = ["--add-host", host, "--build-arg", "REV=cold", "-t", "bench/cold"]
    try:
        build(first, ctx, *add, "--cache-to", f"type=registry,ref={ref},mode=max")
        first.stop()  # the next daemons use the same bench directories
        cold_none, cold_cache, reran = [], [], 0
        for _ in range(reps):
            for kind in ("none", "cache"):
                engine = fresh(_Dockyard())
                try:
                    extra = ["--cache-from", f"type=registry,ref={ref}"] if kind == "cache" else []
                    took, out = build(engine, ctx, *add, *extra)
                finally:
                    engine.stop()
                if kind == "cache":
                    cold_cache.append(took)
                    reran += out.count(" ---> Running in")
                else:
                    cold_none.append(took)
        log(f"cold build, empty store: {cold_none} without a cache, {cold_cache} with "
            f"--cache-from a registry ({reran} RUN steps ran)")  # fmt: skip
        return {"cold_no_cache_s": statistics.median(cold_none),
                "cold_registry_cache_s": statistics.median(cold_cache),
                "cold_registry_cache_runs": reran}  # fmt: skip
    finally:
        reg.stop()


if __name__ == "__main__":
    main()
