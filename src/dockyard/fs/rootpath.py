"""Paths inside a container root, for ``docker cp`` and Dockerfile ADD/COPY.

Every path a user gives is a path inside the container: symlinks resolve as if the root were
``/`` and nothing ever leads outside it. Nothing here runs a binary from the container.
"""

from __future__ import annotations

import base64
import json
import os
import posixpath
import stat
import tarfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dockyard.common.timefmt import format_rfc3339_nano
from dockyard.errors import InvalidParameter
from dockyard.fs.compression import DEFAULT_MAX_BYTES, open_maybe_compressed
from dockyard.fs.extract import ExtractOptions, extract_stream
from dockyard.fs.scoped import RootDir
from dockyard.fs.tarwrite import SkipEntry, TreeWriter, xattr_pax

# Go's os.FileMode type bits, which Docker puts in PathStat.mode.
GO_MODE_DIR = 1 << 31
GO_MODE_SYMLINK = 1 << 27
GO_MODE_DEVICE = 1 << 26
GO_MODE_NAMED_PIPE = 1 << 25
GO_MODE_SOCKET = 1 << 24
GO_MODE_SETUID = 1 << 23
GO_MODE_SETGID = 1 << 22
GO_MODE_CHAR_DEVICE = 1 << 21
GO_MODE_STICKY = 1 << 20

PATH_STAT_HEADER = "X-Docker-Container-Path-Stat"


class ExtractPointNotDirectory(InvalidParameter):
    def __init__(self) -> None:
        super().__init__("extraction point is not a directory")


def go_file_mode(st_mode: int) -> int:
    """Translate a POSIX st_mode into Go's os.FileMode bits."""
    mode = st_mode & 0o777
    fmt = stat.S_IFMT(st_mode)
    if fmt == stat.S_IFDIR:
        mode |= GO_MODE_DIR
    elif fmt == stat.S_IFLNK:
        mode |= GO_MODE_SYMLINK
    elif fmt == stat.S_IFBLK:
        mode |= GO_MODE_DEVICE
    elif fmt == stat.S_IFCHR:
        mode |= GO_MODE_DEVICE | GO_MODE_CHAR_DEVICE
    elif fmt == stat.S_IFIFO:
        mode |= GO_MODE_NAMED_PIPE
    elif fmt == stat.S_IFSOCK:
        mode |= GO_MODE_SOCKET
    if st_mode & stat.S_ISUID:
        mode |= GO_MODE_SETUID
    if st_mode & stat.S_ISGID:
        mode |= GO_MODE_SETGID
    if st_mode & stat.S_ISVTX:
        mode |= GO_MODE_STICKY
    return mode


def go_time_rfc3339nano(ns: int) -> str:
    """Go's time.Time JSON form (RFC 3339, nanoseconds with trailing zeros trimmed), UTC."""
    return format_rfc3339_nano(*divmod(ns, 1_000_000_000))


