"""A commit's layer is flushed after its row commits: marked with the boot ID until then;
recovery trusts it within the same boot and unpacks it again from its blob after a
machine crash."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from testing.images import classic_archive, image_config, layer, make_service, sha

from dockyard.images import layerstore

L1 = layer(("bin/sh", b"#!shell"))


@pytest.fixture
def committed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    flushes: list[str] = []
    real = layerstore.syncfs
    monkeypatch.setattr(layerstore, "syncfs", lambda p: (flushes.append(str(p)), real(p)))
    monkeypatch.setattr(layerstore, "FLUSH_DELAY", 3600.0)  # the test flushes by hand
    svc, _ = make_service(tmp_path / "root")
    cfg = image_config([L1])
    svc.load(io.BytesIO(classic_archive([(cfg, [L1], ["base:1"])])))
    loaded = len(flushes)
    upper = tmp_path / "upper"
    (upper / "etc").mkdir(parents=True)
    (upper / "etc" / "motd").write_text("hi")
    new = svc.commit(upper, sha(cfg), {"Cmd": ["true"]})
    chain = svc.resolve(new).chain[-1]
    assert len(flushes) == loaded, "the commit waited for a flush"
    yield svc, chain, flushes
    if svc.layers._flusher is not None:
        svc.layers._flusher.cancel()


def test_a_commit_marks_its_layer_until_the_flush(committed) -> None:
    svc, chain, flushes = committed
    assert svc.layers.get(chain)["unsynced"] == layerstore.boot_id() != ""
    assert svc.layers._flusher is not None  # scheduled
    svc.layers.flush()
    assert flushes[-1] == str(svc.layers.root)
    assert "unsynced" not in svc.layers.get(chain)
    before = len(flushes)
    svc.layers.flush()  # nothing left: no syncfs
    assert len(flushes) == before


def test_recovery_in_the_same_boot_keeps_the_files(committed) -> None:
    svc, chain, _ = committed
    marker = svc.layers.diff_dir(chain) / "kept"
    marker.write_text("same dir")
    svc.recover()
    assert marker.exists()
    assert "unsynced" not in svc.layers.get(chain)


def test_recovery_after_a_machine_crash_unpacks_the_layer_again(committed, monkeypatch) -> None:
    svc, chain, _ = committed
    motd = svc.layers.diff_dir(chain) / "etc" / "motd"
    motd.write_text("")  # what a power loss may leave of unflushed data
    monkeypatch.setattr(layerstore, "boot_id", lambda: "another-boot")
    svc.recover()
    assert motd.read_text() == "hi"
    assert "unsynced" not in svc.layers.get(chain)


def test_shutdown_flushes(committed) -> None:
    svc, chain, _ = committed
    svc.shutdown()
    assert "unsynced" not in svc.layers.get(chain)
