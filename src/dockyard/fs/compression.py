"""Detect and undo layer compression, with a guard against decompression bombs."""

from __future__ import annotations

import bz2
import io
import lzma
import queue
import threading
import zlib
from typing import BinaryIO

import zstandard
from isal import igzip
from isal.igzip_lib import IsalError

from dockyard.fs.tarsafe import DecompressionLimitExceeded, LayerError

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


class ZstdFrameChecker(io.RawIOBase):
    """Follows the zstd frame structure of the compressed bytes passing through it.

    zstandard's stream reader treats input that stops mid-frame as a normal end, so a
    truncated layer would be silently accepted; this walker knows where every frame and
    block ends and raises if the input stops anywhere else.
    """

    _MAGIC = 0xFD2FB528

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self._buf = b""  # bytes of a header still being assembled
        self._need = 4  # size of that header
        self._skip = 0  # content bytes to pass over
        self._state = "magic"
        self._checksum = False

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        data = self._raw.read(len(b))
        if not data:
            if self._state != "magic" or self._buf or self._skip:
                raise LayerError("corrupt or truncated zstd stream: unexpected end of input")
            return 0
        self._feed(memoryview(data))
        b[: len(data)] = data
        return len(data)

    def _feed(self, data: memoryview) -> None:
        pos, end = 0, len(data)
        while pos < end:
            if self._skip:
                n = min(self._skip, end - pos)
                self._skip -= n
                pos += n
                continue
            n = min(self._need - len(self._buf), end - pos)
            self._buf += bytes(data[pos : pos + n])
            pos += n
            if len(self._buf) == self._need:
                head, self._buf = self._buf, b""
                self._header(head)

    def _header(self, head: bytes) -> None:
        state = self._state
        if state == "magic":
            magic = int.from_bytes(head, "little")
            if magic == self._MAGIC:
                self._state, self._need = "fhd", 1
            elif magic & 0xFFFFFFF0 == 0x184D2A50:
                self._state, self._need = "skippable", 4
            else:
                raise LayerError("corrupt zstd stream: bad frame magic")
        elif state == "skippable":
            self._skip = int.from_bytes(head, "little")
            self._state, self._need = "magic", 4
        elif state == "fhd":
            fhd = head[0]
            single = (fhd >> 5) & 1
            self._checksum = bool((fhd >> 2) & 1)
            fcs = (1 if single else 0, 2, 4, 8)[fhd >> 6]
            rest = (0 if single else 1) + (0, 1, 2, 4)[fhd & 3] + fcs
            self._state, self._need = "block", 3
            self._skip = rest
        elif state == "block":
            bh = int.from_bytes(head, "little")
            last, btype, size = bh & 1, (bh >> 1) & 3, bh >> 3
            if btype == 3:
                raise LayerError("corrupt zstd stream: reserved block type")
            self._skip = 1 if btype == 1 else size
            if last:
                self._skip += 4 if self._checksum else 0
                self._state, self._need = "magic", 4


class ReadAhead(io.RawIOBase):
    """Runs a decompressor in a thread, a few chunks ahead of the consumer.

    isal, zstandard, lzma and bz2 release the GIL while they work, so decompression overlaps
    with tar parsing and file writes instead of adding to them. Memory stays bounded by the
    queue depth times the chunk size.
    """

    _EOF = object()

    def __init__(self, inner: BinaryIO, depth: int = 8):
        self._inner = inner
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._pending = b""
        self._done = False
        # The thread gets no reference to self, so an unclosed reader can still be
        # collected (IOBase.__del__ closes it, which stops the thread).
        self._thread = threading.Thread(
            target=self._run,
            args=(inner, self._queue, self._stop),
            name="layer-decompress",
            daemon=True,
        )
        self._thread.start()

    @staticmethod
    def _run(inner: BinaryIO, q: queue.Queue, stop: threading.Event) -> None:
        def put(item) -> None:
            while not stop.is_set():
                try:
                    q.put(item, timeout=0.1)
                    return
                except queue.Full:
                    continue

        try:
            while not stop.is_set():
                chunk = inner.read(_READ_CHUNK)
                if not chunk:
                    put(ReadAhead._EOF)
                    return
                put(chunk)
        except BaseException as e:  # handed to the consumer, raised there
            put(e)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = _READ_CHUNK
        if not self._pending:
            if self._done:
                return b""
            item = self._queue.get()
            if item is self._EOF:
                self._done = True
                return b""
            if isinstance(item, BaseException):
                self._done = True
                raise item
            self._pending = item
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        try:
            self._inner.close()
        finally:
            super().close()


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


def open_maybe_compressed(
    fileobj: BinaryIO,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    threaded: bool = True,
    compression: str | None = None,
) -> LimitedReader:
    """A reader of the uncompressed bytes of ``fileobj`` (gzip, zstd, xz, bzip2 or plain).

    Reads at most ``max_bytes`` of output before raising DecompressionLimitExceeded. The
    stream is consumed sequentially; nothing is loaded into memory. With ``threaded`` the
    decompression runs in a helper thread (``fileobj`` is then read from that thread).
    ``compression`` ("gzip", "zstd", "xz", "bzip2", "none") skips sniffing when the
    caller knows it, e.g. "none" for a stream already decompressed (a plain tar whose
    first name starts with "BZh" would otherwise look like bzip2, as it does to Docker).
    """
    if compression is None:
        head = _read_head(fileobj, 6)
        kind = detect_compression(head)
    else:
        if compression not in ("gzip", "zstd", "xz", "bzip2", "none"):
            raise ValueError(f"unknown compression {compression!r}")
        head, kind = b"", compression
    raw = io.BufferedReader(_Prefixed(head, fileobj), _READ_CHUNK)
    inner: BinaryIO
    if kind == "gzip":
        inner = igzip.IGzipFile(fileobj=raw, mode="rb")
    elif kind == "zstd":
        checked = io.BufferedReader(ZstdFrameChecker(raw), _READ_CHUNK)
        dctx = zstandard.ZstdDecompressor()
        inner = dctx.stream_reader(checked, read_size=_READ_CHUNK, read_across_frames=True)
    elif kind == "xz":
        inner = lzma.LZMAFile(raw)
    elif kind == "bzip2":
        inner = bz2.BZ2File(raw)
    else:
        inner = raw
    if kind != "none" and threaded:
        inner = ReadAhead(inner)
    return LimitedReader(inner, max_bytes, kind)