@dataclass(frozen=True)
class PathStat:
    """Docker's ContainerPathStat."""

    name: str
    size: int
    mode: int  # Go os.FileMode bits
    mtime: str  # RFC 3339
    link_target: str = ""

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "size": self.size,
            "mode": self.mode,
            "mtime": self.mtime,
            "linkTarget": self.link_target,
        }

    def header_value(self) -> str:
        """The value of the X-Docker-Container-Path-Stat header (URL-safe base64 JSON)."""
        raw = json.dumps(self.to_json(), separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode("ascii")

    @property
    def is_dir(self) -> bool:
        return bool(self.mode & GO_MODE_DIR)


def _abs_path(path: str) -> tuple[str, bool]:
    """The cleaned absolute container path, and whether the user asked for the directory
    itself (a trailing ``/`` or ``/.``), which makes a final symlink be followed."""
    trailing = path.endswith("/") or path.endswith("/.") or path in (".", "")
    return posixpath.normpath("/" + path), trailing


def resolve_in_root(root: str | os.PathLike[str], path: str, follow_final: bool = True) -> Path:
    """The host path of container path ``path`` with symlinks resolved inside ``root``.

    Missing components are joined lexically (like securejoin). The result is always
    ``root`` or below it.
    """
    with RootDir(root) as rd:
        with rd.walk(path, follow_final=follow_final, lexical_missing=True) as res:
            return rd.host_path(res.parts)


def _lstat_in(rd: RootDir, path: str, follow_final: bool):
    """(Resolved, lstat) of a container path; raises FileNotFoundError if it is missing."""
    abspath, trailing = _abs_path(path)
    res = rd.walk(abspath, follow_final=follow_final or trailing)
    st = res.lstat()
    if st is None:
        res.close()
        raise FileNotFoundError(2, "No such file or directory", abspath)
    return res, st


def stat_in_root(root: str | os.PathLike[str], path: str) -> PathStat:
    """Docker's stat of a container path (HEAD /containers/{id}/archive).

    The final component is not followed (unless the path ends in ``/``); for a symlink,
    ``link_target`` is its fully resolved absolute path inside the container.
    """
    abspath, _ = _abs_path(path)
    with RootDir(root) as rd:
        res, st = _lstat_in(rd, path, follow_final=False)
        res.close()
        link_target = ""
        if stat.S_ISLNK(st.st_mode):
            with rd.walk(abspath, follow_final=True, lexical_missing=True) as full:
                link_target = "/" + full.relpath
    return PathStat(
        name=posixpath.basename(abspath) or "/",
        size=st.st_size,
        mode=go_file_mode(st.st_mode),
        mtime=go_time_rfc3339nano(st.st_mtime_ns),
        link_target=link_target,
    )


def tar_from_root(
    root: str | os.PathLike[str],
    path: str,
    out_fileobj: BinaryIO,
    follow_link: bool = False,
    arcname: str | None = None,
) -> PathStat:
    """Write the tar Docker's GET /containers/{id}/archive returns for ``path``.

    The top entry is named after the basename of the requested path (or ``arcname``), even
    when a symlink was followed to reach it; a directory is archived recursively below it.
    The root directory itself is archived as its children, unprefixed. Returns the PathStat
    of what was archived.
    """
    abspath, _ = _abs_path(path)
    top = arcname if arcname is not None else posixpath.basename(abspath)
    with RootDir(root) as rd:
        res, st = _lstat_in(rd, path, follow_final=follow_link)
        with res:
            writer = TreeWriter(out_fileobj)
            if res.name is None:  # the path is the root (or resolved to it)
                if top:
                    _add_dir_entry(writer, res.dir_fd, top, st)
                writer.walk(res.dir_fd, top)
            else:
                try:
                    ti = writer.header(res.dir_fd, res.name, top, st)
                except SkipEntry:
                    ti = None
                if ti is not None:
                    xattrs = writer.xattrs_of(res.dir_fd, res.name, st)
                    ti.pax_headers.update(xattr_pax(xattrs))
                    writer.add(res.dir_fd, res.name, ti, st)
                    if stat.S_ISDIR(st.st_mode):
                        sub = os.open(
                            res.name,
                            os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW,
                            dir_fd=res.dir_fd,
                        )
                        try:
                            writer.walk(sub, top)
                        finally:
                            os.close(sub)
            writer.close()
    return PathStat(
        name=posixpath.basename(abspath) or "/",
        size=st.st_size,
        mode=go_file_mode(st.st_mode),
        mtime=go_time_rfc3339nano(st.st_mtime_ns),
    )


def _add_dir_entry(writer: TreeWriter, dir_fd: int, name: str, st: os.stat_result) -> None:
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.DIRTYPE
    ti.mode = stat.S_IMODE(st.st_mode)
    ti.uid, ti.gid = st.st_uid, st.st_gid
    ti.uname = ti.gname = ""
    ti.mtime = int(st.st_mtime)
    writer.tf.addfile(ti)


def extract_into_root(
    root: str | os.PathLike[str],
    dest_dir_in_ctr: str,
    tar_stream: BinaryIO,
    *,
    no_overwrite_dir_non_dir: bool = False,
    chown: tuple[int, int] | None = None,
    allow_devices: bool = True,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> int:
    """Extract a user's tar (plain, gzip, bzip2, xz or zstd) below a directory in the root.

    The destination is resolved with symlinks followed inside ``root`` and must be an
    existing directory (FileNotFoundError / ExtractPointNotDirectory otherwise). Member
    paths are resolved inside ``root`` too, so a symlink in the archive or in the
    container can never lead a write outside it. ``chown`` forces the owner of every entry
    (Docker's copyUIDGID=false behaviour is the caller's choice). Returns the data size.
    """
    with RootDir(root) as rd:
        abspath, _ = _abs_path(dest_dir_in_ctr)
        with rd.walk(abspath, follow_final=True) as res:
            st = res.lstat()
            if st is None:
                raise FileNotFoundError(2, "No such file or directory", abspath)
            if not stat.S_ISDIR(st.st_mode):
                raise ExtractPointNotDirectory()
            base = res.parts
        reader = open_maybe_compressed(tar_stream, max_bytes)
        opts = ExtractOptions(
            overlay_whiteouts=False,
            no_overwrite_dir_non_dir=no_overwrite_dir_non_dir,
            chown=chown,
            allow_devices=allow_devices,
            apply_root_metadata=False,
            max_bytes=max_bytes,
        )
        try:
            return extract_stream(reader, rd, base, opts)
        finally:
            reader.close()


def mkdir_in_root(
    root: str | os.PathLike[str],
    path: str,
    *,
    mode: int = 0o755,
    chown: tuple[int, int] | None = None,
) -> Path:
    """``mkdir -p`` of a container path (WORKDIR, COPY destinations); returns the host path.

    Symlinks on the way resolve inside ``root``; directories created here get ``mode`` and,
    when given, the owner ``chown`` (existing ones are left alone).
    """

    def owned(dir_fd: int, name: str) -> None:
        os.chmod(name, mode, dir_fd=dir_fd, follow_symlinks=False)  # not subject to umask
        if chown is not None:
            os.chown(name, *chown, dir_fd=dir_fd, follow_symlinks=False)

    abspath, _ = _abs_path(path)
    with RootDir(root) as rd:
        fd = rd.open_dir(abspath, create=True, mkdir_mode=mode, on_mkdir=owned)
        os.close(fd)
        with rd.walk(abspath, follow_final=True, lexical_missing=True) as res:
            return rd.host_path(res.parts)


def copy_between_roots(
    src_root: str | os.PathLike[str],
    src_path: str,
    dst_root: str | os.PathLike[str],
    dst_dir: str,
    *,
    arcname: str | None = None,
    follow_link: bool = False,
    chown: tuple[int, int] | None = None,
) -> int:
    """Copy ``src_path`` of one root into directory ``dst_dir`` of another (COPY, COPY
    --from, cp between containers), streaming a tar between the two safe halves.

    ``arcname`` renames the copied entry; ``"."`` copies a directory's contents instead
    of the directory. Returns the bytes of file data copied.
    """
    rfd, wfd = os.pipe()
    produced: list[BaseException] = []

    def produce() -> None:
        try:
            with open(wfd, "wb", buffering=1 << 20) as out:
                tar_from_root(src_root, src_path, out, follow_link=follow_link, arcname=arcname)
        except BaseException as e:  # reported by the consumer side below
            produced.append(e)

    thread = threading.Thread(target=produce, name="copy-between-roots", daemon=True)
    thread.start()
    failure: BaseException | None = None
    size = 0
    try:
        with open(rfd, "rb", buffering=1 << 20) as src:
            size = extract_into_root(dst_root, dst_dir, src, chown=chown)
            while src.read(1 << 20):  # let the producer finish even after the end marker
                pass
    except BaseException as e:
        failure = e
    thread.join()
    # The producer's error is the cause (e.g. a missing source); a broken pipe only
    # follows from the consumer failing first.
    for e in produced:
        if not isinstance(e, BrokenPipeError):
            raise e
    if failure is not None:
        raise failure
    return size
