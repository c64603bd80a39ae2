"""Unpacked layers: <root>/layers/<chainid-hex>/diff, one per chain ID, used as overlay lowers.

A layer is unpacked from its blob into <root>/layers/staging/<random>/diff, verified against
its diff ID, flushed, and only then renamed to its final name; the caller registers it in
the database in the same transaction as the image that uses it. A directory without a row
(crash between rename and commit) or a staging leftover is removed by recover().
Layers carry no stored refcount: a layer lives as long as some image's chain names it,
which `unused()` computes from the images table.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import stat
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import InvalidParameter
from ..fs.dirflags import spread_subdirs
from ..state.atomic import fsync_dir
from ..state.db import Database
from .layers import LayerError, apply_layer, open_maybe_compressed, syncfs
from .store import BlobStore, parse_sha256

log = logging.getLogger(__name__)

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
FLUSH_DELAY = 2.0  # seconds a layer published without a flush waits for the next syncfs


def boot_id() -> str:
    """This boot's ID: data written in it survives a daemon crash (the page cache keeps
    it), not a machine crash."""
    try:
        return _BOOT_ID.read_text().strip()
    except OSError:
        return ""

_CHUNK = 1 << 20


def chain_id(parent: str | None, diff_id: str) -> str:
    """OCI ChainID: the first layer's is its diff ID, then sha256("<parent> <diff_id>")."""
    if parent is None:
        return diff_id
    return "sha256:" + hashlib.sha256(f"{parent} {diff_id}".encode()).hexdigest()


def chain_ids(diff_ids: Iterable[str]) -> list[str]:
    out: list[str] = []
    parent: str | None = None
    for d in diff_ids:
        parent = chain_id(parent, d)
        out.append(parent)
    return out


class _HashingReader:
    """Hashes and counts the uncompressed tar as apply_layer consumes it."""

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner
        self.hash = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._inner.read(n)
        self.hash.update(data)
        self.size += len(data)
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        pass

    @property
    def closed(self) -> bool:
        return False

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


@dataclass
class StagedLayer:
    chain_id: str
    parent: str | None
    diff_id: str
    blob: str  # digest of the stored blob (compressed or not)
    blob_size: int
    tar_size: int  # size of the uncompressed tar
    size: int  # unpacked size on disk (Docker's DiffSize)
    path: Path  # staging dir holding diff/; None-like once published
    unsynced: str = ""  # the boot ID when its files are not flushed yet (see LayerStore)

    def doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "chain_id": self.chain_id,
            "parent": self.parent,
            "diff_id": self.diff_id,
            "blob": self.blob,
            "blob_size": self.blob_size,
            "tar_size": self.tar_size,
            "size": self.size,
        }
        if self.unsynced:
            doc["unsynced"] = self.unsynced
        return doc


def rmtree(path: Path) -> None:
    """rmtree that also gets through read-only directories left by unpacked layers."""

    def fix(func: Callable[..., Any], p: str, exc_info: Any) -> None:
        if isinstance(exc_info[1], FileNotFoundError):
            return
        parent = os.path.dirname(p)
        try:
            os.chmod(parent, stat.S_IRWXU)
            if os.path.isdir(p) and not os.path.islink(p):
                os.chmod(p, stat.S_IRWXU)
        except OSError:
            pass
        func(p)

    if path.exists() or path.is_symlink():
        shutil.rmtree(path, onerror=fix)


