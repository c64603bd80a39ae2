"""add_image with layers unpacked in parallel, each compressed blob stored and unpacked in
one pass: what arrives intact is registered, anything else leaves the store as it was."""

from __future__ import annotations

import gzip
import io
import threading
from pathlib import Path

import pytest
import zstandard
from testing.images import image_config, layer, make_service, sha, store_snapshot

from dockyard.errors import DockyardError, InvalidParameter
from dockyard.images.store import LayerBlobMismatch

LAYERS = [layer((f"d{i}/f", bytes([i]) * (3000 + i))) for i in range(5)]


@pytest.fixture
def svc(tmp_path: Path):
    return make_service(tmp_path / "root")[0]


class Reads:
    """Openers over in-memory blobs that record which layers were open at once."""

    def __init__(self) -> None:
        self.open_now = 0
        self.most = 0
        self.lock = threading.Lock()
        self.both_open = threading.Barrier(2, timeout=5)

    def opener(self, data: bytes, wait_for_peer: bool = False):
        reads = self

        class Blob(io.BytesIO):
            def __enter__(self):
                with reads.lock:
                    reads.open_now += 1
                    reads.most = max(reads.most, reads.open_now)
                if wait_for_peer:
                    reads.both_open.wait()  # proves two layers are in flight together
                return self

            def __exit__(self, *exc):
                with reads.lock:
                    reads.open_now -= 1

        return lambda: Blob(data)


def entries(reads: Reads, blobs: list[bytes], wait: set[int] = frozenset()):  # type: ignore[assignment]
    return [(sha(plain), reads.opener(blob, i in wait), sha(blob))
            for i, (plain, blob) in enumerate(zip(LAYERS, blobs, strict=True))]  # fmt: skip


def test_layers_unpack_in_parallel_and_register_in_order(svc) -> None:
    blobs = [gzip.compress(LAYERS[0]), zstandard.compress(LAYERS[1]), LAYERS[2],
             gzip.compress(LAYERS[3]), gzip.compress(LAYERS[4])]  # fmt: skip
    reads = Reads()
    cfg = image_config(LAYERS)
    iid = svc.add_image(cfg, entries(reads, blobs, wait={0, 1}), ["par:1"], parallel=3)
    assert iid == sha(cfg) and reads.most >= 2
    lowers = svc.lowerdirs(iid)  # top first
    for i, low in enumerate(reversed(lowers)):
        assert (low / f"d{i}" / "f").read_bytes() == bytes([i]) * (3000 + i)
    stored = [item["blob"] for item in svc.layer_blobs(iid)]
    assert stored[:2] == [sha(blobs[0]), sha(blobs[1])]  # compressed blobs kept as they came
    for item in svc.layer_blobs(iid):
        assert svc.blobs.verify(item["blob"])


@pytest.mark.parametrize("bad", ["blob digest", "diff id", "corrupt gzip"])
def test_one_bad_layer_leaves_nothing(svc, tmp_path: Path, bad: str) -> None:
    blobs = [gzip.compress(layer_) for layer_ in LAYERS]
    reads = Reads()
    work = entries(reads, blobs)
    if bad == "blob digest":
        work[3] = (work[3][0], work[3][1], sha(b"other"))
    elif bad == "diff id":
        work[3] = (sha(b"other"), work[3][1], work[3][2])
    else:
        broken = blobs[3][:20] + b"\x00" * 40 + blobs[3][60:]
        work[3] = (work[3][0], reads.opener(broken), sha(broken))
    before = store_snapshot(svc.root, svc.db)
    failed = threading.Event()
    with pytest.raises(DockyardError):
        svc.add_image(image_config(LAYERS), work, ["bad:1"], parallel=3, failed=failed)
    assert failed.is_set()
    assert store_snapshot(svc.root, svc.db) == before
    assert list((svc.root / "layers" / "staging").iterdir()) == []
    assert svc.list() == []


def test_compressed_blob_with_wrong_digest_is_refused_on_load_path(svc) -> None:
    gz = gzip.compress(LAYERS[0])
    with pytest.raises(InvalidParameter, match="digest mismatch"):
        svc.add_image(
            image_config(LAYERS[:1]), [(sha(LAYERS[0]), lambda: io.BytesIO(gz), sha(b"x"))], ["x:1"]
        )
    assert not svc.has_layer(None, sha(LAYERS[0]))
    assert not svc.blobs.has(sha(gz))


def test_corrupt_bytes_are_the_blobs_digest_mismatch(svc) -> None:
    """A blob that fails to unpack is read to its end: wrong bytes are reported as a
    blob digest mismatch (with the digest), not as the tar error they caused."""
    gz = gzip.compress(LAYERS[0])
    broken = gz[:12] + bytes(b ^ 0xFF for b in gz[12:40]) + gz[40:]
    with pytest.raises(LayerBlobMismatch, match="digest mismatch") as info:
        svc.add_image(
            image_config(LAYERS[:1]),
            [(sha(LAYERS[0]), lambda: io.BytesIO(broken), sha(gz))],
            ["x:1"],
        )
    assert info.value.digest == sha(gz)
    assert not svc.blobs.has(sha(broken)) and svc.list() == []
