"""Stage blobs, layers and images, then register them all in one transaction — or nothing.

Every image-producing operation (load, import, commit, pull) goes through an Ingest: blobs
land in the blob store (verified), layers are unpacked into staging dirs, and `commit()`
moves the layers into place and writes the image, layer and tag rows in one DB
transaction. `abort()` (or any exception inside `commit()`) removes every blob and
directory this ingest added, so a failed operation leaves the store exactly as it was.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from ..errors import InvalidParameter
from .config import now_rfc3339
from .layerstore import StagedLayer, chain_id
from .store import DigestMismatch

if TYPE_CHECKING:
    from .service import ImageService

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
    """Staged content for one operation; call with the service lock held."""

    def __init__(self, svc: ImageService) -> None:
        self.svc = svc
        self.staged: dict[str, StagedLayer] = {}
        self.new_blobs: list[str] = []
        self.images: list[NewImage] = []
        self._published: list[StagedLayer] = []

    # --- blobs ---
    def blob(self, stream: BinaryIO, expected: str | None = None) -> str:
        blobs = self.svc.blobs
        if expected is not None and blobs.has(expected):
            return expected
        w = blobs.ingest(stream, expected)
        if w.created:
            self.new_blobs.append(w.digest)
        return w.digest

    def blob_bytes(self, data: bytes, expected: str | None = None) -> str:
        w = self.svc.blobs.put(data, expected)
        if w.created:
            self.new_blobs.append(w.digest)
        return w.digest

    # --- layers ---
    def layer(
        self,
        parent: str | None,
        diff_id: str | None,
        open_raw: Callable[[], BinaryIO] | None = None,
        blob: str | None = None,
    ) -> str:
        """Make sure the layer `parent` + `diff_id` exists (registered or staged); returns
        its chain ID. Content comes from the stored `blob` or from `open_raw()`."""
        if diff_id is not None:
            chain = chain_id(parent, diff_id)
            if chain in self.staged or self.svc.layers.has(chain):
                return chain
        if blob is None or not self.svc.blobs.has(blob):
            if open_raw is None:
                raise InvalidParameter(f"layer {diff_id}: no content")
            with open_raw() as raw:
                try:
                    blob = self.blob(raw, blob)
                except DigestMismatch as exc:
                    raise InvalidParameter(f"layer {diff_id}: {exc}") from None
        staged = self.svc.layers.stage(parent, blob, diff_id)
        if staged.chain_id in self.staged or self.svc.layers.has(staged.chain_id):
            self.svc.layers.discard(staged)  # same content arrived under another name
            return staged.chain_id
        self.staged[staged.chain_id] = staged
        return staged.chain_id

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
        now = now_rfc3339()
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
        self.staged.clear()
        self.new_blobs.clear()
        self._published.clear()
        self.svc.forget_cache()
        return moves

    def abort(self) -> None:
        for staged in self._published:
            self.svc.layers.unpublish(staged)
        for staged in self.staged.values():
            if staged not in self._published:
                self.svc.layers.discard(staged)
        for digest in self.new_blobs:
            self.svc.blobs.delete(digest)
        self.staged.clear()
        self.new_blobs.clear()
        self._published.clear()
