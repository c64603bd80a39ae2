"""Random access to the members of an uncompressed, seekable image archive tar.

Archive paths come from untrusted JSON (manifest.json, index.json), so every lookup is
normalised and confined to the archive: there is no filesystem here to escape to, but a
path like "../x" or a symlink loop must fail cleanly instead of resolving oddly.
"""

from __future__ import annotations

import io
import posixpath
import tarfile
from typing import BinaryIO

from .archive_common import MAX_JSON_BYTES, ArchiveError, load_json

_MAX_LINK_HOPS = 16
# Magic numbers of compressions someone may wrap a whole archive in.
_COMPRESSED_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
}


def normalize_member(name: str) -> str:
    """Canonical form of an archive path ("./a//b" -> "a/b"); refuses escapes."""
    if "\x00" in name:
        raise ArchiveError(f"invalid archive path {name!r}")
    norm = posixpath.normpath("/" + name).lstrip("/")
    # Anchoring makes normpath silently drop leading "..", so check the raw components.
    depth = 0
    for part in name.split("/"):
        if part == "..":
            depth -= 1
        elif part not in ("", "."):
            depth += 1
        if depth < 0:
            raise ArchiveError(f"archive path {name!r} escapes the archive")
    if not norm:
        raise ArchiveError(f"invalid archive path {name!r}")
    return norm


def sniff_compression(head: bytes) -> str | None:
    for magic, kind in _COMPRESSED_MAGIC.items():
        if head.startswith(magic):
            return kind
    return None


class MemberIndex:
    """The regular files and links of a tar, by normalised name."""

    def __init__(self, fileobj: BinaryIO) -> None:
        head = fileobj.read(6)
        fileobj.seek(0)
        kind = sniff_compression(head)
        if kind:
            raise ArchiveError(
                f"archive is {kind}-compressed; decompress it first (see spool_archive)"
            )
        try:
            self._tar = tarfile.open(fileobj=fileobj, mode="r:")
            members = self._tar.getmembers()
        except (tarfile.TarError, EOFError, OSError) as e:
            raise ArchiveError(f"not a readable tar archive: {e}") from None
        self._members: dict[str, tarfile.TarInfo] = {}
        for info in members:
            if info.isdir():
                continue
            try:
                name = normalize_member(info.name)
            except ArchiveError:
                continue  # unreachable from any manifest path; ignore it
            if name in self._members:
                raise ArchiveError(f"archive has duplicate entries for {name!r}")
            self._members[name] = info

    def close(self) -> None:
        self._tar.close()

    def names(self) -> list[str]:
        return list(self._members)

    def has_entry(self, name: str) -> bool:
        """Whether the archive has an entry of that name, even a dangling link."""
        return normalize_member(name) in self._members

    def __contains__(self, name: str) -> bool:
        try:
            self._resolve(name)
        except ArchiveError:
            return False
        return True

    def _resolve(self, name: str) -> tarfile.TarInfo:
        """Follow symlinks and hard links inside the archive to a regular file."""
        current = normalize_member(name)
        for _ in range(_MAX_LINK_HOPS):
            info = self._members.get(current)
            if info is None:
                raise ArchiveError(f"archive has no member {current!r}")
            if info.isreg():
                return info
            if info.issym():
                base = posixpath.dirname(current)
                target = info.linkname
                current = normalize_member(
                    target if target.startswith("/") else posixpath.join(base, target)
                )
            elif info.islnk():
                current = normalize_member(info.linkname)
            else:
                raise ArchiveError(f"archive member {current!r} is not a regular file")
        raise ArchiveError(f"too many links resolving archive member {name!r}")

    def size(self, name: str) -> int:
        return self._resolve(name).size

    def open(self, name: str) -> BinaryIO:
        """A stream of the member's bytes; reads past a truncated archive raise ArchiveError."""
        info = self._resolve(name)
        stream = self._tar.extractfile(info)
        if stream is None:  # pragma: no cover - _resolve only returns regular files
            raise ArchiveError(f"cannot open archive member {name!r}")
        return _TruncationGuard(stream, name)

    def read(self, name: str, limit: int = MAX_JSON_BYTES) -> bytes:
        size = self.size(name)
        if size > limit:
            raise ArchiveError(f"archive member {name!r} is too large ({size} bytes)")
        with self.open(name) as f:
            data = f.read()
        if len(data) != size:
            raise ArchiveError(f"archive member {name!r} is truncated")
        return data

    def read_json(self, name: str) -> object:
        return load_json(self.read(name), name)


class _TruncationGuard(io.RawIOBase):
    """Turns tarfile's errors on a truncated archive into ArchiveError."""

    def __init__(self, inner: BinaryIO, name: str) -> None:
        self._inner = inner
        self._name = name

    def readable(self) -> bool:
        return True

    def readinto(self, buf: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            data = self._inner.read(len(buf))
        except (tarfile.TarError, EOFError, OSError) as e:
            raise ArchiveError(f"archive member {self._name!r} is unreadable: {e}") from None
        n = len(data)
        buf[:n] = data
        return n

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        try:
            return self._inner.read(size)
        except (tarfile.TarError, EOFError, OSError) as e:
            raise ArchiveError(f"archive member {self._name!r} is unreadable: {e}") from None

    def close(self) -> None:
        self._inner.close()
        super().close()
