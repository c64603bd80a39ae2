"""The image service: local images, their tags, layers and blobs; no HTTP in here.

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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from dockyard.common.reference import (
    InvalidReference,
    Reference,
    is_full_id,
    is_id_prefix,
    parse_normalized,
)

from .. import __version__
from ..errors import Conflict, InvalidParameter, NotFound
from . import config as cfgmod
from . import views
from .archive_format import (
    ArchiveError,
    ImageToWrite,
    LayerToWrite,
    read_image_archive,
    write_docker_archive,
)
from .ingest import Ingest
from .layers import diff_from_upper, open_maybe_compressed
from .layerstore import LayerStore
from .rwlock import RWLock
from .store import BlobStore

if TYPE_CHECKING:
    from ..state.db import Database
    from .peers import EventPublisher, ImageUsers

log = logging.getLogger(__name__)

# An empty layer tar (only end-of-archive blocks) adds nothing: commit records no layer.
_EMPTY_TAR_MAX = 20 * 512


def short_id(image_or_container_id: str) -> str:
    return image_or_container_id.removeprefix("sha256:")[:12]


def full_image_id(value: str) -> str:
    return value if value.startswith("sha256:") else "sha256:" + value


@dataclass
class ImageRecord:
    """One local image: its ID, its row and its parsed config JSON."""

    id: str  # "sha256:<hex>"
    doc: dict[str, Any]
    image_config: dict[str, Any]

    @property
    def config(self) -> dict[str, Any]:
        """The container config part (Cmd, Env, ...) of the image config."""
        return dict(self.image_config.get("config") or {})

    @property
    def chain(self) -> list[str]:
        return list(self.doc.get("chain") or [])

    @property
    def parent(self) -> str:
        return str(self.doc.get("parent") or "")

    @property
    def size(self) -> int:
        return int(self.doc.get("size") or 0)

    @property
    def created(self) -> float:
        return cfgmod.parse_time(self.image_config.get("created"))

    @property
    def labels(self) -> dict[str, str]:
        return cfgmod.labels_of(self.image_config)

    def __getitem__(self, key: str) -> Any:  # image["Id"] for callers wanting a dict
        if key == "Id":
            return self.id
        raise KeyError(key)


def _familiar(canonical: str) -> str:
    try:
        return parse_normalized(canonical, default_tag=False).familiar()
    except InvalidReference:
        return canonical


def _is_digest_ref(canonical: str) -> bool:
    return "@" in canonical


def parse_tag_ref(repo: str, tag: str | None = None) -> Reference:
    """Docker's RepoTagReference: normalised repo, `tag` (default latest), no digests."""
    try:
        ref = parse_normalized(repo, default_tag=False)
    except InvalidReference as exc:
        raise InvalidParameter(str(exc)) from None
    if ref.digest is not None:
        raise InvalidParameter("refusing to create a tag with a digest reference")
    try:
        return ref.with_tag(tag) if tag else (ref if ref.tag else ref.with_tag("latest"))
    except InvalidReference as exc:
        raise InvalidParameter(str(exc)) from None


