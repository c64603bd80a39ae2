"""Image builds, dockyard beside Docker's legacy builder and podman (buildah): a cold build
(the built image and its build cache removed first; the base image stays) and a rebuild
with every step cached.

Two contexts, both FROM images/out/debian.tar:
- nginx: images/nginx as it is (apt-get from the Debian mirror, so its time is mostly
  the mirror's); every engine builds with `--network host` (the bench's dockerd has no
  NAT: --iptables=false);
- local: no network, the same kinds of steps (a RUN writing ~25 MB of files, COPY of a
  ~600-file context, a RUN reading them back, metadata).
Docker's BuildKit needs the buildx plugin, which this host's docker CLI lacks: left out.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

from engines import REPO, Engine, log
from measure import Sample, run_timed
from report import Row

WORK = Path("/tmp/bench-imagebuild")
DEBIAN = REPO / "images" / "out" / "debian.tar"
NGINX = REPO / "images" / "nginx"
LOCAL_DOCKERFILE = """\
FROM debian:bookworm
LABEL bench=local
ENV GEN=/opt/gen
RUN set -eux; mkdir -p $GEN; for i in $(seq 1 100); do \\
      head -c 262144 /dev/urandom > $GEN/f$i; done; cp -a /usr/share/doc /opt/doc
COPY ctx/ /opt/ctx/
RUN find /opt -type f | wc -l > /opt/count && cat /opt/count
WORKDIR /opt
CMD ["cat", "/opt/count"]
"""


def local_context() -> Path:
    ctx = WORK / "local"
    if ctx.exists():
        return ctx
    rng = random.Random(15)
    files = ctx / "ctx"
    for d in range(20):
        sub = files / f"d{d}"
        sub.mkdir(parents=True)
        for f in range(30):
            (sub / f"f{f}.txt").write_bytes(rng.randbytes(rng.randint(100, 8000)))
    (ctx / "Dockerfile").write_text(LOCAL_DOCKERFILE)
    return ctx


def build_argv(engine: Engine, tag: str, ctx: Path) -> tuple[list[str], dict[str, str]]:
    env = dict(engine.env)
    if engine.name == "docker":
        env["DOCKER_BUILDKIT"] = "0"  # the legacy builder (no buildx here)
    return engine.argv("build", "--network", "host", "-t", tag, str(ctx)), env


def forget(engine: Engine, tag: str) -> None:
    """The built image, its intermediate images and any build cache."""
    steps = [("rmi", "-f", tag), ("image", "prune", "-f")]
    if engine.name != "podman":  # podman's `builder prune -a` removes every unused image
        steps.append(("builder", "prune", "-af"))
    for args in steps:
        subprocess.run(engine.argv(*args), env=engine.env, capture_output=True, timeout=300)


def builds(engines: list[Engine], reps: int, with_nginx: bool = True) -> dict:
    """{context: {"cold"|"cached": {engine: summary}}}"""
    shutil.rmtree(WORK, ignore_errors=True)
    contexts = {"local": local_context()}
    if with_nginx:
        contexts["nginx"] = NGINX
    for e in engines:
        proc = subprocess.run(e.argv("load", "-i", str(DEBIAN)), env=e.env, capture_output=True,
                              text=True, timeout=600)  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(f"{e.name}: load debian: {proc.stderr[-500:]}")
        if e.name == "podman":  # it names an OCI layout's image localhost/debian
            subprocess.run(e.argv("tag", "localhost/debian:bookworm", "docker.io/library/debian:bookworm"),
                           env=e.env, capture_output=True, timeout=60)  # fmt: skip
    results: dict = {}
    try:
        for name, ctx in contexts.items():
            cold = {e.name: Sample() for e in engines}
            cached = {e.name: Sample() for e in engines}
            tag = f"bench-build-{name}"
            for rep in range(reps):
                for e in engines:
                    forget(e, tag)
                    argv, env = build_argv(e, tag, ctx)
                    log(f"build {name} cold with {e.name} ({rep + 1}/{reps})")
                    t = run_timed(argv, env, timeout=1800, capture=True)
                    if b"Using cache" in t.out:
                        t.rc, t.err = 1, b"cold build used a cache"
                    cold[e.name].add(t)
                    log(f"build {name} cached with {e.name}")
                    cached[e.name].add(run_timed(argv, env, timeout=600))
            results[name] = {"cold": {n: s.summary() for n, s in cold.items()},
                             "cached": {n: s.summary() for n, s in cached.items()}}  # fmt: skip
            for e in engines:
                forget(e, tag)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    return results


def rows(results: dict) -> list[Row]:
    out = []
    for name, per in results.items():
        what = "images/nginx (apt from the mirror)" if name == "nginx" else "local, no network"
        out.append(Row(f"7. build {what}, cold", "s", per["cold"], 1.0))
        out.append(Row(f"7. build {what}, all cached", "s", per["cached"], 1.0))
    return out
