"""Resolve a path inside a container rootfs without ever leaving it.

Symlinks are followed as the container would see them: absolute targets restart at the
rootfs, `..` never climbs above it. Used to read the image's /etc/passwd and /etc/group,
possibly of a running container whose processes could swap symlinks under us: reads use
openat2(RESOLVE_IN_ROOT), where the kernel does the confinement atomically, and fall back
to resolving in userspace on kernels without it (< 5.6).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import platform
import stat

_SYS_OPENAT2 = {"x86_64": 437, "aarch64": 437, "ppc64le": 437, "s390x": 437, "riscv64": 437}
_RESOLVE_NO_MAGICLINKS = 0x02
_RESOLVE_IN_ROOT = 0x10


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]


_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_openat2_works: bool | None = None


def open_in_root(root: str, path: str, flags: int = os.O_RDONLY) -> int:
    """An fd for `path` resolved inside `root` (the kernel confines every step)."""
    global _openat2_works
    nr = _SYS_OPENAT2.get(platform.machine())
    if nr is not None and _openat2_works is not False:
        rootfd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            how = _OpenHow(flags | os.O_CLOEXEC, 0, _RESOLVE_IN_ROOT | _RESOLVE_NO_MAGICLINKS)
            fd = _libc.syscall(nr, rootfd, os.fsencode(path.lstrip("/") or "."),
                               ctypes.byref(how), ctypes.sizeof(how))  # fmt: skip
            if fd >= 0:
                _openat2_works = True
                return fd
            err = ctypes.get_errno()
            if err != errno.ENOSYS:
                raise OSError(err, os.strerror(err), path)
            _openat2_works = False
        finally:
            os.close(rootfd)
    return os.open(secure_join(root, path), flags | os.O_NOFOLLOW | os.O_CLOEXEC)


_MAX_LINKS = 40


def secure_join(root: str, path: str) -> str:
    """Host path of `path` as seen inside `root` (which may not exist yet)."""
    root = os.path.abspath(root)
    pending = [p for p in path.split("/") if p]
    resolved: list[str] = []
    links = 0
    while pending:
        part = pending.pop(0)
        if part == ".":
            continue
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = os.path.join(root, *resolved, part)
        try:
            is_link = stat.S_ISLNK(os.lstat(candidate).st_mode)
        except OSError:
            is_link = False
        if not is_link:
            resolved.append(part)
            continue
        links += 1
        if links > _MAX_LINKS:
            raise OSError(40, "too many levels of symbolic links", path)
        target = os.readlink(candidate)
        if target.startswith("/"):
            resolved = []
        pending = [p for p in target.split("/") if p] + pending
    return os.path.join(root, *resolved)


def read_text(root: str, path: str, limit: int = 4 << 20) -> str | None:
    """Read a small text file of the rootfs; None if absent or not a regular file."""
    try:
        fd = open_in_root(root, path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return None
        return f.read(limit).decode("utf-8", "replace")
