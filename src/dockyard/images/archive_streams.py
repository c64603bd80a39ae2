"""Byte streams for layers: digest/size checking and transparent decompression."""

from __future__ import annotations

import bz2
import io
import lzma
from collections.abc import Callable
from typing import BinaryIO

import zstandard
from isal import igzip

from .archive_common import ArchiveError, new_hash
from .archive_members import sniff_compression

_CHUNK = 1024 * 1024


class DigestCheckingReader(io.RawIOBase):
    """Passes bytes through and, on reaching EOF, checks their digest and count.

    The check fires only when the reader is consumed to the end; a caller that stops
    early has not consumed a blob and so has nothing to trust.
    """

    def __init__(self, inner: BinaryIO, digest: str | None, size: int | None, what: str) -> None:
        self._inner = inner
        self._digest = digest
        self._hash = new_hash(digest) if digest else None
        self._size = size
        self._what = what
        self._count = 0
        self._checked = False

    def readable(self) -> bool:
        return True

    def readinto(self, buf: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buf))
        n = len(data)
        if n:
            buf[:n] = data
            self._count += n
            if self._hash:
                self._hash.update(data)
            if self._size is not None and self._count > self._size:
                raise ArchiveError(f"{self._what}: more data than the {self._size} bytes declared")
        elif len(buf):
            self._check()
        return n

    def _check(self) -> None:
        if self._checked:
            return
        self._checked = True
        if self._size is not None and self._count != self._size:
            raise ArchiveError(
                f"{self._what}: size mismatch: expected {self._size} bytes, got {self._count}"
            )
        if self._hash and self._digest:
            got = f"{self._hash.name}:{self._hash.hexdigest()}"
            if got != self._digest:
                raise ArchiveError(
                    f"{self._what}: digest mismatch: expected {self._digest}, got {got}"
                )

    def close(self) -> None:
        self._inner.close()
        super().close()


def _decompressor(kind: str | None, raw: BinaryIO) -> BinaryIO:
    if kind is None:
        return raw
    if kind == "gzip":
        return igzip.IGzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if kind == "zstd":
        dctx = zstandard.ZstdDecompressor()
        return dctx.stream_reader(raw, read_across_frames=True)  # type: ignore[return-value]
    if kind == "bzip2":
        return bz2.BZ2File(raw)  # type: ignore[return-value]
    if kind == "xz":
        return lzma.LZMAFile(raw)  # type: ignore[return-value]
    raise ArchiveError(f"unsupported compression {kind}")  # pragma: no cover


class LayerStream(io.RawIOBase):
    """The uncompressed tar stream of a layer blob, whatever its compression.

    At EOF of the uncompressed data the rest of the blob is drained so the blob's own
    digest check always runs; decompression errors become ArchiveError.
    """

    def __init__(self, raw: BinaryIO, what: str) -> None:
        self._raw = io.BufferedReader(raw, _CHUNK)  # type: ignore[arg-type]
        self._what = what
        self.compression = sniff_compression(self._raw.peek(6)[:6])
        self._inner = _decompressor(self.compression, self._raw)
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buf: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._done:
            return 0
        data = self._guard(lambda: self._inner.read(len(buf)))
        n = len(data)
        if n:
            buf[:n] = data
        elif len(buf):
            self._done = True
            self._guard(self._drain)
        return n

    def _drain(self) -> bytes:
        while self._raw.read(_CHUNK):
            pass
        return b""

    def _guard(self, fn: Callable[[], bytes]) -> bytes:
        try:
            return fn()
        except ArchiveError:
            raise
        except (OSError, EOFError, lzma.LZMAError, zstandard.ZstdError, ValueError) as e:
            raise ArchiveError(f"{self._what}: cannot decompress: {e}") from None

    def close(self) -> None:
        try:
            if self._inner is not self._raw:
                self._inner.close()
        finally:
            self._raw.close()
            super().close()


def buffered(raw: io.RawIOBase) -> BinaryIO:
    """Wrap a raw stream for efficient small reads (what tarfile does)."""
    return io.BufferedReader(raw, _CHUNK)  # type: ignore[return-value]
