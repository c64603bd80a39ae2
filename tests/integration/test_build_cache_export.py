"""build --cache-to/--cache-from type=registry|local: a second daemon with an empty store
reuses the first one's steps through a registry or a cache directory, written in
BuildKit's cache layout (a manifest whose config is the cache config)."""

from __future__ import annotations

import json
import os
import shutil
import sys
import urllib.request
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


CACHE_CONFIG = "application/vnd.buildkit.cacheconfig.v0"


def registry_get(host: str, path: str, accept: str = "") -> dict[str, Any]:
    req = urllib.request.Request(f"http://{host}/v2/{path}", headers={"Accept": accept})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


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
        man = registry_get(
            reg.host, "cache/app/manifests/buildcache", "application/vnd.oci.image.manifest.v1+json"
        )
        assert man["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
        assert man["config"]["mediaType"] == CACHE_CONFIG
        cfg = registry_get(reg.host, f"cache/app/blobs/{man['config']['digest']}")
        blobs = {d["digest"] for d in man["layers"]}
        assert {x["blob"] for x in cfg["layers"]} == blobs
        assert all(x["annotations"]["diffID"].startswith("sha256:") for x in cfg["layers"])
        with_result = [r for r in cfg["records"] if r.get("layers")]
        assert len(with_result) == len(cfg["layers"])  # a record per layer-making step
        assert all(r["digest"].startswith("sha256:") for r in cfg["records"])
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
        assert missing.returncode == 0 and "WARNING: failed to import cache" in missing.stdout
        index = build(
            daemon, tmp_path / "d", "--cache-to",
            f"type=registry,ref={reg.host}/cache/idx:1,image-manifest=false,oci-mediatypes=false",
        )  # fmt: skip
        assert index.returncode == 0, index.stderr + index.stdout
        lst = registry_get(
            reg.host, "cache/idx/manifests/1",
            "application/vnd.docker.distribution.manifest.list.v2+json",
        )  # fmt: skip
        assert lst["mediaType"] == "application/vnd.docker.distribution.manifest.list.v2+json"
        assert lst["manifests"][-1]["mediaType"] == CACHE_CONFIG
        assert all(
            m["mediaType"] == "application/vnd.docker.image.rootfs.diff.tar.gzip"
            for m in lst["manifests"][:-1]
        )
        again = build(
            other_daemon, tmp_path / "e", "--cache-from", f"type=registry,ref={reg.host}/cache/idx:1"
        )
        assert again.returncode == 0 and "\nexpensive-step\n" not in again.stdout
    finally:
        reg.stop()
        daemon.cli("rmi", "ce/app")


def test_local_cache_directory(daemon: Any, other_daemon: TestDaemon, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = build(
        daemon, tmp_path / "a", "-t", "ce/local", "--cache-to", f"type=local,dest={cache}"
    )
    assert first.returncode == 0, first.stderr
    index = json.loads((cache / "index.json").read_text())
    entry = index["manifests"][0]
    assert entry["annotations"]["org.opencontainers.image.ref.name"] == "latest"
    man = json.loads((cache / "blobs" / entry["digest"].replace(":", "/")).read_text())
    assert man["config"]["mediaType"] == CACHE_CONFIG
    assert all((cache / "blobs" / d["digest"].replace(":", "/")).is_file() for d in man["layers"])
    cold = build(
        other_daemon, tmp_path / "b", "-t", "ce/local", "--cache-from", f"type=local,src={cache}"
    )
    assert cold.returncode == 0, cold.stderr + cold.stdout
    assert "\nexpensive-step\n" not in cold.stdout and cold.stdout.count(" ---> Using cache") == 4
    bad = build(other_daemon, tmp_path / "c", "-t", "ce/bad", "--cache-to", "type=gha")
    assert bad.returncode == 1 and 'unknown cache exporter: "gha"' in bad.stderr
    assert other_daemon.cli("image", "inspect", "ce/bad").returncode != 0
    shutil.rmtree(cache)
    daemon.cli("rmi", "ce/local")


MULTI = (
    "FROM busybox AS tools\nRUN echo builder-step > /x\n"
    "FROM busybox\nCOPY --from=tools /x /x\nRUN echo final-step > /y\n"
)


@pytest.mark.parametrize("mode", ["min", "max"])
def test_mode_max_carries_every_stage(
    daemon: Any, other_daemon: TestDaemon, tmp_path: Path, mode: str
) -> None:
    cache = tmp_path / "cache"
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(MULTI)
    first = daemon.cli(
        "build", "--cache-to", f"type=local,dest={cache},mode={mode}", str(ctx), timeout=180
    )
    assert first.returncode == 0, first.stderr + first.stdout
    cold = other_daemon.cli("build", "--cache-from", f"type=local,src={cache}", str(ctx))
    assert cold.returncode == 0, cold.stderr + cold.stdout
    # min: only the final image's steps; the other stage runs again, and as the classic
    # builder keys COPY --from by the source image, the final stage follows. max: all.
    assert cold.stdout.count(" ---> Running in") == (2 if mode == "min" else 0)
    assert cold.stdout.count(" ---> Using cache") == (0 if mode == "min" else 3)
    shutil.rmtree(cache)
