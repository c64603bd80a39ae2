"""Image routes against a real dockyardd, checked with the docker CLI and docker-py."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import daemon_harness  # noqa: E402
from testing.images import classic_archive, image_config, layer  # noqa: E402

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker CLI"),
]

L1 = layer(("bin/hello", b"hello"), ("etc/os-release", b"ID=test"))
L2 = layer(("app/run", b"run"))


@pytest.fixture(scope="module")
def dyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    d = daemon_harness.TestDaemon(Path(tmp_path_factory.mktemp("dyimg")))
    try:
        d.start()
        yield d
    finally:
        d.stop()


@pytest.fixture(scope="module")
def busybox_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = daemon_harness.IMAGES_OUT / "busybox.tar"
    if path.exists():
        return path
    made = Path(tmp_path_factory.mktemp("arch")) / "busybox.tar"
    made.write_bytes(classic_archive([(image_config([L1, L2]), [L1, L2], ["busybox:latest"])]))
    return made


def docker(d: Any, *args: str, input: bytes | None = None, check: bool = True) -> str:
    proc = subprocess.run(
        ["docker", *args], env=d.env, input=input, capture_output=True, timeout=120
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)}: {proc.stderr.decode()}")
    return proc.stdout.decode() + proc.stderr.decode()


def store_state(d: Any) -> tuple[list[str], list[str], str]:
    blobs = sorted(p.name for p in (d.root / "blobs" / "sha256").iterdir())
    layers = sorted(p.name for p in (d.root / "layers").iterdir())
    return blobs, layers, docker(d, "images", "-a", "--no-trunc")


def test_load_list_inspect(dyd: Any, busybox_tar: Path) -> None:
    out = docker(dyd, "load", "-i", str(busybox_tar))
    assert "Loaded image: busybox:latest" in out
    listing = docker(dyd, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
    assert "busybox:latest" in listing
    doc = json.loads(docker(dyd, "image", "inspect", "busybox"))[0]
    assert doc["Id"].startswith("sha256:") and doc["RepoTags"] == ["busybox:latest"]
    assert doc["GraphDriver"]["Name"] == "overlay2"
    assert Path(doc["GraphDriver"]["Data"]["UpperDir"]).is_dir()
    assert doc["RootFS"]["Type"] == "layers" and doc["RootFS"]["Layers"]
    assert doc["Os"] == "linux" and doc["Config"]["Cmd"]
    hist = docker(dyd, "history", "--no-trunc", "--format", "{{.ID}}", "busybox").split()
    assert hist[0] == doc["Id"]
    err = docker(dyd, "image", "inspect", "nope", check=False)
    assert "No such image: nope:latest" in err


def test_tag_rmi_and_conflicts(dyd: Any, busybox_tar: Path) -> None:
    docker(dyd, "load", "-i", str(busybox_tar))
    docker(dyd, "tag", "busybox", "localhost:5000/bb:v1")
    docker(dyd, "tag", "busybox", "other")
    tags = docker(dyd, "images", "--format", "{{.Repository}}:{{.Tag}}").split()
    assert {"busybox:latest", "localhost:5000/bb:v1", "other:latest"} <= set(tags)
    assert docker(dyd, "rmi", "other").strip() == "Untagged: other:latest"
    out = docker(dyd, "rmi", "localhost:5000/bb:v1")
    assert "Untagged: localhost:5000/bb:v1" in out and "Deleted" not in out
    err = docker(dyd, "tag", "busybox", "bad@name", check=False)
    assert "Error" in err or "invalid" in err.lower()


def test_save_load_round_trip(dyd: Any, busybox_tar: Path, tmp_path: Path) -> None:
    docker(dyd, "load", "-i", str(busybox_tar))
    image_id = docker(dyd, "image", "inspect", "-f", "{{.Id}}", "busybox").strip()
    saved = subprocess.run(
        ["docker", "save", "busybox"], env=dyd.env, capture_output=True, check=True
    ).stdout
    names = tarfile.open(fileobj=io.BytesIO(saved)).getnames()
    assert "manifest.json" in names and "index.json" in names
    docker(dyd, "rmi", "busybox")
    assert image_id not in docker(dyd, "images", "-a", "--no-trunc")
    out = docker(dyd, "load", input=saved)
    assert "Loaded image: busybox:latest" in out
    assert docker(dyd, "image", "inspect", "-f", "{{.Id}}", "busybox").strip() == image_id
    # gzip-compressed archives load too
    import gzip

    docker(dyd, "rmi", "busybox")
    assert "Loaded image: busybox:latest" in docker(dyd, "load", input=gzip.compress(saved))


def test_corrupt_load_changes_nothing(dyd: Any) -> None:
    before = store_state(dyd)
    cfg = image_config([L1, L2], cmd=["corrupt"])
    bad = classic_archive([(cfg, [L1, layer(("app/run", b"tampered"))], ["corrupt:1"])])
    # dockerd reports a failed load in the stream (no "Error response from daemon")
    err = docker(dyd, "load", input=bad, check=False)
    assert "does not match its diff ID" in err
    truncated = classic_archive([(cfg, [L1, L2], ["corrupt:1"])])[:3000]
    assert "Error processing tar file" in docker(dyd, "load", input=truncated, check=False)
    assert store_state(dyd) == before


def test_import_and_history(dyd: Any, tmp_path: Path) -> None:
    rootfs = tmp_path / "rootfs"
    (rootfs / "bin").mkdir(parents=True)
    (rootfs / "bin" / "hello").write_text("hi")
    tgz = tmp_path / "rootfs.tgz"
    subprocess.run(["tar", "-C", str(rootfs), "-czf", str(tgz), "."], check=True)
    out = docker(dyd, "import", "-c", 'CMD ["/bin/hello"]', "-m", "imported", str(tgz), "imp:1")
    assert out.strip().startswith("sha256:")
    doc = json.loads(docker(dyd, "image", "inspect", "imp:1"))[0]
    assert doc["Config"]["Cmd"] == ["/bin/hello"] and doc["Comment"] == "imported"
    assert "imported" in docker(dyd, "history", "imp:1")
    docker(dyd, "rmi", "imp:1")


def test_docker_py(dyd: Any, busybox_tar: Path) -> None:
    docker_mod = pytest.importorskip("docker")
    client = docker_mod.DockerClient(base_url=dyd.host)
    with open(busybox_tar, "rb") as f:
        (img,) = client.images.load(f.read())
    assert "busybox:latest" in img.tags
    img.tag("pyrepo", "t1")
    assert client.images.get("pyrepo:t1").id == img.id
    data = b"".join(img.save(named=True))
    client.images.remove("pyrepo:t1")
    with pytest.raises(docker_mod.errors.ImageNotFound):
        client.images.get("pyrepo:t1")
    assert [i.id for i in client.images.load(data)] == [img.id]
    assert client.api.history("busybox")[0]["Id"] == img.id
    assert any(i.id == img.id for i in client.images.list())
    assert client.images.prune()["SpaceReclaimed"] >= 0
    assert client.df()["LayersSize"] > 0
    with pytest.raises(docker_mod.errors.APIError):
        client.images.pull("no-such-image-anywhere")


def test_recovery_cleans_leftovers(dyd: Any, busybox_tar: Path) -> None:
    docker(dyd, "load", "-i", str(busybox_tar))
    before = store_state(dyd)
    dyd.kill(9)
    (dyd.root / "blobs" / "ingest" / "ingest-crash").write_bytes(b"half")
    (dyd.root / "layers" / "staging" / "crash" / "diff").mkdir(parents=True)
    (dyd.root / "layers" / ("f" * 64) / "diff").mkdir(parents=True)
    (dyd.root / "blobs" / "sha256" / ("e" * 64)).write_bytes(b"orphan")
    dyd.start()
    assert store_state(dyd) == before
    assert list((dyd.root / "blobs" / "ingest").iterdir()) == []
    assert list((dyd.root / "layers" / "staging").iterdir()) == []


def test_commit_and_forced_rmi_with_container(dyd: Any, busybox_tar: Path) -> None:
    docker(dyd, "load", "-i", str(busybox_tar))
    created = subprocess.run(
        ["docker", "create", "--name", "imgtest-c", "busybox", "sh"],
        env=dyd.env,
        capture_output=True,
    )
    if created.returncode != 0:
        pytest.skip(f"containers not available: {created.stderr.decode()}")
    try:
        image_id = docker(dyd, "image", "inspect", "-f", "{{.Id}}", "busybox").strip()
        out = docker(dyd, "commit", "-c", "ENV X=1", "-m", "msg", "imgtest-c", "committed:1")
        new_id = out.strip()
        doc = json.loads(docker(dyd, "image", "inspect", "committed:1"))[0]
        assert doc["Id"] == new_id and doc["Parent"] == image_id and "X=1" in doc["Config"]["Env"]
        err = docker(dyd, "rmi", "busybox", check=False)
        assert "must force" in err and "is using its referenced image" in err
        docker(dyd, "rmi", "committed:1")
        out = docker(dyd, "rmi", "-f", "busybox")
        assert "Untagged: busybox:latest" in out
        assert "busybox" not in docker(dyd, "images")
        # the container keeps its image's layers
        ctr = json.loads(docker(dyd, "inspect", "imgtest-c"))[0]
        for lower in ctr["GraphDriver"]["Data"]["LowerDir"].split(":"):
            assert Path(lower).is_dir()
    finally:
        docker(dyd, "rm", "-f", "imgtest-c", check=False)


def test_push_and_pull_without_registry(dyd: Any, busybox_tar: Path) -> None:
    docker(dyd, "load", "-i", str(busybox_tar))
    out = docker(dyd, "pull", "busybox")
    assert "Status: Image is up to date for busybox:latest" in out
    err = docker(dyd, "pull", "no-such-image-here", check=False)
    assert "Error response from daemon" in err
    docker(dyd, "tag", "busybox", "localhost:5999/bb:1")
    err = docker(dyd, "push", "localhost:5999/bb:1", check=False)
    assert "The push refers to repository [localhost:5999/bb]" in err
    err = docker(dyd, "push", "localhost:5999/nothing:1", check=False)
    assert "An image does not exist locally with the tag: localhost:5999/nothing" in err
