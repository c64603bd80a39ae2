"""Ingests run side by side; removals wait for them; an abort never deletes shared blobs."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

from testing.images import classic_archive, image_config, layer, make_service, sha

from dockyard.images.ingest import Ingest
from dockyard.images.rwlock import RWLock

L1 = layer(("bin/sh", b"#!shell"))
L2 = layer(("app/run", b"run" * 1000))


def test_rwlock_readers_share_writer_waits() -> None:
    lock = RWLock()
    order: list[str] = []
    with lock.shared(), lock.shared():
        t = threading.Thread(target=lambda: lock.exclusive().__enter__() or order.append("w"))
        t.start()
        time.sleep(0.05)
        assert order == []  # the writer waits for both readers
    t.join(2)
    assert order == ["w"]


def test_rwlock_writer_is_reentrant_and_may_read() -> None:
    lock = RWLock()
    with lock.exclusive(), lock.exclusive(), lock.shared():
        pass
    with lock.shared():
        pass


def test_parallel_loads_of_the_same_image(tmp_path: Path) -> None:
    svc, _ = make_service(tmp_path / "root")
    cfg = image_config([L1, L2])
    data = classic_archive([(cfg, [L1, L2], ["same:1"])])
    errors: list[BaseException] = []

    def run() -> None:
        try:
            svc.load(io.BytesIO(data))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == []
    assert svc.resolve("same:1").id == sha(cfg)
    assert len(svc.layers.all()) == 2
    assert list(svc.layers.staging.iterdir()) == []
    for lower in svc.lowerdirs(sha(cfg)):
        assert lower.is_dir()


def test_abort_keeps_blobs_another_ingest_uses(tmp_path: Path) -> None:
    svc, _ = make_service(tmp_path / "root")
    a, b = Ingest(svc), Ingest(svc)
    da = a.layer_blob(io.BytesIO(L1))
    db = b.layer_blob(io.BytesIO(L1))
    assert da == db and a.new_blobs == [da] and b.new_blobs == []
    a.abort()
    assert svc.blobs.has(da)  # b still relies on it
    chain = b.layer(None, None, blob=db)
    b.image(image_config([L1]), [chain], [])
    b.commit()
    assert svc.blobs.has(da)
