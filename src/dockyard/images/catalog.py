"""The image store's state and lookups: local images, their tags, layers and blobs.

State: the `images` table (doc: chain IDs, parent, size, last tag time), `tags` (canonical
reference -> image ID; digest references such as `docker.io/library/x@sha256:..` are
RepoDigests), `layers` (one row per unpacked chain, see layerstore), and the blob store
holding image configs (their digest is the image ID) and layer blobs. Every change that
touches more than one of these stages its files first and commits its rows in one
transaction (see ingest.py); deletions commit rows first and remove files after, so a crash
leaves only unreferenced files, which recover() removes.

Who uses which image comes from an `ImageUsers` (peers.py; the container service, handed
in by the composition root), so an image in use is neither deleted nor pruned.
Pull and push (dockyard.distribution) use the public names only: lookup_ref, has_image,
has_layer, add_image (register a fetched image), layer_blobs, kept_blobs, add_reference.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from dockyard.common.reference import (
    InvalidReference,
    Reference,
    is_full_id,
    is_id_prefix,
    parse_normalized,
)

from ..common.timefmt import rfc3339
from ..errors import InvalidParameter, NotFound
from ..fs.dirflags import spread_subdirs
from .layerstore import LayerStore
from .records import ImageRecord, familiar, full_image_id, is_digest_ref, parse_tag_ref
from .rwlock import RWLock
from .store import BlobStore

if TYPE_CHECKING:
    from ..state.db import Database
    from .peers import EventPublisher, ImageUsers

log = logging.getLogger(__name__)


class ImageCatalog:
    """The store's state and everything that reads it or changes only tags."""

    def __init__(
        self,
        db: Database,
        data_root: Path,
        events: EventPublisher,
        users: Callable[[], ImageUsers],
    ) -> None:
        """`users` gives the container service, which is built after this one."""
        self.db = db
        self.root = Path(data_root)
        self.events = events
        self._users_of = users
        self.blobs = BlobStore(self.root)
        self.layers = LayerStore(self.root, self.blobs, self.db)
        self.tmp = self.root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True, mode=0o700)
        spread_subdirs(self.tmp)  # build contexts unpacked here, away from the last removed
        # Ingests share the lock; deletion and garbage collection hold it alone.
        self.lock = RWLock()
        self._blob_pins: dict[str, int] = {}
        self._pins_mutex = threading.Lock()
        self._configs: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ lifecycle

    def recover(self) -> None:
        """Remove half-written blobs, staging dirs, unregistered layers, orphan blobs and
        tags of vanished images."""
        with self.lock.exclusive():
            for p in self.tmp.iterdir():
                if p.is_dir():
                    from .layerstore import rmtree

                    rmtree(p)
                else:
                    p.unlink(missing_ok=True)
            self.blobs.recover()
            self.layers.recover()
            with self.db.transaction() as cur:
                ids = {r[0] for r in cur.execute("SELECT id FROM images").fetchall()}
                for ref, image_id in cur.execute("SELECT ref, image_id FROM tags").fetchall():
                    if image_id not in ids:
                        cur.execute("DELETE FROM tags WHERE ref=?", (ref,))
            keep = self.referenced_blobs()
            for digest in self.blobs.digests():
                if digest not in keep:
                    log.info("removing unreferenced blob %s", digest)
                    self.blobs.delete(digest)

    def shutdown(self) -> None:
        self.layers.flush()

    def referenced_blobs(self) -> set[str]:
        keep = {r[0] for r in self.db.query("SELECT id FROM images")}
        for doc in self.layers.all().values():
            if doc.get("blob"):
                keep.add(doc["blob"])
        for (doc,) in self.db.query("SELECT doc FROM images"):
            keep.update(json.loads(doc).get("blobs") or [])  # e.g. manifests kept by pull
        return keep

    def pin_blob(self, digest: str) -> None:
        """An in-flight ingest relies on this blob: no other ingest's abort may delete it."""
        with self._pins_mutex:
            self._blob_pins[digest] = self._blob_pins.get(digest, 0) + 1

    def unpin_blob(self, digest: str) -> int:
        with self._pins_mutex:
            n = self._blob_pins.get(digest, 0) - 1
            if n <= 0:
                self._blob_pins.pop(digest, None)
            else:
                self._blob_pins[digest] = n
            return max(n, 0)

    def forget_cache(self) -> None:
        self._configs.clear()

    def forget_config(self, image_id: str) -> None:
        self._configs.pop(image_id, None)

    def tempfile(self) -> BinaryIO:
        """An anonymous temp file on the data root's filesystem (uploads, downloads)."""
        return tempfile.TemporaryFile(dir=self.tmp)  # type: ignore[return-value]

    # ------------------------------------------------------------------ lookups
    def image_doc(self, image_id: str) -> dict[str, Any] | None:
        rows = self.db.query("SELECT doc FROM images WHERE id=?", (image_id,))
        return json.loads(rows[0][0]) if rows else None

    def _image_config(self, image_id: str) -> dict[str, Any]:
        cached = self._configs.get(image_id)
        if cached is None:
            cached = json.loads(self.blobs.read(image_id))
            self._configs[image_id] = cached
        return cached

    def get(self, image_id: str) -> ImageRecord:
        image_id = full_image_id(image_id)
        doc = self.image_doc(image_id)
        if doc is None:
            raise NotFound(f"No such image: {image_id}")
        return ImageRecord(image_id, doc, self._image_config(image_id))

    def all(self, include_removed: bool = False) -> list[ImageRecord]:
        """Visible images; `include_removed` adds those kept only for their containers."""
        return self._records(self.db.query("SELECT id, doc FROM images"), include_removed)

    def child_records(self, parent_id: str) -> list[ImageRecord]:
        """Visible images whose parent is `parent_id` ("" for none): the build cache's
        candidates, found by SQLite without parsing every image's document."""
        rows = self.db.query(
            "SELECT id, doc FROM images WHERE ifnull(json_extract(doc, '$.parent'), '') = ?",
            (parent_id,),
        )
        return self._records(rows, False)

    def _records(self, rows: list[Any], include_removed: bool) -> list[ImageRecord]:
        out = []
        for image_id, doc in rows:
            d = json.loads(doc)
            if d.get("removed") and not include_removed:
                continue
            try:
                out.append(ImageRecord(image_id, d, self._image_config(image_id)))
            except (NotFound, ValueError):
                log.warning("image %s has no readable config", image_id)
        return out

    def visible(self, image_id: str) -> bool:
        doc = self.image_doc(image_id)
        return doc is not None and not doc.get("removed")

    def refs(self, image_id: str | None = None) -> dict[str, list[str]]:
        """image ID -> canonical references (tags and digests), sorted."""
        if image_id is None:
            rows = self.db.query("SELECT ref, image_id FROM tags ORDER BY ref")
        else:
            rows = self.db.query(
                "SELECT ref, image_id FROM tags WHERE image_id=? ORDER BY ref", (image_id,)
            )
        out: dict[str, list[str]] = {}
        for ref, iid in rows:
            out.setdefault(iid, []).append(ref)
        return out

    def repo_tags(self, image_id: str) -> list[str]:
        refs = self.refs(image_id).get(image_id, [])
        return [familiar(r) for r in refs if not is_digest_ref(r)]

    def repo_digests(self, image_id: str) -> list[str]:
        refs = self.refs(image_id).get(image_id, [])
        return [familiar(r) for r in refs if is_digest_ref(r)]

    def lookup_ref(self, canonical: str) -> str | None:
        rows = self.db.query("SELECT image_id FROM tags WHERE ref=?", (canonical,))
        return rows[0][0] if rows else None

    def tags_of_repo(self, repo: str) -> list[tuple[str, str]]:
        """(canonical tag, image ID) of every tag of one canonical repository, sorted."""
        rows = self.db.query("SELECT ref, image_id FROM tags ORDER BY ref")
        return [(r, iid) for r, iid in rows if not is_digest_ref(r) and r.rsplit(":", 1)[0] == repo]

    def has_image(self, image_id: str, chains: list[str]) -> bool:
        """Is this image held whole (visible, config and every layer)?"""
        doc = self.image_doc(image_id)
        if doc is None or doc.get("removed") or not self.blobs.has(image_id):
            return False
        return all(self.layers.has(c) for c in chains)

    def kept_blobs(self, image_id: str) -> list[str]:
        """Blobs kept with an image besides config and layers (the manifests it was pulled
        with)."""
        return list((self.image_doc(image_id) or {}).get("blobs") or [])

    def resolve(self, name_or_id: str) -> ImageRecord:
        """By full ID, reference (tag or digest), or ID prefix, in Docker's order."""
        s = name_or_id.strip()
        if not s:
            raise NotFound("No such image: ")
        if is_full_id(s):
            image_id = full_image_id(s)
            if self.visible(image_id):
                return self.get(image_id)
            raise NotFound(f"No such image: {s}")
        shown = s
        try:
            ref = parse_normalized(s, default_tag=False)
        except InvalidReference:
            ref = None
        if ref is not None:
            if ref.digest is not None:
                key = ref.trim().with_digest(ref.digest).canonical()
                found = self.lookup_ref(key)
                if found is None and self.visible(ref.digest):
                    found = ref.digest  # name@<image ID> works too, as in Docker
            else:
                tagged = ref if ref.tag else ref.with_tag("latest")
                shown = tagged.familiar()
                found = self.lookup_ref(tagged.canonical())
            if found is not None:
                return self.get(found)
        if is_id_prefix(s):
            prefix = s.removeprefix("sha256:")
            rows = self.db.query(
                "SELECT id FROM images WHERE id >= ? AND id < ?",
                ("sha256:" + prefix, "sha256:" + prefix + "g"),
            )
            rows = [r for r in rows if self.visible(r[0])]
            if len(rows) == 1:
                return self.get(rows[0][0])
            if len(rows) > 1:
                raise InvalidParameter(f"multiple IDs found with provided prefix: {prefix}")
        raise NotFound(f"No such image: {shown}")

    # --- what the container service calls ---
    def config(self, image_id: str) -> dict[str, Any]:
        """The image's container config: Cmd, Entrypoint, Env, WorkingDir, User, ..."""
        return self.get(image_id).config

    def lowerdirs(self, image_id: str) -> list[Path]:
        """overlayfs lower dirs, top layer first."""
        rec = self.get(image_id)
        return [self.layers.diff_dir(c) for c in reversed(rec.chain)]

    def image_size(self, image_id: str) -> int:
        return self.get(image_id).size

    def count(self) -> int:
        return len(self.all())

    def layers_size(self) -> int:
        return self.layers.size()

    def children(self, image_id: str) -> list[str]:
        return [r.id for r in self.child_records(image_id)]

    # ------------------------------------------------------------------ containers
    def users(self, running_only: bool = False) -> dict[str, list[str]]:
        users = self._users_of()
        found = users.running_image_usage() if running_only else users.image_users()
        return {full_image_id(k): list(v) for k, v in found.items()}

    def container_counts(self) -> dict[str, int]:
        return {full_image_id(k): int(v) for k, v in self._users_of().image_usage().items()}

    # ------------------------------------------------------------------ events
    def log_event(
        self, action: str, image_id: str, name: str | None = None, actor: str | None = None
    ) -> None:
        """Docker's LogImageEvent: actor is the image ID (pull: the reference), attributes
        the name plus the image's labels."""
        attrs: dict[str, str] = {}
        try:
            attrs.update(self.get(image_id).labels)
        except NotFound:
            pass
        attrs["name"] = name or image_id
        self.events.publish("image", action, actor or image_id, attrs)

    # ------------------------------------------------------------------ tags
    def add_reference(self, image_id: str, ref: str | Reference) -> str:
        """Point a tag (or digest reference) at an image; returns its familiar form."""
        image_id = full_image_id(image_id)
        if isinstance(ref, str):
            ref = parse_tag_ref(ref) if "@" not in ref else parse_normalized(ref)
        canonical = ref.canonical()
        with self.db.transaction() as cur:
            row = cur.execute("SELECT doc FROM images WHERE id=?", (image_id,)).fetchone()
            if row is None:
                raise NotFound(f"No such image: {image_id}")
            cur.execute(
                "INSERT OR REPLACE INTO tags(ref, image_id) VALUES (?, ?)", (canonical, image_id)
            )
            doc = json.loads(row[0])
            doc.pop("removed", None)  # tagged again after `rmi -f`: visible again
            doc["last_tag_time"] = rfc3339()
            cur.execute("UPDATE images SET doc=? WHERE id=?", (json.dumps(doc), image_id))
        self.log_event("tag", image_id, ref.familiar())
        return ref.familiar()

    def tag(self, source: str, repo: str, tag: str | None) -> str:
        """POST /images/{name}/tag."""
        image = self.resolve(source)
        return self.add_reference(image.id, parse_tag_ref(repo, tag))

    def remove(self, ref: str | Reference) -> str:
        """Remove one reference (not the image); returns the image it pointed to."""
        if isinstance(ref, str):
            ref = parse_normalized(ref)
        canonical = ref.canonical()
        with self.db.transaction() as cur:
            row = cur.execute("SELECT image_id FROM tags WHERE ref=?", (canonical,)).fetchone()
            if row is None:
                raise NotFound(f"No such image: {ref.familiar()}")
            cur.execute("DELETE FROM tags WHERE ref=?", (canonical,))
        return str(row[0])

    def has_layer(self, parent_chain: str | None, diff_id: str) -> bool:
        """Is this layer already unpacked? (a puller can skip its download)"""
        from .layerstore import chain_id

        return self.layers.has(chain_id(parent_chain, diff_id))

    def layer_blobs(self, image_id: str) -> list[dict[str, Any]]:
        """For push: per layer, bottom first, {diff_id, blob, blob_size, compressed}; the
        blob opens with blobs.open(blob). Plain-tar blobs are stored gzipped already."""
        out = []
        for c in self.get(image_id).chain:
            doc = self.layers.get(c) or {}
            with self.blobs.open(doc["blob"]) as f:
                head = f.read(6)
            from dockyard.fs.compression import detect_compression

            out.append(
                {
                    "diff_id": doc["diff_id"],
                    "blob": doc["blob"],
                    "blob_size": doc.get("blob_size"),
                    "compression": detect_compression(head),
                }
            )
        return out
