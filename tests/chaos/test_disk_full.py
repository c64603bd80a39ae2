"""A full disk under the data root (a small tmpfs): pulls, builds, loads and container logs
fail with an error line, leave nothing half-written (no ingest or staging file, no image,
no layer, `system check` finds nothing), and the daemon keeps serving; once space is
back, everything works again."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_harness import IMAGES_OUT, TestDaemon
from testing.registry_server import REGISTRY_BIN, RegistryServer

pytestmark = [
    pytest.mark.integration,
    pytest.mark.chaos,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(not Path(REGISTRY_BIN).exists(), reason="needs docker-registry"),
]

DISK = "48m"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestDaemon, str]]:
    """A daemon whose data root is a tmpfs of DISK, and a registry holding an image too big
    for what is left once the disk is filled."""
    base = Path(tmp_path_factory.mktemp("full"))
    reg = RegistryServer(base / "reg").start()
    d = TestDaemon(base / "d")
    d.root.mkdir(parents=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK}", "dyfull", str(d.root)], check=True
    )
    try:
        d.start()
        d.load_image("busybox")
        ctx = base / "big"
        ctx.mkdir()
        (ctx / "Dockerfile").write_text("FROM busybox\nRUN head -c 6000000 /dev/urandom > /big\n")
        ref = f"{reg.host}/full/big:1"
        assert d.cli("build", "-q", "-t", ref, str(ctx)).returncode == 0
        assert d.cli("push", ref).returncode == 0
        assert d.cli("rmi", ref).returncode == 0
        yield d, ref
    finally:
        d.stop()
        subprocess.run(["umount", "-l", str(d.root)], capture_output=True)
        reg.stop()


@pytest.fixture
def full_disk(small: tuple[TestDaemon, str]) -> Iterator[Path]:
    """Fill what is left of the data root; removed after the test."""
    filler = _fill(small[0])
    try:
        yield filler
    finally:
        filler.unlink(missing_ok=True)


def _fill(d: TestDaemon) -> Path:
    filler = d.root / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True)
    st = os.statvfs(d.root)
    assert st.f_bavail * st.f_frsize < 256 * 1024, "the disk is not full"
    return filler


def _nothing_half_written(d: TestDaemon) -> None:
    for sub in ("blobs/ingest", "layers/staging", "tmp"):
        assert list((d.root / sub).iterdir()) == [], sub
    check = d.cli("system", "check")
    assert check.returncode == 0 and "no problems found" in check.stdout, check.stdout
    assert d.proc is not None and d.proc.poll() is None, "the daemon died"
    assert d.cli("version").returncode == 0


def _failed_cleanly(
    d: TestDaemon, r: subprocess.CompletedProcess[str], enospc: bool = True
) -> None:
    """Exit 1 with an error line (naming ENOSPC when the daemon's own write failed)."""
    assert r.returncode != 0, r.stdout
    assert "Traceback" not in r.stderr and r.stderr.strip(), r.stderr
    assert not enospc or "no space left on device" in (r.stderr + r.stdout).lower(), (
        r.stderr + d.read_log()[-3000:]
    )


def test_pull_on_a_full_disk(small: tuple[TestDaemon, str], full_disk: Path) -> None:
    d, ref = small
    _failed_cleanly(d, d.cli("pull", ref))
    assert d.cli("image", "inspect", ref).returncode != 0
    _nothing_half_written(d)
    full_disk.unlink()
    assert d.cli("pull", "-q", ref).returncode == 0  # space back: it works
    assert d.cli("rmi", ref).returncode == 0


@pytest.mark.parametrize(
    "dockerfile",
    ["FROM busybox\nCOPY blob /blob\n", "FROM busybox\nRUN head -c 30000000 /dev/zero > /f\n"],
    ids=["context", "run"],
)
def test_build_on_a_full_disk(
    small: tuple[TestDaemon, str], full_disk: Path, tmp_path: Path, dockerfile: str
) -> None:
    d, _ = small
    (tmp_path / "Dockerfile").write_text(dockerfile)
    if "COPY" in dockerfile:  # a context too big for the disk
        (tmp_path / "blob").write_bytes(os.urandom(4 << 20))
    else:  # room for the context, not for what RUN writes
        os.truncate(full_disk, full_disk.stat().st_size - (2 << 20))
    r = d.cli("build", "--force-rm", "-t", "full/build:1", str(tmp_path))
    _failed_cleanly(d, r, enospc="COPY" in dockerfile)  # else RUN's own command failed
    assert d.cli("image", "inspect", "full/build:1").returncode != 0
    _nothing_half_written(d)
    # Removing the failed step's container is a database write too: it may have to wait
    # for space, and then goes.
    full_disk.unlink()
    left = d.cli("ps", "-aq").stdout.split()
    assert not left or d.cli("rm", "-f", *left).returncode == 0
    assert d.cli("ps", "-aq").stdout.split() == []
    _nothing_half_written(d)


def test_load_on_a_full_disk(small: tuple[TestDaemon, str], full_disk: Path) -> None:
    d, _ = small
    r = d.cli("load", "-i", str(IMAGES_OUT / "debian.tar"))
    _failed_cleanly(d, r)
    _nothing_half_written(d)


def test_run_on_a_full_disk(small: tuple[TestDaemon, str], full_disk: Path) -> None:
    d, _ = small
    r = d.cli("run", "-d", "--name", "full-run", "busybox", "true")
    _failed_cleanly(d, r)
    d.cli("rm", "-f", "full-run")
    _nothing_half_written(d)


def test_log_writes_on_a_full_disk(small: tuple[TestDaemon, str]) -> None:
    """The disk fills while a container writes its output: the log stops growing, the
    container ends normally, and the daemon serves on."""
    d, _ = small
    r = d.cli(
        "run", "-d", "busybox", "sh", "-c", "sleep 2; head -c 8000000 /dev/zero | od -v; echo done"
    )
    assert r.returncode == 0, r.stderr
    cid = r.stdout.strip()
    filler = _fill(d)
    try:
        assert d.cli("wait", cid).stdout.strip() == "0"
        logs = d.cli("logs", "--tail", "1", cid)
        assert logs.returncode == 0 and "Traceback" not in logs.stderr
        _nothing_half_written(d)
    finally:
        filler.unlink(missing_ok=True)
        assert d.cli("rm", "-f", cid).returncode == 0
    _nothing_half_written(d)