class LayerStore:
    """Unpacked layers (overlay lower dirs) with their rows.

    A layer is durable before its row commits: its blob is fsynced, and its files are
    flushed with syncfs — at once, or (`durable=False`: a commit's new layer, a pulled or loaded compressed one) by a flush
    in the background a moment later, the row marked `unsynced` with the boot ID until
    then. A daemon crash loses nothing (the kernel still holds the files); after a
    machine crash, recover() unpacks such layers again from their blobs.
    """

    def __init__(self, root: Path, blobs: BlobStore, db: Database) -> None:
        self.root = root / "layers"
        self.staging = self.root / "staging"
        self.blobs = blobs
        self.db = db
        self._flusher: threading.Timer | None = None
        self._flush_mutex = threading.Lock()
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.staging.mkdir(parents=True, exist_ok=True, mode=0o700)
        spread_subdirs(self.staging)  # each layer unpacked away from the last one removed

    # --- lookups ---
    def dir(self, chain: str) -> Path:
        return self.root / parse_sha256(chain)

    def diff_dir(self, chain: str) -> Path:
        return self.dir(chain) / "diff"

    def get(self, chain: str) -> dict[str, Any] | None:
        rows = self.db.query("SELECT doc FROM layers WHERE chain_id=?", (chain,))
        return json.loads(rows[0][0]) if rows else None

    def all(self) -> dict[str, dict[str, Any]]:
        return {c: json.loads(d) for c, d in self.db.query("SELECT chain_id, doc FROM layers")}

    def has(self, chain: str) -> bool:
        return self.get(chain) is not None and self.diff_dir(chain).is_dir()

    # --- unpacking ---
    def stage(self, parent: str | None, blob: str, diff_id: str | None) -> StagedLayer:
        """Unpack stored blob `blob` (a diff dir holds one layer only).

        Verifies the uncompressed tar against `diff_id` when given; the chain ID follows
        from the parent chain and the verified diff ID.
        """
        with self.blobs.open(blob) as raw:
            plain = open_maybe_compressed(raw)
            try:
                staged = self.stage_stream(parent, plain, diff_id, what=blob)  # type: ignore[arg-type]
            finally:
                plain.close()
        staged.blob = blob
        staged.blob_size = self.blobs.size(blob)
        return staged

    def stage_stream(
        self,
        parent: str | None,
        plain: BinaryIO,
        diff_id: str | None,
        what: str = "layer",
        durable: bool = True,
    ) -> StagedLayer:
        """Unpack an uncompressed layer tar read from `plain` (to its end); the caller
        fills in `blob` and `blob_size` once it has stored the blob. Without `durable`
        the files are flushed later (flush_soon())."""
        work = self.staging / uuid.uuid4().hex
        diff = work / "diff"
        diff.mkdir(parents=True, mode=0o755)
        hashing = _HashingReader(plain)
        try:
            size = apply_layer(hashing, diff)  # type: ignore[arg-type]
            while hashing.read(_CHUNK):
                pass
            got = "sha256:" + hashing.hash.hexdigest()
            if diff_id is not None and got != diff_id:
                raise InvalidParameter(
                    f"layer {what}: content does not match its diff ID {diff_id} (got {got})"
                )
            mark = "" if durable else boot_id()
            if not mark:  # no boot ID to tell a daemon crash from a machine crash: now
                syncfs(diff)
        except LayerError as exc:
            rmtree(work)
            raise InvalidParameter(f"invalid layer {what}: {exc}") from None
        except BaseException:
            rmtree(work)
            raise
        return StagedLayer(
            chain_id=chain_id(parent, got),
            parent=parent,
            diff_id=got,
            blob="",
            blob_size=0,
            tar_size=hashing.size,
            size=size,
            path=work,
            unsynced=mark,
        )

    def discard(self, staged: StagedLayer) -> None:
        rmtree(staged.path)

    def publish(self, staged: StagedLayer, cur: sqlite3.Cursor) -> bool:
        """Move a staged layer into place and add its row (inside the caller's transaction).

        Returns False when the chain already existed (the staged copy is dropped). The dir
        is renamed before the transaction commits: a crash in between leaves a dir with no
        row, which recover() removes; the reverse order could leave a row with no dir.
        """
        if cur.execute("SELECT 1 FROM layers WHERE chain_id=?", (staged.chain_id,)).fetchone():
            if self.diff_dir(staged.chain_id).is_dir():
                self.discard(staged)
                return False
        final = self.dir(staged.chain_id)
        if final.exists():
            rmtree(final)  # a leftover without a row
        os.rename(staged.path, final)
        fsync_dir(self.root)
        staged.path = final
        cur.execute(
            "INSERT OR REPLACE INTO layers(chain_id, doc) VALUES (?, ?)",
            (staged.chain_id, json.dumps(staged.doc())),
        )
        return True

    def unpublish(self, staged: StagedLayer) -> None:
        """Undo publish() after its transaction rolled back."""
        rmtree(staged.path)

    # --- removal and recovery ---
    def used_chains(self, cur: sqlite3.Cursor | None = None) -> set[str]:
        rows = (
            cur.execute("SELECT doc FROM images").fetchall()
            if cur is not None
            else self.db.query("SELECT doc FROM images")
        )
        used: set[str] = set()
        for (doc,) in rows:
            used.update(json.loads(doc).get("chain") or [])
        return used

    def unused(self, cur: sqlite3.Cursor, pinned: set[str] = frozenset()) -> list[dict[str, Any]]:  # type: ignore[assignment]
        """Rows of layers no image uses any more (call inside a transaction)."""
        used = self.used_chains(cur) | set(pinned)
        out = []
        for chain, doc in cur.execute("SELECT chain_id, doc FROM layers").fetchall():
            if chain not in used:
                out.append(json.loads(doc))
        return out

    def delete_rows(self, cur: sqlite3.Cursor, chains: Iterable[str]) -> None:
        for c in chains:
            cur.execute("DELETE FROM layers WHERE chain_id=?", (c,))

    def remove_dir(self, chain: str) -> None:
        rmtree(self.dir(chain))

    # --- deferred flushes ---
    def flush(self) -> None:
        """Flush the layers published without it (one syncfs) and record them durable."""
        rows = self.db.query(
            "SELECT chain_id FROM layers WHERE json_extract(doc, '$.unsynced') IS NOT NULL"
        )
        if not rows:
            return
        syncfs(self.root)  # rows read first: every one of them was written before this
        self._mark_flushed(chain for (chain,) in rows)

    def _mark_flushed(self, chains: Iterable[str]) -> None:
        with self.db.transaction() as cur:
            for chain in chains:
                cur.execute(
                    "UPDATE layers SET doc=json_remove(doc, '$.unsynced') WHERE chain_id=?",
                    (chain,),
                )

    def flush_soon(self) -> None:
        """flush() in the background, FLUSH_DELAY from now (once for the commits then)."""
        with self._flush_mutex:
            if self._flusher is not None:
                return
            self._flusher = threading.Timer(FLUSH_DELAY, self._flush_later)
            self._flusher.daemon = True
            self._flusher.start()

    def _flush_later(self) -> None:
        with self._flush_mutex:
            self._flusher = None
        try:
            self.flush()
        except Exception:
            log.exception("flushing new layers")

    def recover(self) -> None:
        for p in self.staging.iterdir():
            rmtree(p)
        known = {parse_sha256(c) for c in self.all()}
        for p in self.root.iterdir():
            if p.name == "staging":
                continue
            if p.name not in known:
                log.info("removing unregistered layer dir %s", p)
                rmtree(p)
        now = boot_id()
        for chain, doc in self.all().items():
            lost = doc.get("unsynced") not in (None, now)  # the machine went down first
            if lost or not self.diff_dir(chain).is_dir():
                self._repair(chain, doc)
        self.flush()

    def _repair(self, chain: str, doc: dict[str, Any]) -> None:
        """Unpack a registered layer again from its blob (its directory went missing, or
        the machine went down before its files were flushed)."""
        blob = doc.get("blob")
        if not blob or not self.blobs.has(blob):
            log.error("layer %s has neither its directory nor its blob", chain)
            return
        try:
            staged = self.stage(doc.get("parent"), blob, doc.get("diff_id"))
        except Exception:
            log.exception("layer %s could not be unpacked again", chain)
            return
        final = self.dir(chain)
        rmtree(final)
        os.rename(staged.path, final)
        fsync_dir(self.root)
        if doc.get("unsynced"):
            self._mark_flushed([chain])  # stage() flushed the new copy
        log.warning("layer %s was missing or not flushed; unpacked it again from %s", chain, blob)

    def size(self) -> int:
        return sum(int(d.get("size") or 0) for d in self.all().values())
