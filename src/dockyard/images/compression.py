"""Detect and undo layer compression, with a guard against decompression bombs."""

from __future__ import annotations

import bz2
import io
import lzma
import zlib
from typing import BinaryIO

import zstandard
from isal import igzip
from isal.igzip_lib import IsalError

from dockyard.images.tarsafe import DecompressionLimitExceeded, LayerError

DEFAULT_MAX_BYTES = 64 << 30  # 64 GiB of decompressed data per stream

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
BZIP2_MAGIC = b"BZh"
XZ_MAGIC = b"\xfd7zXZ\x00"

_READ_CHUNK = 1 << 20


class _Prefixed(io.RawIOBase):
    """Puts back bytes already read for sniffing in front of a non-seekable stream."""

    def __init__(self, prefix: bytes, raw: BinaryIO):
        self._prefix = prefix
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self._prefix:
            n = min(len(b), len(self._prefix))
            b[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._raw.read(len(b))
        n = len(data)
        b[:n] = data
        return n


class LimitedReader(io.RawIOBase):
    """Passes data through, raising once more than ``max_bytes`` came out, and turning the
    decompressors' various corruption errors into LayerError."""

    def __init__(self, inner: BinaryIO, max_bytes: int, kind: str):
        self._inner = inner
        self.max_bytes = max_bytes
        self.kind = kind
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = _READ_CHUNK
        try:
            data = self._inner.read(size)
        except LayerError:
            raise
        except (
            EOFError,
            OSError,
            ValueError,
            zlib.error,
            IsalError,
            lzma.LZMAError,
            zstandard.ZstdError,
        ) as e:
            raise LayerError(f"corrupt or truncated {self.kind} stream: {e}") from None
        self.count += len(data)
        if self.count > self.max_bytes:
            raise DecompressionLimitExceeded(
                f"decompressed data exceeds the limit of {self.max_bytes} bytes"
            )
        return data

    def readinto(self, b) -> int:
        data = self.read(len(b))
        n = len(data)
        b[:n] = data
        return n

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


def detect_compression(head: bytes) -> str:
    """'gzip', 'zstd', 'bzip2', 'xz' or 'none' from the first bytes of a stream."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    if head.startswith(XZ_MAGIC):
        return "xz"
    if head.startswith(BZIP2_MAGIC):
        return "bzip2"
    return "none"


def _read_head(fileobj: BinaryIO, n: int) -> bytes:
    head = b""
    while len(head) < n:
        chunk = fileobj.read(n - len(head))
        if not chunk:
            break
        head += chunk
    return head


def open_maybe_compressed(fileobj: BinaryIO, max_bytes: int = DEFAULT_MAX_BYTES) -> LimitedReader:
    """A reader of the uncompressed bytes of ``fileobj`` (gzip, zstd, xz, bzip2 or plain).

    Reads at most ``max_bytes`` of output before raising DecompressionLimitExceeded. The
    stream is consumed sequentially; nothing is loaded into memory.
    """
    head = _read_head(fileobj, 6)
    kind = detect_compression(head)
    raw = io.BufferedReader(_Prefixed(head, fileobj), _READ_CHUNK)
    inner: BinaryIO
    if kind == "gzip":
        inner = igzip.IGzipFile(fileobj=raw, mode="rb")
    elif kind == "zstd":
        dctx = zstandard.ZstdDecompressor()
        inner = dctx.stream_reader(raw, read_size=_READ_CHUNK, read_across_frames=True)
    elif kind == "xz":
        inner = lzma.LZMAFile(raw)
    elif kind == "bzip2":
        inner = bz2.BZ2File(raw)
    else:
        inner = raw
    return LimitedReader(inner, max_bytes, kind)