class ImageService:
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
        pass

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

    def tempfile(self) -> BinaryIO:
        """An anonymous temp file on the data root's filesystem (uploads, downloads)."""
        return tempfile.TemporaryFile(dir=self.tmp)  # type: ignore[return-value]

    # ------------------------------------------------------------------ lookups
    def _doc(self, image_id: str) -> dict[str, Any] | None:
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
        doc = self._doc(image_id)
        if doc is None:
            raise NotFound(f"No such image: {image_id}")
        return ImageRecord(image_id, doc, self._image_config(image_id))

    def all(self, include_removed: bool = False) -> list[ImageRecord]:
        """Visible images; `include_removed` adds those kept only for their containers."""
        out = []
        for image_id, doc in self.db.query("SELECT id, doc FROM images"):
            d = json.loads(doc)
            if d.get("removed") and not include_removed:
                continue
            try:
                out.append(ImageRecord(image_id, d, self._image_config(image_id)))
            except (NotFound, ValueError):
                log.warning("image %s has no readable config", image_id)
        return out

    def _visible(self, image_id: str) -> bool:
        doc = self._doc(image_id)
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
        return [_familiar(r) for r in refs if not _is_digest_ref(r)]

    def repo_digests(self, image_id: str) -> list[str]:
        refs = self.refs(image_id).get(image_id, [])
        return [_familiar(r) for r in refs if _is_digest_ref(r)]

    def lookup_ref(self, canonical: str) -> str | None:
        rows = self.db.query("SELECT image_id FROM tags WHERE ref=?", (canonical,))
        return rows[0][0] if rows else None

    def tags_of_repo(self, repo: str) -> list[tuple[str, str]]:
        """(canonical tag, image ID) of every tag of one canonical repository, sorted."""
        rows = self.db.query("SELECT ref, image_id FROM tags ORDER BY ref")
        return [
            (r, iid) for r, iid in rows if not _is_digest_ref(r) and r.rsplit(":", 1)[0] == repo
        ]

    def has_image(self, image_id: str, chains: list[str]) -> bool:
        """Is this image held whole (visible, config and every layer)?"""
        doc = self._doc(image_id)
        if doc is None or doc.get("removed") or not self.blobs.has(image_id):
            return False
        return all(self.layers.has(c) for c in chains)

    def kept_blobs(self, image_id: str) -> list[str]:
        """Blobs kept with an image besides config and layers (the manifests it was pulled
        with)."""
        return list((self._doc(image_id) or {}).get("blobs") or [])

    def resolve(self, name_or_id: str) -> ImageRecord:
        """By full ID, reference (tag or digest), or ID prefix, in Docker's order."""
        s = name_or_id.strip()
        if not s:
            raise NotFound("No such image: ")
        if is_full_id(s):
            image_id = full_image_id(s)
            if self._visible(image_id):
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
                if found is None and self._visible(ref.digest):
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
            rows = [r for r in rows if self._visible(r[0])]
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
        return [r.id for r in self.all() if r.parent == image_id]

    # --- API views (shapes live in views.py) ---
    def list(
        self,
        all_: bool = False,
        filters: dict[str, list[str]] | None = None,
        shared_size: bool = False,
        api: str | None = None,
    ) -> list[dict[str, Any]]:
        return views.list_images(self, all_, filters, shared_size, api)

    def inspect(self, name: str, api: str | None = None) -> dict[str, Any]:
        return views.inspect(self, name, api)

    def history(self, name: str) -> list[dict[str, Any]]:
        return views.history(self, name)

    def df(self) -> list[dict[str, Any]]:
        """ImageSummary list for /system/df, with Containers and SharedSize filled in."""
        return views.df(self)

    def prune(self, filters: dict[str, list[str]] | None = None) -> dict[str, Any]:
        return views.prune(self, filters or {})

    # ------------------------------------------------------------------ containers
    def _users(self, running_only: bool = False) -> dict[str, list[str]]:
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
            doc["last_tag_time"] = cfgmod.now_rfc3339()
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

    # ------------------------------------------------------------------ delete
    def delete(self, name: str, force: bool = False, prune: bool = True) -> list[dict[str, str]]:
        """DELETE /images/{name}: Docker's ImageDelete, records of Untagged/Deleted."""
        with self.lock.exclusive():
            self.sweep()
            image = self.resolve(name)
            records: list[dict[str, str]] = []
            image_id = image.id
            refs = self.refs(image_id).get(image_id, [])
            given_id = image_id.startswith(name) or image_id[7:].startswith(name)
            removed_ref = False
            if not given_id:
                if not force and self._single_repo(refs):
                    users = self._users().get(image_id)
                    if users:
                        raise Conflict(
                            f'conflict: unable to remove repository reference "{name}" '
                            f"(must force) - container {short_id(users[0])} is using its "
                            f"referenced image {short_id(image_id)}"
                        )
                try:
                    parsed = parse_normalized(name)
                except InvalidReference as exc:
                    raise InvalidParameter(str(exc)) from None
                self.remove(parsed)
                records.append({"Untagged": parsed.familiar()})
                self.log_event("untag", image_id)
                refs = self.refs(image_id).get(image_id, [])
                if parsed.digest is None:
                    repo = parsed.trim().canonical()
                    same_repo_tags = [
                        r for r in refs if not _is_digest_ref(r) and r.rsplit(":", 1)[0] == repo
                    ]
                    if not same_repo_tags:
                        for r in list(refs):
                            if _is_digest_ref(r) and r.split("@", 1)[0] == repo:
                                self.remove(parse_normalized(r))
                                records.append({"Untagged": _familiar(r)})
                                refs.remove(r)
                if refs:
                    return records
                removed_ref = True
            elif self._single_repo(refs):
                self._check_conflicts(image_id, hard=True, stopped=not force, refs=False)
                for r in refs:
                    self.remove(parse_normalized(r))
                    records.append({"Untagged": _familiar(r)})
                    self.log_event("untag", image_id)
            self._delete_helper(image_id, records, force, prune, quiet=removed_ref)
            return records

    @staticmethod
    def _single_repo(refs: list[str]) -> bool:
        """At most one tag, and every reference within one repository."""
        tags = [r for r in refs if not _is_digest_ref(r)]
        repos = {r.split("@", 1)[0] if _is_digest_ref(r) else r.rsplit(":", 1)[0] for r in refs}
        return len(tags) <= 1 and len(repos) <= 1

    def _check_conflicts(self, image_id: str, *, hard: bool, stopped: bool, refs: bool) -> None:
        def conflict(message: str, is_hard: bool) -> Conflict:
            how = "cannot be forced" if is_hard else "must be forced"
            return Conflict(f"conflict: unable to delete {short_id(image_id)} ({how}) - {message}")

        if hard:
            if self.children(image_id):
                raise conflict("image has dependent child images", True)
            running = self._users(running_only=True).get(image_id)
            if running:
                raise conflict(
                    f"image is being used by running container {short_id(running[0])}", True
                )
        if refs and self.refs(image_id).get(image_id):
            raise conflict("image is referenced in multiple repositories", False)
        if stopped:
            running = set(self._users(running_only=True).get(image_id) or [])
            stopped_users = [c for c in self._users().get(image_id) or [] if c not in running]
            if stopped_users:
                raise conflict(
                    f"image is being used by stopped container {short_id(stopped_users[0])}", False
                )

    def _delete_helper(
        self, image_id: str, records: list[dict[str, str]], force: bool, prune: bool, quiet: bool
    ) -> None:
        try:
            self._check_conflicts(image_id, hard=True, stopped=not force, refs=not force)
        except Conflict:
            if quiet:
                return  # the reference went; the image stays for its other users
            raise
        parent = self.get(image_id).parent
        for r in self.refs(image_id).get(image_id, []):
            self.remove(parse_normalized(r))
            records.append({"Untagged": _familiar(r)})
            self.log_event("untag", image_id)
        removed_layers = self._remove_image(image_id)
        self.log_event("delete", image_id)
        records.append({"Deleted": image_id})
        records.extend({"Deleted": c} for c in removed_layers)
        if prune and parent and self._visible(parent):
            if self.refs(parent).get(parent) or self._users().get(parent):
                return
            self._delete_helper(parent, records, False, True, True)

    def _remove_image(self, image_id: str) -> list[str]:
        """Drop the row, then the files nothing references any more; returns removed chains,
        top first (as Docker lists them).

        An image still used by (stopped) containers, as after `rmi -f`, only disappears
        from view: its row and layers stay until sweep() finds it unused, so those
        containers can still start, as in Docker.
        """
        if self._users().get(image_id):
            with self.db.transaction() as cur:
                row = cur.execute("SELECT doc FROM images WHERE id=?", (image_id,)).fetchone()
                if row is not None:
                    doc = json.loads(row[0])
                    doc["removed"] = True
                    cur.execute("UPDATE images SET doc=? WHERE id=?", (json.dumps(doc), image_id))
                cur.execute("DELETE FROM tags WHERE image_id=?", (image_id,))
            return []
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM images WHERE id=?", (image_id,))
            cur.execute("DELETE FROM tags WHERE image_id=?", (image_id,))
            unused = self.layers.unused(cur)
            self.layers.delete_rows(cur, [d["chain_id"] for d in unused])
        self._configs.pop(image_id, None)
        keep = self.referenced_blobs()
        for doc in unused:
            self.layers.remove_dir(doc["chain_id"])
            if doc.get("blob") and doc["blob"] not in keep:
                self.blobs.delete(doc["blob"])
        if image_id not in keep:
            self.blobs.delete(image_id)
        order = {c: i for i, c in enumerate(self._chain_order(unused))}
        return sorted(order, key=lambda c: -order[c])

    def sweep(self) -> list[str]:
        """Really remove images hidden by `rmi -f` whose containers are gone."""
        removed = []
        with self.lock.exclusive():
            users = self._users()
            for rec in self.all(include_removed=True):
                if rec.doc.get("removed") and not users.get(rec.id):
                    removed.extend(self._remove_image(rec.id))
        return removed

    @staticmethod
    def _chain_order(docs: list[dict[str, Any]]) -> list[str]:
        """Chains bottom first, following parent links."""
        by_parent = {d.get("parent"): d["chain_id"] for d in docs}
        chains = {d["chain_id"] for d in docs}
        roots = [d["chain_id"] for d in docs if d.get("parent") not in chains]
        out: list[str] = []
        for root in roots:
            c: str | None = root
            while c is not None and c not in out:
                out.append(c)
                c = by_parent.get(c)
        return out

    # ------------------------------------------------------------------ load / save
    def load(
        self,
        archive_file: BinaryIO,
        progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> list[str]:
        """Load a docker-archive / OCI layout (seekable, uncompressed); returns the
        lines Docker prints. `progress` gets Docker's "Loading layer" messages (the CLI
        asks for them on a terminal). On error nothing is registered or left behind."""
        try:
            archive = read_image_archive(archive_file)
        except ArchiveError as exc:
            raise InvalidParameter(f"invalid image archive: {exc}") from None
        lines: list[str] = []
        loaded: list[tuple[str, list[str]]] = []
        with archive, self.lock.shared():
            ingest = Ingest(self)
            try:
                for image in archive:
                    parent: str | None = None
                    chain: list[str] = []
                    for layer in image.layers:
                        opener = layer.open_raw
                        if progress is not None:
                            opener = _progress_opener(opener, layer.size, layer.diff_id, progress)
                        parent = ingest.layer(parent, layer.diff_id, opener, layer.digest)
                        chain.append(parent)
                    refs = []
                    for tag in image.repo_tags:
                        refs.append(parse_tag_ref(tag).canonical())
                    if image.config_digest.split(":", 1)[0] != "sha256":
                        raise InvalidParameter("only sha256 image configs are supported")
                    image_id = ingest.image(image.config, chain, refs)
                    loaded.append((image_id, [_familiar(r) for r in refs]))
                moves = ingest.commit()
            except ArchiveError as exc:
                ingest.abort()
                raise InvalidParameter(f"invalid image archive: {exc}") from None
            except BaseException:
                ingest.abort()
                raise
        for move in moves:
            lines.append(
                f"The image {_familiar(move.ref)} already exists, renaming the old one with "
                f"ID {move.old} to empty string\n"
            )
        for image_id, tags in loaded:
            self.log_event("load", image_id)
            if tags:
                lines.extend(f"Loaded image: {t}\n" for t in tags)
            else:
                lines.append(f"Loaded image ID: {image_id}\n")
        return lines

    def save_plan(self, names: Iterable[str]) -> list[ImageToWrite]:
        """What `docker save names...` writes: a name without tag saves all its tags."""
        plan: list[ImageToWrite] = []
        for name in names:
            for image_id, tag in self._save_targets(name):
                rec = self.get(image_id)
                plan.append(
                    ImageToWrite(
                        self.blobs.read(image_id),
                        [tag] if tag else [],
                        [self._layer_to_write(c) for c in rec.chain],
                    )
                )
        return plan

    def _save_targets(self, name: str) -> list[tuple[str, str | None]]:
        ref = None
        if not is_full_id(name):
            try:
                ref = parse_normalized(name, default_tag=False)
            except InvalidReference:
                ref = None
        if ref is not None and ref.is_name_only:
            found = [(iid, _familiar(r)) for r, iid in self.tags_of_repo(ref.canonical())]
            if found:
                return found
        image = self.resolve(name)
        if (
            ref is not None
            and not ref.digest
            and not image.id.removeprefix("sha256:").startswith(name.removeprefix("sha256:"))
        ):
            return [(image.id, (ref if ref.tag else ref.with_tag("latest")).familiar())]
        return [(image.id, None)]

    def _layer_to_write(self, chain: str) -> LayerToWrite:
        doc = self.layers.get(chain)
        if doc is None:
            raise NotFound(f"layer {chain} not found")

        def opener() -> BinaryIO:
            return open_maybe_compressed(self.blobs.open(doc["blob"]))  # type: ignore[return-value]

        return LayerToWrite(doc["diff_id"], int(doc["tar_size"]), opener)

    def save(self, names: list[str], out: BinaryIO) -> None:
        plan = self.save_plan(names)
        write_docker_archive(out, plan)
        for name in names:
            try:
                self.log_event("save", self.resolve(name).id)
            except NotFound:
                pass

    # ------------------------------------------------------------------ import / commit
    def import_image(
        self,
        tar: BinaryIO,
        repo: str | None = None,
        tag: str | None = None,
        message: str = "",
        changes: list[str] | None = None,
        source: str = "-",
    ) -> str:
        """`docker import`: a rootfs tar (maybe compressed) becomes a one-layer image."""
        ref = parse_tag_ref(repo, tag) if repo else None
        with self.lock.shared():
            ingest = Ingest(self)
            try:
                chain = ingest.layer(None, None, lambda: tar)
                diff_id = ingest.diff_id_of(chain)
                msg = message or f"Imported from {source}"
                config = cfgmod.new_import_config(diff_id, msg, changes or [], __version__)
                image_id = ingest.image(_dump(config), [chain], [ref.canonical()] if ref else [])
                ingest.commit()
            except BaseException:
                ingest.abort()
                raise
        self.log_event("import", image_id)
        if ref is not None:
            self.log_event("tag", image_id, ref.familiar())
        return image_id

    def commit(
        self,
        container_upper: Path | None,
        parent_image_id: str | None,
        config: dict[str, Any],
        *,
        author: str = "",
        comment: str = "",
        changes: list[str] | None = None,
        container_id: str = "",
        repo_tag: str | None = None,
        container_config: dict[str, Any] | None = None,
        created_by: str | None = None,
        exclude: list[str] | tuple[str, ...] = (),
    ) -> str:
        """`docker commit`: the container's upper dir becomes a layer on the parent's.

        `exclude` lists container paths the runtime created (mount points such as
        /etc/hosts) that must not end up in the image.

        `config` is the container's config (already merged with the request's); `changes`
        are Dockerfile lines applied on top; `repo_tag` ("repo:tag" or "repo") tags it.
        The builder passes `created_by` for its history line (default: the container's
        Cmd); an upper dir without changes, or None, adds a history entry but no layer.
        """
        ref = parse_tag_ref(repo_tag) if repo_tag else None
        parent = self.get(parent_image_id) if parent_image_id else None
        new_config = cfgmod.clean_container_config(config)
        if changes:
            new_config = cfgmod.apply_changes(new_config, changes)
        with self.lock.shared():
            ingest = Ingest(self)
            try:
                chain = parent.chain if parent else []
                diff_id = None
                with self.tempfile() as tar:
                    if container_upper is not None:  # None: a config-only step
                        diff_from_upper(container_upper, tar, exclude=exclude)
                    size = tar.tell()
                    tar.seek(0)
                    empty = size <= _EMPTY_TAR_MAX and not tar.read().strip(b"\0")
                    tar.seek(0)
                    if not empty:
                        top = ingest.layer(chain[-1] if chain else None, None, lambda: tar)
                        chain = [*chain, top]
                        diff_id = ingest.diff_id_of(top)
                image_config = cfgmod.new_commit_config(
                    parent.image_config if parent else None,
                    cfgmod.clean_container_config(container_config or config),
                    new_config,
                    diff_id,
                    author=author,
                    comment=comment,
                    container_id=container_id,
                    parent_id=parent.id if parent else None,
                    docker_version=__version__,
                    created_by=created_by,
                )
                image_id = ingest.image(
                    _dump(image_config),
                    chain,
                    [ref.canonical()] if ref else [],
                    parent=parent.id if parent else "",
                )
                ingest.commit()
            except BaseException:
                ingest.abort()
                raise
        if ref is not None:
            self.log_event("tag", image_id, ref.familiar())
        return image_id

    # ------------------------------------------------------------------ registry helpers
    def add_image(
        self,
        config: bytes,
        layers: list[tuple[str, Callable[[], BinaryIO] | None, str | None]],
        refs: list[str],
        extra_blobs: list[bytes] | None = None,
    ) -> str:
        """Register a pulled image in one step: `layers` are (diff_id, open_raw, blob
        digest) bottom first — open_raw is only called for layers not stored yet, and the
        blob digest, when given, is verified; `refs` are tags and digest references
        (`repo@sha256:<manifest digest>`); `extra_blobs` (manifests) are kept with it."""
        with self.lock.shared():
            ingest = Ingest(self)
            try:
                parent: str | None = None
                chain: list[str] = []
                for diff_id, open_raw, blob in layers:
                    parent = ingest.layer(parent, diff_id, open_raw, blob)
                    chain.append(parent)
                kept = [ingest.blob_bytes(b) for b in extra_blobs or []]
                canon = [
                    parse_normalized(r).canonical() if "@" in r else parse_tag_ref(r).canonical()
                    for r in refs
                ]
                image_id = ingest.image(config, chain, canon)
                ingest.images[-1].extra["blobs"] = kept
                ingest.commit()
            except BaseException:
                ingest.abort()
                raise
        return image_id

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


def _dump(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def _human(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.4g}{unit}"
        n /= 1000
    return f"{n}B"


def _progress_opener(
    open_raw: Callable[[], BinaryIO],
    total: int,
    diff_id: str,
    progress: Callable[[dict[str, Any]], None],
) -> Callable[[], BinaryIO]:
    """Wrap a layer opener so reading it reports Docker's "Loading layer" progress."""

    def opener() -> BinaryIO:
        return _ProgressReader(open_raw(), total, diff_id.removeprefix("sha256:")[:12], progress)  # type: ignore[return-value]

    return opener


class _ProgressReader:
    _STEP = 1 << 20

    def __init__(
        self, inner: BinaryIO, total: int, id_: str, progress: Callable[[dict[str, Any]], None]
    ) -> None:
        self._inner = inner
        self._total = total
        self._id = id_
        self._progress = progress
        self._done = 0
        self._reported = -1

    def read(self, n: int = -1) -> bytes:
        data = self._inner.read(n)
        self._done += len(data)
        if not data or self._done - self._reported >= self._STEP:
            self._report()
        return data

    def _report(self) -> None:
        if self._reported == self._done:
            return
        self._reported = self._done
        width = 50
        filled = int(width * self._done / self._total) if self._total else width
        bar = "=" * max(filled - 1, 0) + (">" if filled < width else "=")
        self._progress(
            {
                "status": "Loading layer",
                "progressDetail": {"current": self._done, "total": self._total},
                "progress": f"[{bar.ljust(width)}]  {_human(self._done)}/{_human(self._total)}",
                "id": self._id,
            }
        )

    def close(self) -> None:
        self._inner.close()

    def __enter__(self) -> _ProgressReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
