"""The application images of the tutorial, built by dockyard itself (see images/README.md).

Each one is `dockyard build` of images/<dir>/ (a Dockerfile and the files it copies) on top
of our debian:bookworm, run through a daemon: the one given by --host (scripts/setup passes
the installed daemon, whose build cache then serves the next change), else a private one
started for this run and stopped after it (scripts/test on a fresh clone). The result is
`dockyard save`d to images/out/<dir>.tar, next to a stamp of its inputs: every file of the
directory, the base image's ID and the tags. An up-to-date stamp means no daemon at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
IMAGES = REPO / "images"
DOCKYARD = REPO / ".venv" / "bin" / "dockyard"
BASE = "debian"  # images/out/debian.tar, made by make_images.py
# A dropped connection to the Debian mirror fails an apt step now and then (apt's own
# retries do not cover a refused connect); a second try keeps what the cache already has.
BUILD_ATTEMPTS = 2


@dataclass(frozen=True)
class AppImage:
    name: str  # images/<name>/ and images/out/<name>.tar
    tags: tuple[str, ...]
    version: int = 1  # bump when the way it is built changes for the same inputs


APP_IMAGES = {
    a.name: a
    for a in (
        AppImage("nginx", ("nginx:latest", "nginx:1.22")),
        # One image for both names: MariaDB from Debian is what answers as mysql here.
        AppImage(
            "mysql",
            ("mysql:latest", "mysql:8", "mysql:5.7", "mariadb:latest", "mariadb:10.11"),
        ),
        AppImage("redis", ("redis:latest", "redis:7")),
        AppImage("python", ("python:latest", "python:3", "python:3.11")),
    )
}


def log(msg: str) -> None:
    print(f"make-images: {msg}", file=sys.stderr, flush=True)


def archive_images(tar_path: Path) -> list[tuple[str, list[str]]]:
    """(image ID, tags) of each image in a docker-archive, from its manifest.json."""
    with tarfile.open(tar_path) as tar:
        member = tar.getmember("manifest.json")
        f = tar.extractfile(member)
        assert f is not None
        manifest = json.load(f)
    out = []
    for entry in manifest:
        config = str(entry["Config"])
        digest = config.rsplit("/", 1)[-1].removesuffix(".json")
        out.append((f"sha256:{digest}", list(entry.get("RepoTags") or [])))
    return out


def context_digest(directory: Path) -> str:
    """Hash of every file under `directory`: path, mode bits that matter, content."""
    h = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        rel = path.relative_to(directory).as_posix()
        h.update(f"{rel}\0{path.stat().st_mode & 0o777:o}\0".encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def stamp_for(app: AppImage, base_id: str) -> dict[str, object]:
    return {
        "recipe": app.name,
        "version": app.version,
        "tags": list(app.tags),
        "base": base_id,
        "context": context_digest(IMAGES / app.name),
    }


class Daemon:
    """`dockyard` commands against one daemon."""

    def __init__(self, host: str) -> None:
        self.host = host

    def run(self, *args: str, log_to: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DOCKYARD_HOST": self.host}
        if log_to is None:
            return subprocess.run(
                [str(DOCKYARD), *args], env=env, capture_output=True, text=True
            )
        with open(log_to, "w") as f:
            return subprocess.run(
                [str(DOCKYARD), *args], env=env, stdout=f, stderr=subprocess.STDOUT, text=True
            )

    def image_id(self, ref: str) -> str | None:
        proc = self.run("image", "inspect", "--format", "{{.Id}}", ref)
        return proc.stdout.strip() if proc.returncode == 0 else None

    def ensure_loaded(self, tar_path: Path) -> None:
        """Load the archive unless the store has it; the images its tags named before are
        removed when nothing else uses them (each rebuild would leave ~150 MB behind)."""
        wanted = {tag: image_id for image_id, tags in archive_images(tar_path) for tag in tags}
        before = {tag: self.image_id(tag) for tag in wanted}
        if before == wanted:
            return
        proc = self.run("load", "-q", "-i", str(tar_path))
        if proc.returncode != 0:
            raise SystemExit(f"make-images: loading {tar_path} failed: {proc.stderr.strip()}")
        for old in {i for i in before.values() if i and i not in wanted.values()}:
            if not self.run("image", "inspect", "--format", "{{.RepoTags}}", old).stdout.strip("[]\n"):
                self.run("rmi", old)  # refused (and kept) while a container uses it


@contextlib.contextmanager
def private_daemon() -> Iterator[Daemon]:
    """A daemon of this checkout for the build alone (scripts/test's case); it runs with the
    tests' isolation (own data root, bridge, nft table, address pool) and leaves nothing."""
    sys.path.insert(0, str(REPO / "tests"))
    from daemon_harness import TestDaemon  # type: ignore[import-not-found]

    with tempfile.TemporaryDirectory(prefix="dyd-make-images-") as tmp:
        d = TestDaemon(Path(tmp))
        try:
            d.start()
            yield Daemon(d.host)
        finally:
            d.stop()


def build(app: AppImage, daemon: Daemon, out_dir: Path, stamp: dict[str, object]) -> Path:
    out = out_dir / f"{app.name}.tar"
    started = time.monotonic()
    build_log = out_dir / ".cache" / f"{app.name}.build.log"
    build_log.parent.mkdir(parents=True, exist_ok=True)
    tags = [a for t in app.tags for a in ("-t", t)]
    for attempt in range(1, BUILD_ATTEMPTS + 1):
        log(f"{app.name}: dockyard build {IMAGES / app.name} (log: {build_log})")
        proc = daemon.run("build", *tags, str(IMAGES / app.name), log_to=build_log)
        if proc.returncode == 0:
            break
        tail = build_log.read_text(errors="replace").splitlines()[-25:]
        if attempt == BUILD_ATTEMPTS:
            raise SystemExit(f"make-images: building {app.name} failed:\n" + "\n".join(tail))
        log(f"{app.name}: build failed ({tail[-1] if tail else '?'}); once more")
    partial = out.with_suffix(".tar.partial")
    proc = daemon.run("save", "-o", str(partial), *app.tags)
    if proc.returncode != 0:
        partial.unlink(missing_ok=True)
        raise SystemExit(f"make-images: saving {app.name} failed: {proc.stderr.strip()}")
    os.replace(partial, out)
    (out_dir / f"{app.name}.stamp").write_text(json.dumps(stamp, indent=1) + "\n")
    image_id = daemon.image_id(app.tags[0]) or "?"
    took = time.monotonic() - started
    log(f"{app.name}: wrote {out} ({out.stat().st_size} bytes, image {image_id[7:19]}) in {took:.1f}s")
    return out


FreshCheck = Callable[[Path, Path, dict[str, object]], bool]  # (tar, stamp file, stamp)


def make_app_images(
    names: list[str], out_dir: Path, host: str | None, force: bool, is_fresh: FreshCheck
) -> list[Path]:
    """Build the stale ones among `names` through `host` (or a private daemon)."""
    base_tar = out_dir / f"{BASE}.tar"
    base_id = archive_images(base_tar)[0][0]
    stale = []
    for name in names:
        app = APP_IMAGES[name]
        stamp = stamp_for(app, base_id)
        out = out_dir / f"{name}.tar"
        if not force and is_fresh(out, out_dir / f"{name}.stamp", stamp):
            log(f"{name}: up to date ({out})")
        else:
            stale.append((app, stamp))
    if not stale:
        return [out_dir / f"{n}.tar" for n in names]
    with contextlib.ExitStack() as stack:
        daemon = Daemon(host) if host else stack.enter_context(private_daemon())
        daemon.ensure_loaded(base_tar)
        for app, stamp in stale:
            build(app, daemon, out_dir, stamp)
    return [out_dir / f"{n}.tar" for n in names]
