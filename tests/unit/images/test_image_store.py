"""Blob store and layer store: digests verified, crash leftovers cleaned."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from testing.images import layer, make_service, sha

from dockyard.errors import InvalidParameter
from dockyard.images.layerstore import chain_id, chain_ids
from dockyard.images.store import BlobStore, DigestMismatch


def test_put_and_read_back(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    w = store.put(b"hello")
    assert w.digest == sha(b"hello") and w.created
    assert store.read(w.digest) == b"hello"
    assert store.path(w.digest) == tmp_path / "blobs" / "sha256" / sha(b"hello")[7:]
    assert not store.put(b"hello").created  # stored once


def test_digest_mismatch_leaves_nothing(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    with pytest.raises(DigestMismatch):
        store.ingest(io.BytesIO(b"data"), expected=sha(b"other"))
    assert store.digests() == []
    assert list(store.ingest_dir.iterdir()) == []


def test_bad_digest_names_are_refused(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    for bad in ("sha256:../../etc/passwd", "md5:abc", "sha256:" + "A" * 64, "sha256:xyz"):
        with pytest.raises(InvalidParameter):
            store.path(bad)


def test_recover_removes_half_written(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    w = store.writer()
    w.write(b"partial")  # the daemon "crashes" here
    (store.dir / ".tmp-x").write_bytes(b"junk")
    good = store.put(b"ok").digest
    assert store.recover() == 2
    assert store.digests() == [good]
    assert list(store.ingest_dir.iterdir()) == []


def test_chain_ids() -> None:
    a, b = sha(b"a"), sha(b"b")
    assert chain_id(None, a) == a
    assert chain_ids([a, b]) == [a, sha(f"{a} {b}".encode())]


def test_service_recover_cleans_layers_and_orphans(tmp_path: Path) -> None:
    svc, d = make_service(tmp_path / "root")
    # leftovers of a crash: a staging dir, a layer dir without a row, an unreferenced blob
    (svc.layers.staging / "abc" / "diff").mkdir(parents=True)
    stray = svc.layers.root / ("e" * 64)
    (stray / "diff").mkdir(parents=True)
    orphan = svc.blobs.put(layer(("f", b"x"))).digest
    (svc.tmp / "upload").write_bytes(b"x")
    svc.recover()
    assert list(svc.layers.staging.iterdir()) == []
    assert not stray.exists()
    assert not svc.blobs.has(orphan)
    assert list(svc.tmp.iterdir()) == []


def test_recover_unpacks_a_missing_layer_again(tmp_path: Path) -> None:
    import io as _io

    from testing.images import classic_archive, image_config

    from dockyard.images.layerstore import rmtree

    svc, _ = make_service(tmp_path / "root")
    data = layer(("bin/sh", b"shell"))
    svc.load(_io.BytesIO(classic_archive([(image_config([data]), [data], ["x:1"])])))
    (lower,) = svc.lowerdirs(svc.resolve("x:1").id)
    rmtree(lower.parent)
    svc.recover()
    assert (lower / "bin" / "sh").read_bytes() == b"shell"


def test_an_aborted_writer_leaves_no_file_when_closing_fails(tmp_path: Path) -> None:
    """On a full disk closing the ingest file fails (its buffer cannot be flushed): the
    half-written file must go all the same."""
    store = BlobStore(tmp_path)
    w = store.writer()
    w.write(b"x" * 10)

    class FullDisk:
        closed = False

        def close(self) -> None:
            raise OSError(28, "No space left on device")

    w._file.close()
    w._file = FullDisk()  # type: ignore[assignment]
    w.abort()
    assert list(store.ingest_dir.iterdir()) == []
