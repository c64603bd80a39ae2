"""Layer blobs streamed from the registry into the image store in one pass.

The image store reads a `BlobStream` as it stores the blob and unpacks it, so download,
decompression and extraction overlap (no temp file, no second read). The store hashes
the blob as it writes it and checks it against the digest at its end (also when the
layer failed to unpack, so corrupt bytes are a digest mismatch, as Docker reports them);
the stream only counts, refusing more bytes than the manifest declared.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import DockyardError
from ..registry.errors import ConnectError, VerificationError
from ..registry.progress import Emit, Meter, status

if TYPE_CHECKING:
    from ..registry.client import Repository
    from ..registry.transport import Response

log = logging.getLogger(__name__)

DOWNLOAD_CONCURRENCY = 3
ATTEMPTS = 3
_CHUNK = 1 << 20


class Cancelled(DockyardError):
    """Another layer of the same pull failed: this one stops."""


def verification_failed(digest: str) -> VerificationError:
    return VerificationError(f"filesystem layer verification failed for digest {digest}")


class BlobStream:
    """A layer blob as a reader; with `ident`, Docker's progress lines for it."""

    def __init__(
        self,
        repo: Repository,
        digest: str,
        size: int,
        failed: threading.Event,
        progress: Emit | None = None,
        ident: str = "",
        on_done: Callable[[], None] | None = None,
    ) -> None:
        self.repo = repo
        self.digest = digest
        self.size = size
        self._failed = failed
        self._progress = progress
        self._ident = ident
        self._on_done = on_done
        self._meter = Meter(progress, "Downloading", ident, size) if progress else None
        self._resp: Response | None = None
        self.count = 0
        self.eof = False

    def read(self, n: int = -1) -> bytes:
        if self.eof:
            return b""
        if self._failed.is_set():
            raise Cancelled("cancelled: another layer failed")
        want = _CHUNK if n is None or n < 0 else min(n, _CHUNK)
        chunk = self._next(want)
        if not chunk:
            self._finish()
            return b""
        self.count += len(chunk)
        if self.size and self.count > self.size:
            raise verification_failed(self.digest)
        if self._meter is not None:
            self._meter.update(self.count)
        return chunk

    def _next(self, want: int) -> bytes:
        """The next bytes; a broken connection is opened again (up to ATTEMPTS times),
        skipping what was already handed out."""
        for attempt in range(ATTEMPTS):
            try:
                if self._resp is None:
                    self._resp = self.repo.open_blob(self.digest)
                    self._skip(self._resp, self.count)
                return self._resp.read_chunk(want)
            except ConnectError:
                self._resp = None
                if attempt == ATTEMPTS - 1:
                    raise
                log.info("download of %s broke after %d bytes, retrying", self.digest, self.count)
        raise AssertionError("unreachable")

    @staticmethod
    def _skip(resp: Response, n: int) -> None:
        while n > 0:
            chunk = resp.read_chunk(min(n, _CHUNK))
            if not chunk:
                return
            n -= len(chunk)

    def _finish(self) -> None:
        if self._resp is not None:
            self._resp.close()
            self._resp = None
        if self.size and self.count != self.size:
            raise verification_failed(self.digest)
        self.eof = True
        if self._progress is not None:  # the store verifies the digest as it commits
            status(self._progress, "Verifying Checksum", self._ident)
            status(self._progress, "Download complete", self._ident)

    def close(self) -> None:
        if self._resp is not None:  # a layer that failed or was cancelled
            self._resp.close(reuse=False)
            self._resp = None

    def __enter__(self) -> BlobStream:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        self.close()
        if exc_type is None and self.eof and self._on_done is not None:
            self._on_done()  # stored and unpacked


class InOrder:
    """ "Extracting" and "Pull complete" per layer, bottom first as Docker prints them,
    although layers finish in any order."""

    def __init__(self, progress: Emit, idents: list[str]) -> None:
        self._progress = progress
        self._idents = idents
        self._done: set[str] = set()
        self._next = 0
        self._lock = threading.Lock()

    def done(self, ident: str, size: int) -> Callable[[], None]:
        def mark() -> None:
            with self._lock:
                Meter(self._progress, "Extracting", ident, size).update(size, force=True)
                self._done.add(ident)
                while self._next < len(self._idents) and self._idents[self._next] in self._done:
                    status(self._progress, "Pull complete", self._idents[self._next])
                    self._next += 1

        return mark
