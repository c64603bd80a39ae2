"""Write a directory tree as a tar stream, deterministically and without following symlinks.

The tree may belong to a running container, so we walk it with directory fds and
``O_NOFOLLOW`` (a swapped-in symlink is archived as a symlink, never followed). Headers look
like Docker's: PAX format, names without ``./``, directories with a trailing ``/``, mtimes
truncated to seconds, no atime/ctime, no user/group names.
"""

from __future__ import annotations

import errno
import os
import stat
import tarfile
from collections.abc import Callable
from typing import BinaryIO

from dockyard.fs.tarsafe import FORBIDDEN_XATTR_PREFIXES, XATTR_PAX_PREFIX, LayerError

_COPY_CHUNK = 1 << 20
# Host security labels mean nothing in an image.
_SKIPPED_XATTRS = ("security.selinux",)

# A hook may rewrite or drop entries: (tarinfo, parent_fd, name, stat) -> list of tarinfos.
EntryHook = Callable[[tarfile.TarInfo, int, str, os.stat_result], list[tarfile.TarInfo]]


def _read_xattrs(path_or_fd: int | str, follow: bool) -> dict[str, bytes]:
    try:
        names = os.listxattr(path_or_fd, follow_symlinks=follow)
    except OSError as e:
        if e.errno in (errno.ENOTSUP, errno.EPERM):
            return {}
        raise
    out = {}
    for name in sorted(names):
        if name.startswith(FORBIDDEN_XATTR_PREFIXES) or name in _SKIPPED_XATTRS:
            continue
        try:
            out[name] = os.getxattr(path_or_fd, name, follow_symlinks=follow)
        except OSError as e:
            if e.errno not in (errno.ENODATA, errno.ENOTSUP, errno.EPERM):
                raise
    return out


def xattr_pax(xattrs: dict[str, bytes]) -> dict[str, str]:
    return {XATTR_PAX_PREFIX + k: v.decode("utf-8", "surrogateescape") for k, v in xattrs.items()}


