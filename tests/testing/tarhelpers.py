"""Build tar archives member by member for tests (hostile ones included)."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from pathlib import Path

import zstandard

IS_ROOT = os.geteuid() == 0


def make_tar(*members: tuple, fmt: int = tarfile.PAX_FORMAT) -> bytes:
    """members: (kind, name, extra...) with kind in file/dir/symlink/hardlink/fifo/chr.

    ``("file", name, data, {attrs})``, ``("dir", name, {attrs})``,
    ``("symlink", name, target)``, ``("hardlink", name, target)``, ``("fifo", name)``,
    ``("chr", name, major, minor)``. attrs set TarInfo fields (mode, uid, mtime, pax_headers).
    """
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for kind, name, *rest in members:
            ti = tarfile.TarInfo(name)
            ti.mtime = 1_600_000_000
            data = None
            attrs: dict = {}
            if kind == "file":
                data = rest[0] if rest else b""
                attrs = rest[1] if len(rest) > 1 else {}
                ti.size = len(data)
                ti.mode = 0o644
            elif kind == "dir":
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
                attrs = rest[0] if rest else {}
            elif kind == "symlink":
                ti.type = tarfile.SYMTYPE
                ti.linkname = rest[0]
                ti.mode = 0o777
            elif kind == "hardlink":
                ti.type = tarfile.LNKTYPE
                ti.linkname = rest[0]
            elif kind == "fifo":
                ti.type = tarfile.FIFOTYPE
                ti.mode = 0o644
            elif kind == "chr":
                ti.type = tarfile.CHRTYPE
                ti.devmajor, ti.devminor = rest[0], rest[1]
                ti.mode = 0o666
            else:
                raise ValueError(kind)
            for key, value in attrs.items():
                setattr(ti, key, value)
            tf.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=1)


def zst(data: bytes) -> bytes:
    return zstandard.ZstdCompressor().compress(data)


def tree(path: Path) -> dict[str, tuple]:
    """A comparable snapshot of a tree: relpath -> (type, mode, size, link target, data)."""
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            full = Path(dirpath, name)
            rel = str(full.relative_to(path))
            st = full.lstat()
            target = os.readlink(full) if full.is_symlink() else None
            data = full.read_bytes() if full.is_file() and not full.is_symlink() else None
            out[rel] = (st.st_mode, st.st_size, target, data, st.st_uid, st.st_gid)
    return out
