"""Stage blobs, layers and images, then register them all in one transaction — or nothing.

Every image-producing operation (load, import, commit, pull) goes through an Ingest: blobs
land in the blob store (verified), layers are unpacked into staging dirs, and `commit()`
moves the layers into place and writes the image, layer and tag rows in one DB
transaction. `abort()` (or any exception inside `commit()`) removes every blob and
directory this ingest added, so a failed operation leaves the store exactly as it was.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from isal import igzip

from dockyard.fs.compression import detect_compression

from ..common.timefmt import rfc3339
from ..errors import InvalidParameter
from .layers import open_maybe_compressed
from .layerstore import StagedLayer, chain_id
from .store import BlobWriter, DigestMismatch, LayerBlobMismatch

_CHUNK = 1 << 20
# Uncompressed layers are stored gzipped (fast level): half the disk, and ready to push.
GZIP_LEVEL = 1

if TYPE_CHECKING:
    from .catalog import ImageCatalog

log = logging.getLogger(__name__)


@dataclass
class NewImage:
    id: str
    chain: list[str]
    parent: str = ""
    refs: list[str] = field(default_factory=list)  # canonical refs to point at it
    extra: dict[str, Any] = field(default_factory=dict)  # more doc fields


@dataclass
class RefMove:
    ref: str  # canonical
    old: str  # image it pointed at before
    new: str


class Ingest:
    """Staged content for one operation; call with the service lock held. `layer()` may
    run in several threads at once (a pull fetches layers in parallel)."""

    def __init__(self, svc: ImageCatalog) -> None:
        self.svc = svc
        self.staged: dict[str, StagedLayer] = {}
        self.new_blobs: list[str] = []
        self.images: list[NewImage] = []
        self._published: list[StagedLayer] = []
        self._pinned: set[str] = set()
        self._mutex = threading.Lock()  # staged, new_blobs and pins, between layer threads

    def _use(self, digest: str) -> str:
        """Pin a blob this ingest relies on (concurrent ingests may share it)."""
        with self._mutex:
            if digest not in self._pinned:
                self._pinned.add(digest)
                self.svc.pin_blob(digest)
        return digest

    def _created(self, w: BlobWriter) -> None:
        if w.created:
            with self._mutex:
                self.new_blobs.append(w.digest)

    def _unpin_all(self) -> dict[str, int]:
        left = {d: self.svc.unpin_blob(d) for d in self._pinned}
        self._pinned.clear()
        return left

    # --- blobs ---
    def blob(self, stream: BinaryIO, expected: str | None = None) -> str:
        blobs = self.svc.blobs
        if expected is not None and blobs.has(expected):
            return self._use(expected)
        w = blobs.ingest(stream, expected)
        self._created(w)
        return self._use(w.digest)

    def layer_blob(self, stream: BinaryIO, expected: str | None = None) -> str:
        """Store a layer blob; a plain tar is gzipped on the way in. `expected` (the digest
        of the bytes as given) is verified either way."""
        if expected is not None and self.svc.blobs.has(expected):
            return self._use(expected)
        head = _read_head(stream, 6)
        chained = _Chained(head, stream)
        if detect_compression(head) != "none":
            return self.blob(chained, expected)  # type: ignore[arg-type]
        plain = hashlib.sha256()
        with self.svc.blobs.writing() as w:
            gz = igzip.IGzipFile(fileobj=w, mode="wb", compresslevel=GZIP_LEVEL, mtime=0)  # type: ignore[arg-type]
            while data := chained.read(_CHUNK):
                plain.update(data)
                gz.write(data)
            gz.close()
            got = "sha256:" + plain.hexdigest()
            if expected is not None and got != expected:
                raise DigestMismatch(f"digest mismatch: expected {expected}, got {got}")
            w.commit()
            self._created(w)
        return self._use(w.digest)

    def blob_bytes(self, data: bytes, expected: str | None = None) -> str:
        w = self.svc.blobs.put(data, expected)
        self._created(w)
        return self._use(w.digest)

    # --- layers ---
    def layer(
        self,
        parent: str | None,
        diff_id: str | None,
        open_raw: Callable[[], BinaryIO] | None = None,
        blob: str | None = None,
        durable: bool = True,
    ) -> str:
        """Make sure the layer `parent` + `diff_id` exists (registered or staged); returns
        its chain ID. Content comes from the stored `blob` or from `open_raw()`; a plain
        tar's files are flushed after commit() without `durable` (LayerStore)."""
        if diff_id is not None:
            chain = chain_id(parent, diff_id)
            if chain in self.staged or self.svc.layers.has(chain):
                return chain
        if blob is None or not self.svc.blobs.has(blob):
            if open_raw is None:
                raise InvalidParameter(f"layer {diff_id}: no content")
            with open_raw() as raw:
                head = _read_head(raw, 6)
                chained = _Chained(head, raw)
                try:
                    if detect_compression(head) == "none":
                        return self._plain_layer(parent, chained, diff_id, blob, durable)
                    return self._compressed_layer(parent, chained, diff_id, blob)
                except DigestMismatch as exc:
                    raise LayerBlobMismatch(f"layer {diff_id}: {exc}", blob or "") from None
        self._use(blob)
        staged = self.svc.layers.stage(parent, blob, diff_id)
        return self._keep(staged)

    def _plain_layer(
        self,
        parent: str | None,
        plain: _Chained,
        diff_id: str | None,
        expected: str | None,
        durable: bool = True,
    ) -> str:
        """One pass over a plain tar: unpack it, hash it, and store it gzipped."""
        with self.svc.blobs.writing() as w:
            gz = igzip.IGzipFile(fileobj=w, mode="wb", compresslevel=GZIP_LEVEL, mtime=0)  # type: ignore[arg-type]
            staged = self.svc.layers.stage_stream(
                parent,
                _Tee(plain, gz),  # type: ignore[arg-type]
                diff_id,
                durable=durable,
            )
            try:
                # A plain blob's digest is its diff ID, which stage_stream computed.
                if expected is not None and expected != staged.diff_id:
                    raise DigestMismatch(
                        f"digest mismatch: expected {expected}, got {staged.diff_id}"
                    )
                gz.close()
                w.commit()
            except BaseException:
                self.svc.layers.discard(staged)
                raise
            self._created(w)
        staged.blob = self._use(w.digest)
        staged.blob_size = w.size
        return self._keep(staged)

    def _compressed_layer(
        self, parent: str | None, raw: _Chained, diff_id: str | None, expected: str | None
    ) -> str:
        """One pass over a compressed blob: store it, and unpack it as it arrives (the
        decompressor runs in a thread of its own). The blob's digest is checked once all
        of it went by; a mismatch discards the unpacked layer too."""
        with self.svc.blobs.writing() as w:
            tee = _Tee(raw, w)
            plain = open_maybe_compressed(tee)  # type: ignore[arg-type]
            try:
                try:
                    # flushed after commit(), in the background: the blob itself is
                    # fsynced, so a machine crash only costs unpacking it again at start
                    staged = self.svc.layers.stage_stream(parent, plain, diff_id, durable=False)  # type: ignore[arg-type]
                finally:
                    plain.close()
            except InvalidParameter:
                # It did not unpack (or not to its diff ID): corrupt bytes are the blob's
                # digest mismatch, as Docker, which verifies before unpacking, reports them.
                if expected is not None and _drained(tee) and w.digest != expected:
                    raise DigestMismatch(
                        f"digest mismatch: expected {expected}, got {w.digest}"
                    ) from None
                raise
            try:
                while tee.read(_CHUNK):  # bytes after the compressed stream's end
                    pass
                w.commit(expected)
            except BaseException:
                self.svc.layers.discard(staged)
                raise
            self._created(w)
        staged.blob = self._use(w.digest)
        staged.blob_size = w.size
        return self._keep(staged)

    def _keep(self, staged: StagedLayer) -> str:
        if not self.svc.layers.has(staged.chain_id):
            with self._mutex:
                if staged.chain_id not in self.staged:
                    self.staged[staged.chain_id] = staged
                    return staged.chain_id
        self.svc.layers.discard(staged)  # same content arrived under another name
        return staged.chain_id

    def diff_id_of(self, chain: str) -> str:
        staged = self.staged.get(chain)
        if staged is not None:
            return staged.diff_id
        return str((self.svc.layers.get(chain) or {})["diff_id"])

    def chain_size(self, chain: list[str]) -> int:
        total = 0
        for c in chain:
            staged = self.staged.get(c)
            if staged is not None:
                total += staged.size
            else:
                doc = self.svc.layers.get(c) or {}
                total += int(doc.get("size") or 0)
        return total

    # --- images ---
    def image(self, config: bytes, chain: list[str], refs: list[str], parent: str = "") -> str:
        image_id = self.blob_bytes(config)
        self.images.append(NewImage(image_id, chain, parent, refs))
        return image_id

    def commit(self) -> list[RefMove]:
        """Register everything in one transaction; returns the tags that moved."""
        moves: list[RefMove] = []
        now = rfc3339()
        try:
            with self.svc.db.transaction() as cur:
                for staged in list(self.staged.values()):
                    if self.svc.layers.publish(staged, cur):
                        self._published.append(staged)
                for img in self.images:
                    row = cur.execute("SELECT doc FROM images WHERE id=?", (img.id,)).fetchone()
                    if row:
                        doc = json.loads(row[0])
                        doc.pop("removed", None)  # loaded again after `rmi -f`
                    else:
                        doc = {
                            "id": img.id,
                            "chain": img.chain,
                            "parent": img.parent,
                            "size": self.chain_size(img.chain),
                            "added": now,
                            "last_tag_time": None,
                            **img.extra,
                        }
                    if img.refs:
                        doc["last_tag_time"] = now
                    cur.execute(
                        "INSERT OR REPLACE INTO images(id, doc) VALUES (?, ?)",
                        (img.id, json.dumps(doc)),
                    )
                    for ref in img.refs:
                        old = cur.execute(
                            "SELECT image_id FROM tags WHERE ref=?", (ref,)
                        ).fetchone()
                        if old and old[0] != img.id:
                            moves.append(RefMove(ref, old[0], img.id))
                        cur.execute(
                            "INSERT OR REPLACE INTO tags(ref, image_id) VALUES (?, ?)",
                            (ref, img.id),
                        )
        except BaseException:
            self.abort()
            raise
        if any(s.unsynced for s in self._published):
            self.svc.layers.flush_soon()
        self.staged.clear()
        self.new_blobs.clear()
        self._published.clear()
        self._unpin_all()
        self.svc.forget_cache()
        return moves

    def abort(self) -> None:
        for staged in self._published:
            self.svc.layers.unpublish(staged)
        for staged in self.staged.values():
            if staged not in self._published:
                self.svc.layers.discard(staged)
        left = self._unpin_all()
        keep = self.svc.referenced_blobs() if self.new_blobs else set()
        for digest in self.new_blobs:
            if not left.get(digest) and digest not in keep:
                self.svc.blobs.delete(digest)
        self.staged.clear()
        self.new_blobs.clear()
        self._published.clear()


def _drained(stream: _Tee) -> bool:
    """Read `stream` to its end; False if that failed (the stream broke)."""
    try:
        while stream.read(_CHUNK):
            pass
    except Exception:  # noqa: BLE001 - the caller raises its own error instead
        return False
    return True


def _read_head(stream: BinaryIO, n: int) -> bytes:
    head = b""
    while len(head) < n:
        chunk = stream.read(n - len(head))
        if not chunk:
            break
        head += chunk
    return head


class _Chained:
    """Bytes already read for sniffing, then the rest of the stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def read(self, n: int = -1) -> bytes:
        if self._head:
            if n < 0:
                data, self._head = self._head + self._rest.read(), b""
                return data
            data, self._head = self._head[:n], self._head[n:]
            return data
        return self._rest.read(n)


class _Tee:
    """Reads from `src` and copies every byte read into `sink`."""

    def __init__(self, src: _Chained, sink: igzip.IGzipFile | BlobWriter) -> None:
        self._src = src
        self._sink = sink

    def read(self, n: int = -1) -> bytes:
        data = self._src.read(n)
        if data:
            self._sink.write(data)
        return data
