"""build --cache-to/--cache-from type=registry|local: a second daemon with an empty store
reuses the first one's steps through a registry or a cache directory."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from daemon_harness import TestDaemon  # noqa: E402
from testing.registry_server import REGISTRY_BIN, RegistryServer  # noqa: E402

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]

DOCKERFILE = (
    "FROM busybox\nENV STAGE=cache\n"
    "RUN echo expensive-step && dd if=/dev/urandom of=/blob bs=1k count=64 2>/dev/null\n"
    "COPY app.txt /app.txt\nRUN echo second-step > /second\n"
)


@pytest.fixture
def other_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDaemon]:
    """A second daemon with an empty store (busybox only): another CI machine."""
    d = TestDaemon(Path(tmp_path_factory.mktemp("dyd2")))
    try:
        d.start()
        d.load_image("busybox")
        yield d
    finally:
        d.stop()


def build(daemon: Any, ctx: Path, *args: str) -> Any:
    ctx.mkdir(parents=True, exist_ok=True)
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    (ctx / "app.txt").write_text("app\n")
    return daemon.cli("build", *args, str(ctx), timeout=180)


def blob_of(daemon: Any, image: str) -> str:
    return daemon.cli("run", "--rm", image, "md5sum", "/blob").stdout.split()[0]


@pytest.mark.skipif(not os.path.exists(REGISTRY_BIN), reason="needs docker-registry")
def test_registry_cache_reused_by_a_daemon_with_an_empty_store(
    daemon: Any, other_daemon: TestDaemon, tmp_path: Path
) -> None:
    reg = RegistryServer(tmp_path / "reg").start()
    try:
        ref = f"{reg.host}/cache/app:buildcache"
        first = build(
            daemon, tmp_path / "a", "-t", "ce/app", "--cache-to", f"type=registry,ref={ref}"
        )
        assert first.returncode == 0, first.stderr + first.stdout
        assert "\nexpensive-step\n" in first.stdout
        assert daemon.cli("image", "inspect", ref).returncode != 0  # no tag left behind
        cold = build(
            other_daemon, tmp_path / "b", "-t", "ce/app", "--cache-from", f"type=registry,ref={ref}"
        )
        assert cold.returncode == 0, cold.stderr + cold.stdout
        assert "\nexpensive-step\n" not in cold.stdout  # every step came from the cache
        assert cold.stdout.count(" ---> Using cache") == 4
        assert blob_of(daemon, "ce/app") == blob_of(other_daemon, "ce/app")  # the very layer
        missing = build(
            other_daemon, tmp_path / "c", "--cache-from", f"type=registry,ref={reg.host}/none:x"
        )
        assert missing.returncode == 0 and "WARNING: failed to import cache" in missing.stderr
    finally:
        reg.stop()
        daemon.cli("rmi", "ce/app")


def test_local_cache_directory(daemon: Any, other_daemon: TestDaemon, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = build(
        daemon, tmp_path / "a", "-t", "ce/local", "--cache-to", f"type=local,dest={cache}"
    )
    assert first.returncode == 0, first.stderr
    assert (cache / "index.json").is_file() and (cache / "blobs" / "sha256").is_dir()
    cold = build(
        other_daemon, tmp_path / "b", "-t", "ce/local", "--cache-from", f"type=local,src={cache}"
    )
    assert cold.returncode == 0, cold.stderr + cold.stdout
    assert "\nexpensive-step\n" not in cold.stdout and cold.stdout.count(" ---> Using cache") == 4
    bad = build(other_daemon, tmp_path / "c", "--cache-to", "type=gha")
    assert bad.returncode == 1 and 'cache type "gha" is not supported' in bad.stderr
    shutil.rmtree(cache)
    daemon.cli("rmi", "ce/local")
