"""Pull and push against a private docker-registry, dockyard beside Docker and podman.

Images: bigimage.py's ~600 MB of incompressible data in 7 layers, and the mysql image of
images/out (a Debian base and a server layer: many small files). A source registry on a
free loopback port is filled once; each repetition then pulls every image into a cold
store (the engine's images all removed first) and pushes it to a registry started empty
for that push. Engines take turns within a repetition, so load drift hits them alike.
Both registries are private to the bench and removed afterwards.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from engines import REPO, Engine, log
from measure import Sample, quiet_disk, run_timed
from report import Row

sys.path.insert(0, str(REPO / "tests"))

from testing.registry_server import RegistryServer  # noqa: E402

WORK = Path("/tmp/bench-distribution")
MYSQL = REPO / "images" / "out" / "mysql.tar"


def registry_flags(engine: Engine) -> list[str]:
    """podman needs --tls-verify=false for plain http; dockerd and dockyardd treat
    127.0.0.0/8 as insecure by default."""
    return ["--tls-verify=false"] if engine.name == "podman" else []


def images_to_bench(big_mib: int) -> dict[str, tuple[Path, str]]:
    """label -> (archive, the reference it loads as)."""
    import bigimage

    out = {f"big {big_mib} MiB": (bigimage.make(big_mib), bigimage.REF)}
    if MYSQL.exists():
        out["mysql"] = (MYSQL, "mysql:latest")
    return out


def remove_all_images(engine: Engine) -> None:
    ids = subprocess.run(engine.argv("images", "-aq"), env=engine.env, capture_output=True,
                         text=True, timeout=120).stdout.split()  # fmt: skip
    if ids:
        subprocess.run(engine.argv("rmi", "-f", *sorted(set(ids))), env=engine.env,
                       capture_output=True, timeout=600)  # fmt: skip
    left = subprocess.run(engine.argv("images", "-aq"), env=engine.env, capture_output=True,
                          text=True, timeout=120).stdout.split()  # fmt: skip
    if left:
        raise RuntimeError(f"{engine.name}: images left after rmi: {left}")


def must(engine: Engine, *args: str, timeout: float = 900) -> None:
    proc = subprocess.run(engine.argv(*args), env=engine.env, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"{engine.name} {' '.join(args)}: {proc.stderr[-1000:]}")


def fill_source(
    feeder: Engine, images: dict[str, tuple[Path, str]], reg: RegistryServer
) -> dict[str, str]:
    """Push every image to the source registry once; label -> remote reference."""
    remote = {}
    for label, (archive, ref) in images.items():
        must(feeder, "load", "-i", str(archive))
        target = f"{reg.host}/bench/{ref.split('/')[-1]}"
        must(feeder, "tag", ref, target)
        must(feeder, "push", *registry_flags(feeder), target)
        remote[label] = target
    remove_all_images(feeder)
    return remote


def pull_push(
    engines: Sequence[Engine],
    reps: int,
    big_mib: int = 600,
    verbs: set[str] = frozenset({"pull", "push"}),  # type: ignore[assignment]
) -> dict:
    """{"pull": {label: {engine: summary}}, "push": {...}}"""
    images = images_to_bench(big_mib)
    shutil.rmtree(WORK, ignore_errors=True)
    source = RegistryServer(WORK / "source").start()
    results: dict = {"pull": {}, "push": {}, "images": {k: str(v[0]) for k, v in images.items()}}
    try:
        log(f"filling the source registry {source.host} with {', '.join(images)}")
        remote = fill_source(engines[0], images, source)
        pulls = {label: {e.name: Sample() for e in engines} for label in images}
        pushes = {label: {e.name: Sample() for e in engines} for label in images}
        for rep in range(reps):
            for label, target in remote.items() if "pull" in verbs else ():
                for e in engines:
                    remove_all_images(e)
                    quiet_disk()
                    log(f"pull {label} with {e.name} ({rep + 1}/{reps})")
                    pulls[label][e.name].add(run_timed(
                        e.argv("pull", *registry_flags(e), target), e.env, timeout=1800))  # fmt: skip
            for label, (archive, ref) in images.items() if "push" in verbs else ():
                for e in engines:
                    pushes[label][e.name].add(push_once(e, archive, ref, WORK / f"push-{e.name}"))
        for label in images:
            for verb, samples in (("pull", pulls), ("push", pushes)):
                if verb in verbs:
                    results[verb][label] = {n: s.summary() for n, s in samples[label].items()}
    finally:
        source.stop()
        for e in engines:
            try:
                remove_all_images(e)
            except Exception as exc:  # noqa: BLE001 - cleanup goes on
                log(f"cleanup of {e.name}: {exc!r}")
        shutil.rmtree(WORK, ignore_errors=True)
    return results


def push_once(engine: Engine, archive: Path, ref: str, base: Path):
    """Load the image, push it to an empty registry (timed), remove both."""
    remove_all_images(engine)
    must(engine, "load", "-i", str(archive))
    reg = RegistryServer(base).start()
    try:
        target = f"{reg.host}/bench/{ref.split('/')[-1]}"
        must(engine, "tag", ref, target)
        quiet_disk()  # the load's writes are not the push's
        log(f"push {ref} with {engine.name}")
        return run_timed(engine.argv("push", *registry_flags(engine), target),
                         engine.env, timeout=1800)  # fmt: skip
    finally:
        reg.stop()
        remove_all_images(engine)


def rows(results: dict) -> list[Row]:
    out = []
    for verb, goal in (("pull", 0.5), ("push", 0.5)):
        for label, per in (results.get(verb) or {}).items():
            cold = " (cold store)" if verb == "pull" else " (empty registry)"
            out.append(Row(f"5. {verb} {label}{cold}", "s", per, goal))
    return out
