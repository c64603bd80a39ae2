"""Content-addressed blob store: <root>/blobs/sha256/<hex>.

A blob becomes visible only once complete and verified: bytes go to a temp file under
<root>/blobs/ingest, are hashed as they are written, fsynced, checked against the expected
digest, then renamed into place. A crash leaves at most a temp file, which recover() removes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from ..errors import InvalidParameter, NotFound
from ..state.atomic import fsync_dir

_CHUNK = 1 << 20


class DigestMismatch(InvalidParameter):
    pass


class LayerBlobMismatch(InvalidParameter):
    """A layer's blob is not the one its digest names (a pull reports the blob digest)."""

    def __init__(self, message: str, digest: str) -> None:
        super().__init__(message)
        self.digest = digest


def parse_sha256(digest: str) -> str:
    """The hex part of a sha256 digest; refuses anything else (blob names come from users)."""
    algo, sep, hexpart = digest.partition(":")
    if algo != "sha256" or not sep or len(hexpart) != 64:
        raise InvalidParameter(f"invalid digest {digest!r}")
    try:
        int(hexpart, 16)
    except ValueError:
        raise InvalidParameter(f"invalid digest {digest!r}") from None
    if hexpart != hexpart.lower():
        raise InvalidParameter(f"invalid digest {digest!r}")
    return hexpart


class BlobWriter:
    """A file being ingested; hashes what is written, commits on `commit()`."""

    def __init__(self, store: BlobStore, path: Path) -> None:
        self._store = store
        self.path = path
        self._file = open(path, "wb")  # noqa: SIM115 - closed in commit/abort
        self._hash = hashlib.sha256()
        self.size = 0
        self.created = False  # set by commit(): False when the blob was already stored

    def write(self, data: bytes) -> int:
        self._file.write(data)
        self._hash.update(data)
        self.size += len(data)
        return len(data)

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        self._file.flush()

    @property
    def digest(self) -> str:
        return "sha256:" + self._hash.hexdigest()

    def commit(self, expected: str | None = None) -> str:
        """fsync, verify, rename into place; returns the digest. Aborts on mismatch."""
        digest = self.digest
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            if expected is not None and expected != digest:
                raise DigestMismatch(f"digest mismatch: expected {expected}, got {digest}")
            self.created = self._store._publish(self.path, digest)
        except BaseException:
            self.abort()
            raise
        return digest

    def abort(self) -> None:
        try:
            if not self._file.closed:
                self._file.close()  # flushes the buffer: fails on a full disk, closes anyway
        except OSError:
            pass
        finally:
            self.path.unlink(missing_ok=True)


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root / "blobs"
        self.dir = self.root / "sha256"
        self.ingest_dir = self.root / "ingest"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ingest_dir.mkdir(parents=True, exist_ok=True)

    def path(self, digest: str) -> Path:
        return self.dir / parse_sha256(digest)

    def has(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def size(self, digest: str) -> int:
        try:
            return self.path(digest).stat().st_size
        except FileNotFoundError:
            raise NotFound(f"blob {digest} not found") from None

    def open(self, digest: str) -> BinaryIO:
        try:
            return open(self.path(digest), "rb")  # noqa: SIM115 - caller closes
        except FileNotFoundError:
            raise NotFound(f"blob {digest} not found") from None

    def read(self, digest: str) -> bytes:
        with self.open(digest) as f:
            return f.read()

    def writer(self) -> BlobWriter:
        return BlobWriter(self, self.ingest_dir / f"ingest-{uuid.uuid4().hex}")

    @contextmanager
    def writing(self) -> Iterator[BlobWriter]:
        """A writer that is aborted unless the body committed it."""
        w = self.writer()
        try:
            yield w
        finally:
            if w.path.exists():
                w.abort()

    def put(self, data: bytes, expected: str | None = None) -> BlobWriter:
        """Store `data`; the returned writer tells digest and whether it was new."""
        w = self.writer()
        try:
            w.write(data)
        except BaseException:
            w.abort()
            raise
        w.commit(expected)
        return w

    def ingest(self, stream: BinaryIO, expected: str | None = None) -> BlobWriter:
        """Copy `stream` into the store; the returned writer tells digest, size, created."""
        w = self.writer()
        try:
            shutil.copyfileobj(stream, w, _CHUNK)  # type: ignore[misc]
        except BaseException:
            w.abort()
            raise
        w.commit(expected)
        return w

    def _publish(self, tmp: Path, digest: str) -> bool:
        final = self.path(digest)
        if final.exists():
            tmp.unlink()  # same content already stored
            return False
        os.replace(tmp, final)
        fsync_dir(self.dir)
        return True

    def delete(self, digest: str) -> None:
        self.path(digest).unlink(missing_ok=True)

    def digests(self) -> list[str]:
        return ["sha256:" + p.name for p in self.dir.iterdir() if len(p.name) == 64]

    def recover(self) -> int:
        """Remove half-written ingests and stray temp files; returns how many."""
        removed = 0
        for p in self.ingest_dir.iterdir():
            p.unlink(missing_ok=True)
            removed += 1
        for p in self.dir.iterdir():
            if len(p.name) != 64:
                p.unlink(missing_ok=True)
                removed += 1
        return removed

    def verify(self, digest: str) -> bool:
        """Re-hash a stored blob (for fsck-style checks)."""
        h = hashlib.sha256()
        with self.open(digest) as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
        return "sha256:" + h.hexdigest() == digest
