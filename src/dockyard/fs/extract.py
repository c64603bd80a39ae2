"""Apply tar members to a directory tree without ever writing outside of it.

Shared by layer application (overlay whiteouts on) and ``docker cp``/ADD extraction (off).
Every filesystem call is relative to a directory fd obtained through RootDir.walk, so parent
symlinks resolve inside the root and final components are never followed.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from dockyard.fs.scoped import RootDir
from dockyard.fs.tarsafe import (
    LayerError,
    PathEscapeError,
    clean_member_name,
    iter_tar,
    member_times,
    member_xattrs,
)

WHITEOUT_PREFIX = ".wh."
WHITEOUT_META_PREFIX = ".wh..wh."
WHITEOUT_OPAQUE = ".wh..wh..opq"
OPAQUE_XATTR = "trusted.overlay.opaque"

_COPY_CHUNK = 1 << 20
_FILE_TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE, tarfile.GNUTYPE_SPARSE)
_IS_ROOT = os.geteuid() == 0


@dataclass
class ExtractOptions:
    overlay_whiteouts: bool = False  # turn .wh.* members into overlayfs whiteouts
    no_overwrite_dir_non_dir: bool = False  # docker cp's noOverwriteDirNonDir
    chown: tuple[int, int] | None = None  # force this owner instead of the archive's
    allow_devices: bool = True
    apply_root_metadata: bool = True  # a "./" member sets mode/owner/times of the root
    max_bytes: int = 64 << 30  # total size of member data accepted


class Extractor:
    """Applies members one by one; call ``finish()`` at the end to set directory times."""

    def __init__(self, root: RootDir, base: Iterable[str], options: ExtractOptions):
        self.root = root
        self.base = tuple(base)  # resolved extraction dir, relative to root
        self.opts = options
        self.size = 0
        self._dir_cache: dict[tuple[str, ...], int] = {}
        self._dir_times: list[tuple[tuple[str, ...], int, int]] = []

    # -- directory fd cache: member parents repeat, so walking them once is enough ----------

    def _parent_fd(self, parent: tuple[str, ...]) -> int:
        fd = self._dir_cache.get(parent)
        if fd is None:
            fd = self.root.open_dir(
                self.base + parent, create=True, mkdir_mode=0o755, on_mkdir=self._chown_new_dir
            )
            if len(self._dir_cache) >= 256:
                self._drop_cache()  # nothing in use: the caller has not got its fd yet
            self._dir_cache[parent] = fd
        return fd

    def _chown_new_dir(self, dir_fd: int, name: str) -> None:
        if self.opts.chown is not None:
            self._lchown(dir_fd, name, *self.opts.chown)

    def _drop_cache(self, keep: int = -1) -> None:
        # ``keep``: the parent fd in use; removing one of its children cannot make it stale.
        kept = {k: fd for k, fd in self._dir_cache.items() if fd == keep}
        for fd in self._dir_cache.values():
            if fd != keep:
                os.close(fd)
        self._dir_cache = kept

    def close(self) -> None:
        self._drop_cache()

    # -- members ------------------------------------------------------------------------

    def apply(self, tf: tarfile.TarFile, m: tarfile.TarInfo) -> None:
        parts = clean_member_name(m.name)
        self.size += m.size
        if self.size > self.opts.max_bytes:
            raise LayerError(f"archive data exceeds the limit of {self.opts.max_bytes} bytes")
        if not parts:
            if m.isdir() and self.opts.apply_root_metadata:
                self._apply_root(m)
            return
        parent, base = parts[:-1], parts[-1]
        if self.opts.overlay_whiteouts and self._whiteout(parts, parent, base, m):
            return
        dir_fd = self._parent_fd(parent)
        try:
            self._create(tf, m, dir_fd, parent, base)
        except FileExistsError as e:
            raise LayerError(f"{m.name}: {e.strerror}") from None

    def _whiteout(self, parts, parent, base: str, m: tarfile.TarInfo) -> bool:
        if parts[0].startswith(WHITEOUT_META_PREFIX) and base != WHITEOUT_OPAQUE:
            return True  # AUFS bookkeeping (.wh..wh.plnk, .wh..wh.aufs): not content
        if base == WHITEOUT_OPAQUE:
            fd = self._parent_fd(parent)
            try:
                os.setxattr(fd, OPAQUE_XATTR, b"y")
            except OSError as e:
                raise LayerError(f"cannot mark {'/'.join(parent) or '/'} opaque: {e}") from None
            return True
        if base.startswith(WHITEOUT_META_PREFIX):
            return True
        if base.startswith(WHITEOUT_PREFIX):
            target = base[len(WHITEOUT_PREFIX) :]
            if target in ("", ".", ".."):
                raise LayerError(f"invalid whiteout {m.name!r}")
            fd = self._parent_fd(parent)
            self._remove_existing(fd, target)
            try:
                os.mknod(target, stat.S_IFCHR, 0, dir_fd=fd)
            except OSError as e:
                raise LayerError(f"cannot create whiteout for {m.name!r}: {e}") from None
            self._lchown(fd, target, m.uid, m.gid)
            return True
        return False

    def _remove_existing(self, dir_fd: int, name: str) -> os.stat_result | None:
        try:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            return None
        if stat.S_ISDIR(st.st_mode):
            self._drop_cache(keep=dir_fd)  # cached fds may live below the removed tree
            shutil.rmtree(name, dir_fd=dir_fd)
        else:
            if stat.S_ISLNK(st.st_mode):
                self._drop_cache(keep=dir_fd)  # a cached parent may resolve through it
            os.unlink(name, dir_fd=dir_fd)
        return st

    def _create(self, tf, m: tarfile.TarInfo, dir_fd: int, parent, base: str) -> None:
        try:
            st = os.stat(base, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            st = None
        if st is not None:
            is_dir = stat.S_ISDIR(st.st_mode)
            if self.opts.no_overwrite_dir_non_dir:
                where = "/".join(self.base + parent + (base,))
                if is_dir and not m.isdir():
                    raise LayerError(
                        f'cannot overwrite directory "/{where}" with non-directory "{m.name}"'
                    )
                if not is_dir and m.isdir():
                    raise LayerError(
                        f'cannot overwrite non-directory "/{where}" with directory "{m.name}"'
                    )
            if not (is_dir and m.isdir()):
                self._remove_existing(dir_fd, base)
                st = None

        uid, gid = self.opts.chown if self.opts.chown is not None else (m.uid, m.gid)
        mode = m.mode & 0o7777
        xattrs = member_xattrs(m)
        atime, mtime = member_times(m)

        if m.type in _FILE_TYPES:
            self._write_file(tf, m, dir_fd, base, uid, gid, mode, xattrs, (atime, mtime))
            return
        if m.isdir():
            if st is None:
                os.mkdir(base, 0o700, dir_fd=dir_fd)
            fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
            try:
                self._fchown(fd, uid, gid)
                self._set_xattrs(fd, xattrs, m.name)
                os.fchmod(fd, mode)
            finally:
                os.close(fd)
            self._dir_times.append((parent + (base,), atime, mtime))
            return
        if m.issym():
            os.symlink(m.linkname, base, dir_fd=dir_fd)
            self._lchown(dir_fd, base, uid, gid)
            self._set_xattrs_at(dir_fd, base, xattrs, m.name)
            os.utime(base, ns=(atime, mtime), dir_fd=dir_fd, follow_symlinks=False)
            return
        if m.islnk():
            self._hardlink(m, dir_fd, base)
            return
        if m.ischr() or m.isblk() or m.isfifo():
            if not m.isfifo() and not self.opts.allow_devices:
                raise LayerError(f"{m.name}: device nodes are not allowed here")
            kind = stat.S_IFCHR if m.ischr() else stat.S_IFBLK if m.isblk() else stat.S_IFIFO
            dev = os.makedev(m.devmajor, m.devminor) if not m.isfifo() else 0
            try:
                os.mknod(base, kind | mode, dev, dir_fd=dir_fd)
            except PermissionError as e:
                raise LayerError(f"{m.name}: cannot create device node: {e}") from None
            self._lchown(dir_fd, base, uid, gid)
            # glibc's fchmodat(AT_SYMLINK_NOFOLLOW) pins the inode through O_PATH.
            os.chmod(base, mode, dir_fd=dir_fd, follow_symlinks=False)
            self._set_xattrs_at(dir_fd, base, xattrs, m.name)
            os.utime(base, ns=(atime, mtime), dir_fd=dir_fd, follow_symlinks=False)
            return
        raise LayerError(f"{m.name}: unhandled tar header type {m.type!r}")

    def _write_file(self, tf, m, dir_fd, base, uid, gid, mode, xattrs, times) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(base, flags, 0o600, dir_fd=dir_fd)
        try:
            if m.size:
                src = tf.extractfile(m)
                remaining = m.size
                while remaining:
                    try:
                        chunk = src.read(min(remaining, _COPY_CHUNK))
                    except tarfile.ReadError as e:
                        raise LayerError(f"{m.name}: {e}") from None
                    if not chunk:
                        raise LayerError(f"{m.name}: unexpected end of data")
                    remaining -= len(chunk)
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(fd, view) :]
            self._fchown(fd, uid, gid)
            self._set_xattrs(fd, xattrs, m.name)
            os.fchmod(fd, mode)  # after chown, which clears setuid/setgid
            os.utime(fd, ns=times)
        finally:
            os.close(fd)

    def _hardlink(self, m: tarfile.TarInfo, dir_fd: int, base: str) -> None:
        try:
            target = clean_member_name(m.linkname)
        except PathEscapeError:
            raise PathEscapeError(f"invalid hardlink {m.name!r} -> {m.linkname!r}") from None
        if not target:
            raise LayerError(f"invalid hardlink {m.name!r} -> {m.linkname!r}")
        try:
            with self.root.walk(self.base + target, follow_final=False) as res:
                os.link(
                    res.name,
                    base,
                    src_dir_fd=res.dir_fd,
                    dst_dir_fd=dir_fd,
                    follow_symlinks=False,
                )
        except OSError as e:
            raise LayerError(f"hardlink {m.name!r} -> {m.linkname!r}: {e.strerror}") from None

    def _apply_root(self, m: tarfile.TarInfo) -> None:
        fd = self.root.open_dir(self.base)
        try:
            uid, gid = self.opts.chown if self.opts.chown is not None else (m.uid, m.gid)
            self._fchown(fd, uid, gid)
            self._set_xattrs(fd, member_xattrs(m), m.name)
            os.fchmod(fd, m.mode & 0o7777)
        finally:
            os.close(fd)
        atime, mtime = member_times(m)
        self._dir_times.append(((), atime, mtime))

    # -- metadata helpers -------------------------------------------------------------

    def _fchown(self, fd: int, uid: int, gid: int) -> None:
        try:
            os.fchown(fd, uid, gid)
        except PermissionError:
            if _IS_ROOT:
                raise

    def _lchown(self, dir_fd: int, name: str, uid: int, gid: int) -> None:
        try:
            os.chown(name, uid, gid, dir_fd=dir_fd, follow_symlinks=False)
        except PermissionError:
            if _IS_ROOT:
                raise

    def _set_xattrs(self, fd: int, xattrs: dict[str, bytes], what: str) -> None:
        for key, value in xattrs.items():
            try:
                os.setxattr(fd, key, value)
            except OSError as e:
                # Best effort like Docker: the filesystem or our privileges may not allow it.
                if e.errno not in (errno.ENOTSUP, errno.EPERM):
                    raise LayerError(f"{what}: setting xattr {key}: {e.strerror}") from None

    def _set_xattrs_at(self, dir_fd: int, name: str, xattrs: dict[str, bytes], what: str):
        if not xattrs:
            return
        # /proc/self/fd/N pins the parent; the final name is not followed.
        path = f"/proc/self/fd/{dir_fd}/{name}"
        for key, value in xattrs.items():
            try:
                os.setxattr(path, key, value, follow_symlinks=False)
            except OSError as e:
                if e.errno not in (errno.ENOTSUP, errno.EPERM):
                    raise LayerError(f"{what}: setting xattr {key}: {e.strerror}") from None

    def finish(self) -> None:
        """Set directory times last: creating children changed them."""
        self._drop_cache()
        for parts, atime, mtime in reversed(self._dir_times):
            try:
                with self.root.walk(self.base + parts, follow_final=False) as res:
                    if res.name is None:
                        os.utime(res.dir_fd, ns=(atime, mtime))
                    else:
                        os.utime(
                            res.name, ns=(atime, mtime), dir_fd=res.dir_fd, follow_symlinks=False
                        )
            except FileNotFoundError:
                pass  # removed by a later member


def extract_stream(
    stream: BinaryIO, root: RootDir, base: Iterable[str], options: ExtractOptions
) -> int:
    """Apply every member of the uncompressed tar ``stream``; returns the data size."""
    ex = Extractor(root, base, options)
    try:
        for tf, member in iter_tar(stream):
            try:
                ex.apply(tf, member)
            except LayerError:
                raise
            except OSError as e:
                raise LayerError(f"{member.name}: {e.strerror or e}") from None
            except (ValueError, OverflowError) as e:  # NUL bytes, absurd device numbers
                raise LayerError(f"{member.name!r}: {e}") from None
        ex.finish()
    finally:
        ex.close()
    return ex.size


__all__ = ["ExtractOptions", "Extractor", "extract_stream"]
