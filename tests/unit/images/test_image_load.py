"""docker load / import / save through the image service, and failures that change nothing."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest
from testing.images import (
    classic_archive,
    image_config,
    layer,
    make_service,
    sha,
    store_snapshot,
)

from dockyard.errors import DockyardError, InvalidParameter
from dockyard.images.archive_format import read_image_archive

L1 = layer(("bin/sh", b"#!shell"), ("etc/hostname", b"box"))
L2 = layer(("app/run", b"run"))


@pytest.fixture
def svc(tmp_path: Path):
    s, _ = make_service(tmp_path / "root")
    return s


def load_bytes(svc, data: bytes) -> list[str]:
    return svc.load(io.BytesIO(data))


def test_load_classic_archive(svc) -> None:
    cfg = image_config([L1, L2])
    lines = load_bytes(
        svc, classic_archive([(cfg, [L1, L2], ["busybox:latest", "example.com/x:1"])])
    )
    assert lines == ["Loaded image: busybox:latest\n", "Loaded image: example.com/x:1\n"]
    rec = svc.resolve("busybox")
    assert rec.id == sha(cfg)
    assert svc.resolve("docker.io/library/busybox:latest").id == rec.id
    assert svc.resolve(rec.id[7:19]).id == rec.id
    assert svc.resolve("sha256:" + rec.id[7:15]).id == rec.id
    lowers = svc.lowerdirs(rec.id)
    assert len(lowers) == 2
    assert (lowers[0] / "app" / "run").read_bytes() == b"run"  # top first
    assert (lowers[1] / "bin" / "sh").read_bytes() == b"#!shell"
    assert svc.config(rec.id)["Cmd"] == ["sh"]
    assert svc.count() == 1
    assert svc.image_size(rec.id) > 0


def test_load_untagged_says_id(svc) -> None:
    cfg = image_config([L1])
    assert load_bytes(svc, classic_archive([(cfg, [L1], [])])) == [f"Loaded image ID: {sha(cfg)}\n"]


def test_load_shares_layers_and_moves_tags(svc) -> None:
    a = image_config([L1], cmd=["a"])
    b = image_config([L1, L2], cmd=["b"])
    load_bytes(svc, classic_archive([(a, [L1], ["x:1"])]))
    lines = load_bytes(svc, classic_archive([(b, [L1, L2], ["x:1"])]))
    assert lines[0].startswith(
        "The image x:1 already exists, renaming the old one with ID " + sha(a)
    )
    assert svc.resolve("x:1").id == sha(b)
    assert len(svc.layers.all()) == 2  # L1 unpacked once
    assert svc.repo_tags(sha(a)) == []


def test_load_compressed_layers_and_oci_writer_round_trip(svc, tmp_path: Path) -> None:
    cfg = image_config([L1])
    load_bytes(svc, classic_archive([(cfg, [gzip.compress(L1)], ["gz:1"])]))
    out = io.BytesIO()
    svc.save(["gz"], out)
    out.seek(0)
    with read_image_archive(out) as archive:
        (img,) = list(archive)
        assert img.repo_tags == ("gz:1",)
        assert img.config_digest == sha(cfg)
        with img.layers[0].open() as f:
            assert f.read() == L1
    # the saved archive loads into a fresh store as the same image
    other, _ = make_service(tmp_path / "other")
    out.seek(0)
    assert other.load(out) == ["Loaded image: gz:1\n"]
    assert other.resolve("gz:1").id == sha(cfg)


def test_corrupt_archive_leaves_store_unchanged(svc) -> None:
    load_bytes(svc, classic_archive([(image_config([L1]), [L1], ["base:1"])]))
    before = store_snapshot(svc.root, svc.db)
    # second layer's content does not match the diff_id in its config
    cfg = image_config([L1, L2])
    bad = classic_archive([(cfg, [L1, layer(("app/run", b"evil"))], ["bad:1"])])
    with pytest.raises(DockyardError):
        load_bytes(svc, bad)
    assert store_snapshot(svc.root, svc.db) == before
    # a truncated archive and garbage
    good = classic_archive([(image_config([L2]), [L2], ["t:1"])])
    for data in (good[: len(good) // 2], b"not a tar at all" * 100):
        with pytest.raises(DockyardError):
            load_bytes(svc, data)
        assert store_snapshot(svc.root, svc.db) == before


def test_failure_after_new_layers_removes_them(svc, monkeypatch) -> None:
    before = store_snapshot(svc.root, svc.db)
    cfg1 = image_config([L1])
    cfg2 = image_config([L2], cmd=["two"])
    bad_ref = classic_archive([(cfg1, [L1], ["ok:1"]), (cfg2, [L2], ["UPPER/Case:1"])])
    with pytest.raises(DockyardError):
        load_bytes(svc, bad_ref)
    assert store_snapshot(svc.root, svc.db) == before

    # the DB transaction itself fails: layers already renamed into place must go again
    from dockyard.images import ingest

    orig = ingest.Ingest.chain_size

    def boom(self, chain):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest.Ingest, "chain_size", boom)
    with pytest.raises(RuntimeError):
        load_bytes(svc, classic_archive([(cfg1, [L1], ["ok:1"])]))
    monkeypatch.setattr(ingest.Ingest, "chain_size", orig)
    assert store_snapshot(svc.root, svc.db) == before


def test_import_plain_and_compressed(svc) -> None:
    image_id = svc.import_image(
        io.BytesIO(gzip.compress(L1)), "imp", "v1", "", ['CMD ["/bin/sh"]', "ENV A=b"]
    )
    rec = svc.resolve("imp:v1")
    assert rec.id == image_id
    ic = rec.image_config
    assert ic["rootfs"]["diff_ids"] == [sha(L1)]
    assert ic["history"][0]["comment"] == "Imported from -"
    assert ic["config"]["Cmd"] == ["/bin/sh"] and ic["config"]["Env"] == ["A=b"]
    assert (svc.lowerdirs(image_id)[0] / "bin" / "sh").exists()
    before = store_snapshot(svc.root, svc.db)
    with pytest.raises(InvalidParameter):
        svc.import_image(io.BytesIO(b"\x1f\x8bnot really gzip" * 50), "bad", None)
    with pytest.raises(InvalidParameter):
        svc.import_image(io.BytesIO(L1), "x", None, changes=["RUN rm -rf /"])
    assert store_snapshot(svc.root, svc.db) == before


def test_save_by_id_has_no_tags(svc) -> None:
    cfg = image_config([L1])
    load_bytes(svc, classic_archive([(cfg, [L1], ["a:1", "a:2", "b:1"])]))
    plan = svc.save_plan([sha(cfg)[7:19]])
    assert [p.repo_tags for p in plan] == [[]]
    plan = svc.save_plan(["a"])  # a repository name saves all its tags
    assert sorted(t for p in plan for t in p.repo_tags) == ["a:1", "a:2"]
    out = io.BytesIO()
    svc.save(["a:1", "b:1"], out)
    out.seek(0)
    names = tarfile.open(fileobj=out).getnames()
    assert "manifest.json" in names and "index.json" in names
    out.seek(0)
    manifest = json.load(tarfile.open(fileobj=out).extractfile("manifest.json"))
    assert manifest[0]["RepoTags"] == ["a:1", "b:1"]


def test_plain_layers_are_stored_gzipped(svc) -> None:
    cfg = image_config([L1])
    load_bytes(svc, classic_archive([(cfg, [L1], ["z:1"])]))
    (doc,) = svc.layers.all().values()
    assert doc["diff_id"] == sha(L1) and doc["tar_size"] == len(L1)
    assert svc.blobs.read(doc["blob"])[:2] == b"\x1f\x8b"
    assert gzip.decompress(svc.blobs.read(doc["blob"])) == L1


def test_load_oci_layout_without_manifest_json(svc, tmp_path: Path) -> None:
    cfg = image_config([L1, L2])
    load_bytes(svc, classic_archive([(cfg, [L1, L2], ["oci:1"])]))
    out = io.BytesIO()
    svc.save(["oci:1"], out)
    out.seek(0)
    stripped = io.BytesIO()
    with tarfile.open(fileobj=out) as src, tarfile.open(fileobj=stripped, mode="w") as dst:
        for m in src.getmembers():
            if m.name not in ("manifest.json", "repositories"):
                dst.addfile(m, src.extractfile(m) if m.isfile() else None)
    other, _ = make_service(tmp_path / "other")
    stripped.seek(0)
    assert other.load(stripped) == ["Loaded image: oci:1\n"]
    assert other.resolve("oci:1").id == sha(cfg)
    assert (other.lowerdirs(sha(cfg))[0] / "app" / "run").read_bytes() == b"run"
