"""The periodic log rotation check: a stat per running container, the log's path read once."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.containers.runtime_adapter import RuntimeAdapter, rotate_at


@pytest.fixture
def adapter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[RuntimeAdapter, list, list]:
    a = RuntimeAdapter(tmp_path / "exec", {"runc": "/bin/true"}, "runc")
    log = tmp_path / "ctr.log"
    log.write_bytes(b"")
    reads: list[str] = []
    rotations: list[tuple[str, int, int]] = []

    def log_path(cid: str) -> Path:
        reads.append(cid)
        return log

    monkeypatch.setattr(a.primary, "log_path", log_path)
    monkeypatch.setattr(
        a.primary, "rotate_log_if_needed", lambda cid, size, n: rotations.append((cid, size, n))
    )
    return a, reads, rotations


OPTS = {"max-size": "1k", "max-file": "3"}


def test_small_log_is_left_and_its_path_read_once(adapter, tmp_path: Path) -> None:
    a, reads, rotations = adapter
    for _ in range(3):
        a.rotate_logs("c1", OPTS)
    assert reads == ["c1"]
    assert rotations == []


def test_full_log_is_rotated(adapter, tmp_path: Path) -> None:
    a, _reads, rotations = adapter
    (tmp_path / "ctr.log").write_bytes(b"x" * 1024)
    a.rotate_logs("c1", OPTS)
    assert rotations == [("c1", rotate_at(1024), 3)]


def test_one_file_means_no_rotation(adapter, tmp_path: Path) -> None:
    a, reads, rotations = adapter
    (tmp_path / "ctr.log").write_bytes(b"x" * 4096)
    a.rotate_logs("c1", {"max-size": "1k", "max-file": "1"})
    assert reads == [] and rotations == []


def test_delete_forgets_the_path(adapter, monkeypatch: pytest.MonkeyPatch) -> None:
    a, reads, _rotations = adapter
    monkeypatch.setattr(a.primary, "delete", lambda cid, force=False: None)
    a.rotate_logs("c1", OPTS)
    a.delete("c1", force=True)
    a.rotate_logs("c1", OPTS)
    assert reads == ["c1", "c1"]
