"""Open an image archive tar (docker-archive or OCI layout) and list its images."""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

from .archive_common import INDEX_JSON, MANIFEST_JSON, ArchiveError
from .archive_docker import read_manifest_json
from .archive_members import MemberIndex, sniff_compression
from .archive_model import ArchiveImage
from .archive_oci import read_oci_layout
from .archive_streams import LayerStream


class ImageArchive:
    """The images of a seekable, uncompressed archive tar, parsed and checked up front.

    Metadata (manifests, configs, digests of small blobs, layer counts) is validated
    when the archive is opened; layer blobs are only checked as they are streamed.
    Docker's manifest.json wins when present (it carries the tags Docker users expect);
    otherwise the OCI index.json is read. The file object must stay open while layers
    are read.
    """

    def __init__(self, fileobj: BinaryIO) -> None:
        self._members = MemberIndex(fileobj)
        try:
            if self._members.has_entry(MANIFEST_JSON):
                self.format = "docker-archive"
                self.images = read_manifest_json(self._members)
            elif self._members.has_entry(INDEX_JSON):
                self.format = "oci-layout"
                self.images = read_oci_layout(self._members)
            else:
                raise ArchiveError("archive has neither manifest.json nor index.json")
        except BaseException:
            self._members.close()
            raise
        if not self.images:
            self._members.close()
            raise ArchiveError("archive contains no images")

    def __iter__(self) -> Iterator[ArchiveImage]:
        return iter(self.images)

    def __len__(self) -> int:
        return len(self.images)

    def close(self) -> None:
        self._members.close()

    def __enter__(self) -> ImageArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_image_archive(fileobj: BinaryIO) -> ImageArchive:
    """Parse and validate an archive; raises ArchiveError when it is malformed."""
    return ImageArchive(fileobj)


def spool_archive(src: BinaryIO, dir: str | None = None) -> BinaryIO:
    """Copy a possibly compressed, possibly unseekable archive stream to a seekable
    uncompressed temporary file (what `docker load < x.tar.gz` needs)."""
    out = tempfile.TemporaryFile(dir=dir)
    try:
        head = _peek(src)
        stream: BinaryIO = _Prefixed(head, src)  # type: ignore[assignment]
        if sniff_compression(head):
            stream = LayerStream(stream, "archive")  # type: ignore[assignment]
        shutil.copyfileobj(stream, out, 1024 * 1024)
        out.seek(0)
        return out  # type: ignore[return-value]
    except BaseException:
        out.close()
        raise


def _peek(src: BinaryIO) -> bytes:
    head = b""
    while len(head) < 6:
        chunk = src.read(6 - len(head))
        if not chunk:
            break
        head += chunk
    return head


class _Prefixed(io.RawIOBase):
    """A stream that replays already-read bytes before the rest of `src`."""

    def __init__(self, head: bytes, src: BinaryIO) -> None:
        self._head = head
        self._src = src

    def readable(self) -> bool:
        return True

    def readinto(self, buf: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buf), len(self._head))
            buf[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._src.read(len(buf))
        buf[: len(data)] = data
        return len(data)