class TreeWriter:
    """Appends filesystem entries to a tar stream, tracking hard links across the walk."""

    def __init__(self, out: BinaryIO):
        # Seekable-mode "w:" on a tell()-able wrapper: stream mode "w|" re-copies its whole
        # buffer on every write, which dominated the time for trees of small files.
        self.tf = tarfile.open(
            fileobj=_CountingWriter(out),
            mode="w:",
            format=tarfile.PAX_FORMAT,
            encoding="utf-8",
            errors="surrogateescape",
            copybufsize=_COPY_CHUNK,
        )
        self._links: dict[tuple[int, int], str] = {}

    def close(self) -> None:
        """End the archive with two zero blocks and no record padding, as Go's tar writer
        does: an empty layer is then Docker's well-known 1024-byte empty tar."""
        if not self.tf.closed:
            self.tf.fileobj.write(tarfile.NUL * (2 * tarfile.BLOCKSIZE))
            self.tf.closed = True  # our end marker replaces tarfile's padded one

    def header(
        self, parent_fd: int, name: str, arcname: str, st: os.stat_result
    ) -> tarfile.TarInfo:
        """A Docker-like header for the entry ``name`` in ``parent_fd`` (already lstat'ed)."""
        ti = tarfile.TarInfo(arcname)
        ti.mode = stat.S_IMODE(st.st_mode)
        ti.uid, ti.gid = st.st_uid, st.st_gid
        ti.uname = ti.gname = ""
        ti.mtime = int(st.st_mtime)
        ti.size = 0
        fmt = stat.S_IFMT(st.st_mode)
        if fmt == stat.S_IFDIR:
            ti.type = tarfile.DIRTYPE
        elif fmt == stat.S_IFLNK:
            ti.type = tarfile.SYMTYPE
            ti.linkname = os.readlink(name, dir_fd=parent_fd)
        elif fmt == stat.S_IFREG:
            key = (st.st_dev, st.st_ino)
            first = self._links.get(key) if st.st_nlink > 1 else None
            if first is not None:
                ti.type = tarfile.LNKTYPE
                ti.linkname = first
            else:
                ti.type = tarfile.REGTYPE
                ti.size = st.st_size
                if st.st_nlink > 1:
                    self._links[key] = arcname
        elif fmt in (stat.S_IFCHR, stat.S_IFBLK):
            ti.type = tarfile.CHRTYPE if fmt == stat.S_IFCHR else tarfile.BLKTYPE
            ti.devmajor, ti.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
        elif fmt == stat.S_IFIFO:
            ti.type = tarfile.FIFOTYPE
        else:
            raise SkipEntry()  # sockets are not archived (Docker skips them too)
        return ti

    def add(self, parent_fd: int, name: str, ti: tarfile.TarInfo, st: os.stat_result) -> None:
        """Write ``ti``; regular-file data is read from ``name`` in ``parent_fd``."""
        if ti.type == tarfile.REGTYPE and ti.size:
            fd = _open_regular(parent_fd, name, ti.name)
            try:
                with os.fdopen(fd, "rb", buffering=0, closefd=False) as f:
                    try:
                        self.tf.addfile(ti, _ExactReader(f, ti.size, ti.name))
                    except OSError as e:
                        raise LayerError(f"{ti.name}: {e}") from None
            finally:
                os.close(fd)
        else:
            self.tf.addfile(ti)

    def xattrs_of(self, parent_fd: int, name: str, st: os.stat_result) -> dict[str, bytes]:
        if stat.S_ISLNK(st.st_mode):
            return {}  # only trusted/security xattrs could exist there; not worth archiving
        return _read_xattrs(f"/proc/self/fd/{parent_fd}/{name}", follow=False)

    def walk(
        self,
        dir_fd: int,
        prefix: str,
        hook: EntryHook | None = None,
    ) -> None:
        """Archive the children of ``dir_fd`` (recursively) as ``prefix/<name>``."""
        with os.scandir(dir_fd) as it:
            names = sorted(e.name for e in it)
        for name in names:
            try:
                st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            except FileNotFoundError:
                continue  # vanished under a running container
            arcname = f"{prefix}/{name}" if prefix else name
            try:
                ti = self.header(dir_fd, name, arcname, st)
            except SkipEntry:
                continue
            xattrs = self.xattrs_of(dir_fd, name, st)
            if xattrs:
                ti.pax_headers.update(xattr_pax(xattrs))
            entries = hook(ti, dir_fd, name, st) if hook else [ti]
            for entry in entries:
                self.add(dir_fd, name, entry, st)
            if stat.S_ISDIR(st.st_mode) and any(e is ti for e in entries):
                try:
                    sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
                except (FileNotFoundError, NotADirectoryError):
                    continue
                try:
                    self.walk(sub, arcname, hook)
                finally:
                    os.close(sub)


def _open_regular(parent_fd: int, name: str, what: str) -> int:
    """Open ``name`` for reading only if it is a regular file.

    A running container may swap the file for a FIFO or a device node after our lstat;
    opening those could block or read a host device. O_PATH opens nothing, so we check
    the inode first and then reopen that very inode through /proc.
    """
    pfd = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent_fd)
    try:
        if not stat.S_ISREG(os.fstat(pfd).st_mode):
            raise LayerError(f"{what}: changed while archiving")
        return os.open(f"/proc/self/fd/{pfd}", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.close(pfd)


class _CountingWriter:
    """Gives any writable object the tell() tarfile's seekable write mode wants."""

    def __init__(self, out: BinaryIO):
        self._out = out
        self._pos = 0

    def write(self, data) -> int:
        self._out.write(data)
        self._pos += len(data)
        return len(data)

    def tell(self) -> int:
        return self._pos


class SkipEntry(Exception):
    """Raised by TreeWriter.header for entries that are not archived (sockets)."""


class _ExactReader:
    """Feeds exactly ``size`` bytes to tarfile; a file that shrank is an error, not padding."""

    def __init__(self, f, size: int, name: str):
        self._f = f
        self._left = size
        self._name = name

    def read(self, n: int = -1) -> bytes:
        if n < 0 or n > self._left:
            n = self._left
        data = self._f.read(n) if n else b""
        if len(data) < n:
            raise LayerError(f"{self._name}: file shrank while archiving")
        self._left -= len(data)
        return data

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)
