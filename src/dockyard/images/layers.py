"""Image layers: apply a layer tar to an overlayfs lower dir, and diff an upper dir to a tar.

Layers use the AUFS whiteout convention in the tar (``.wh.<name>``, ``.wh..wh..opq``); on disk
they become overlayfs whiteouts (char device 0:0) and the ``trusted.overlay.opaque`` xattr.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import stat
import tarfile
from collections.abc import Collection
from pathlib import Path
from typing import BinaryIO

from dockyard.fs.compression import DEFAULT_MAX_BYTES, open_maybe_compressed
from dockyard.fs.extract import (
    OPAQUE_XATTR,
    WHITEOUT_OPAQUE,
    WHITEOUT_PREFIX,
    ExtractOptions,
    extract_stream,
)
from dockyard.fs.scoped import RootDir
from dockyard.fs.tarsafe import DecompressionLimitExceeded, LayerError, PathEscapeError
from dockyard.fs.tarwrite import TreeWriter

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DecompressionLimitExceeded",
    "LayerError",
    "PathEscapeError",
    "apply_layer",
    "diff_from_upper",
    "open_maybe_compressed",
    "syncfs",
]


def apply_layer(
    stream: BinaryIO,
    root: str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_devices: bool = True,
    compression: str | None = None,
) -> int:
    """Unpack one layer (plain, gzip or zstd tar) into ``root``; returns the unpacked size.

    ``max_bytes`` caps both the decompressed stream and the sum of member sizes (sparse
    files). Raises LayerError on corrupt data or on any attempt to leave ``root``; the caller
    should then discard ``root``, which may hold a partial layer. ``compression`` ("none",
    "gzip", "zstd", ...) skips sniffing, e.g. for a stream the caller already decompressed.
    """
    reader = open_maybe_compressed(stream, max_bytes, compression=compression)
    opts = ExtractOptions(overlay_whiteouts=True, allow_devices=allow_devices, max_bytes=max_bytes)
    try:
        with RootDir(root) as rd:
            size = extract_stream(reader, rd, (), opts)
    finally:
        reader.close()
    return size


def _overlay_to_aufs(
    ti: tarfile.TarInfo, parent_fd: int, name: str, st: os.stat_result
) -> list[tarfile.TarInfo]:
    if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
        head, _, base = ti.name.rpartition("/")
        ti.name = f"{head}/{WHITEOUT_PREFIX}{base}" if head else WHITEOUT_PREFIX + base
        ti.type = tarfile.REGTYPE
        ti.mode = 0o600
        ti.size = 0
        ti.devmajor = ti.devminor = 0
        ti.pax_headers = {}
        return [ti]
    if stat.S_ISDIR(st.st_mode):
        try:
            opaque = os.getxattr(f"/proc/self/fd/{parent_fd}/{name}", OPAQUE_XATTR)
        except OSError:
            opaque = b""
        if opaque == b"y":
            wo = tarfile.TarInfo(f"{ti.name}/{WHITEOUT_OPAQUE}")
            wo.type = tarfile.REGTYPE
            wo.mode = ti.mode & 0o777
            wo.uid, wo.gid = ti.uid, ti.gid
            wo.uname = wo.gname = ""
            wo.mtime = 0
            return [ti, wo]
    return [ti]


def diff_from_upper(
    upper: str | os.PathLike[str], out_fileobj: BinaryIO, *, exclude: Collection[str] = ()
) -> None:
    """Write the overlay upper dir ``upper`` as an uncompressed layer tar to ``out_fileobj``.

    Whiteouts become ``.wh.<name>`` and opaque dirs get ``.wh..wh..opq``; entries are sorted
    by name (depth first) and hard links within the tree are kept, so equal trees give
    byte-identical tars. The overlay must be mounted without redirect_dir and metacopy,
    else renamed directories and metadata-only copy-ups are not visible in ``upper``.
    ``exclude`` lists container paths (``/etc/hosts``) left out with their subtrees, e.g.
    mount points the runtime created, which Docker keeps in a separate init layer.
    """
    skip = {"/" + p.strip("/") for p in exclude}

    def hook(ti, parent_fd, name, st):
        if skip and "/" + ti.name.rstrip("/") in skip:
            return []
        return _overlay_to_aufs(ti, parent_fd, name, st)

    fd = os.open(Path(upper), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        writer = TreeWriter(out_fileobj)
        writer.walk(fd, "", hook=hook)
        writer.close()
    finally:
        os.close(fd)


_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def syncfs(path: str | os.PathLike[str]) -> None:
    """Flush the filesystem holding ``path`` (one call instead of an fsync per file)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc.syncfs(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), str(path))
    finally:
        os.close(fd)
