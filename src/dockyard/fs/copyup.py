"""Copy-up: seed a new, empty volume with what the image has at the mount destination.

Everything is done relative to open directory descriptors with O_NOFOLLOW, so a symlink in
the image (say `data -> /etc`) is copied as a symlink and never followed to the host.
Owner, mode, timestamps, xattrs, symlinks, hard links, fifos and device nodes are kept;
sockets and overlay whiteouts (0:0 character devices) are skipped.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DockyardError

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
MAX_SYMLINKS = 255


def resolve_in_rootfs(rootfs: Path | str, path: str) -> Path:
    """Host path of container path `path`, resolving symlinks as if `rootfs` were `/`:
    absolute links restart at rootfs and `..` never climbs above it."""
    root = os.path.realpath(rootfs)
    parts = [p for p in path.split("/") if p not in ("", ".")]
    resolved: list[str] = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = os.path.join(root, *resolved, part)
        try:
            st = os.lstat(candidate)
        except (FileNotFoundError, NotADirectoryError):
            resolved.append(part)
            continue
        if not stat.S_ISLNK(st.st_mode):
            resolved.append(part)
            continue
        hops += 1
        if hops > MAX_SYMLINKS:
            raise DockyardError(f"too many levels of symbolic links resolving {path}")
        target = os.readlink(candidate)
        if target.startswith("/"):
            resolved = []
        parts = [p for p in target.split("/") if p not in ("", ".")] + parts
    return Path(root, *resolved)


def _ignore_unsupported(exc: OSError) -> bool:
    return exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM, errno.ENODATA)


def _copy_xattrs(src: int | str, dst: int | str) -> None:
    """src/dst: an fd, or a /proc/self/fd path read without following the last link."""
    follow = isinstance(src, int)
    try:
        names = os.listxattr(src, follow_symlinks=follow)
    except OSError as exc:
        if _ignore_unsupported(exc):
            return
        raise
    for name in names:
        try:
            value = os.getxattr(src, name, follow_symlinks=follow)
            os.setxattr(dst, name, value, follow_symlinks=follow)
        except OSError as exc:
            if not _ignore_unsupported(exc):
                raise


def _copy_data(sfd: int, dfd: int) -> None:
    while True:
        try:
            n = os.copy_file_range(sfd, dfd, 1 << 30)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                raise
            break
        if n == 0:
            return
    # fall back to plain reads from where copy_file_range stopped
    while chunk := os.read(sfd, 1 << 20):
        view = memoryview(chunk)
        while view:
            view = view[os.write(dfd, view) :]


def _apply_meta_fd(fd: int, st: os.stat_result, src_fd: int) -> None:
    os.fchown(fd, st.st_uid, st.st_gid)
    os.fchmod(fd, stat.S_IMODE(st.st_mode))  # after chown, which clears setuid bits
    _copy_xattrs(src_fd, fd)


@dataclass
class _Frame:
    sfd: int
    dfd: int
    rel: str
    st: os.stat_result
    names: list[str] = field(default_factory=list)


def copy_up(src_dir: Path | str, volume_dir: Path | str) -> bool:
    """Copy the content of `src_dir` into `volume_dir` if the latter is empty.

    Returns True when something was copied. `src_dir` must already be resolved inside the
    rootfs (see resolve_in_rootfs); a symlink there is not followed.
    """
    try:
        sroot = os.open(src_dir, _DIR_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # the path itself is a symlink: nothing to copy
            return False
        raise
    try:
        droot = os.open(volume_dir, _DIR_FLAGS)
    except BaseException:
        os.close(sroot)
        raise
    frames: list[_Frame] = []
    try:
        if os.listdir(droot):
            return False  # never overwrite a populated volume
        root_st = os.fstat(sroot)
        frames.append(_Frame(sroot, droot, "", root_st, sorted(os.listdir(sroot))))
        links: dict[tuple[int, int], str] = {}
        while frames:
            frame = frames[-1]
            if not frame.names:
                frames.pop()
                _apply_meta_fd(frame.dfd, frame.st, frame.sfd)
                os.utime(frame.dfd, ns=(frame.st.st_atime_ns, frame.st.st_mtime_ns))
                if frame.sfd != sroot:
                    os.close(frame.sfd)
                    os.close(frame.dfd)
                continue
            name = frame.names.pop(0)
            child = _copy_entry(frame, name, droot, links)
            if child is not None:
                frames.append(child)
        return True
    except OSError as exc:
        raise DockyardError(f"failed to populate volume: {exc}") from None
    finally:
        for frame in frames:
            if frame.sfd != sroot:
                os.close(frame.sfd)
                os.close(frame.dfd)
        os.close(sroot)
        os.close(droot)


def _copy_entry(
    frame: _Frame, name: str, droot: int, links: dict[tuple[int, int], str]
) -> _Frame | None:
    sfd, dfd = frame.sfd, frame.dfd
    st = os.stat(name, dir_fd=sfd, follow_symlinks=False)
    mode = st.st_mode
    rel = f"{frame.rel}/{name}" if frame.rel else name
    key = (st.st_dev, st.st_ino)
    if not stat.S_ISDIR(mode) and st.st_nlink > 1 and key in links:
        os.link(links[key], name, src_dir_fd=droot, dst_dir_fd=dfd, follow_symlinks=False)
        return None
    if stat.S_ISDIR(mode):
        os.mkdir(name, 0o700, dir_fd=dfd)
        child_s = os.open(name, _DIR_FLAGS, dir_fd=sfd)
        try:
            child_d = os.open(name, _DIR_FLAGS, dir_fd=dfd)
        except BaseException:
            os.close(child_s)
            raise
        return _Frame(child_s, child_d, rel, st, sorted(os.listdir(child_s)))
    if stat.S_ISREG(mode):
        s = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=sfd)
        try:
            d = os.open(
                name,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                0o600,
                dir_fd=dfd,
            )
            try:
                _copy_data(s, d)
                _apply_meta_fd(d, st, s)
                os.utime(d, ns=(st.st_atime_ns, st.st_mtime_ns))
            finally:
                os.close(d)
        finally:
            os.close(s)
    elif stat.S_ISLNK(mode):
        os.symlink(os.readlink(name, dir_fd=sfd), name, dir_fd=dfd)
        _finish_special(sfd, dfd, name, st, chmod=False)
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode):
        if stat.S_ISCHR(mode) and st.st_rdev == 0:
            return None  # an overlay whiteout, not content
        os.mknod(name, stat.S_IFMT(mode) | 0o600, st.st_rdev, dir_fd=dfd)
        _finish_special(sfd, dfd, name, st, chmod=True)
    else:
        return None  # sockets belong to a running process, not to the image
    if st.st_nlink > 1:
        links[key] = rel
    return None


def _finish_special(sfd: int, dfd: int, name: str, st: os.stat_result, chmod: bool) -> None:
    os.chown(name, st.st_uid, st.st_gid, dir_fd=dfd, follow_symlinks=False)
    if chmod:
        os.chmod(name, stat.S_IMODE(st.st_mode), dir_fd=dfd)  # not a symlink: safe to follow
    _copy_xattrs(f"/proc/self/fd/{sfd}/{name}", f"/proc/self/fd/{dfd}/{name}")
    os.utime(name, ns=(st.st_atime_ns, st.st_mtime_ns), dir_fd=dfd, follow_symlinks=False)
