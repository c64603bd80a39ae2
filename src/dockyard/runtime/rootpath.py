"""Resolve a path inside a container rootfs without ever leaving it.

Symlinks are followed as the container would see them: absolute targets restart at the
rootfs, `..` never climbs above it. Used to read the image's /etc/passwd and /etc/group.
"""

from __future__ import annotations

import os
import stat

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
    host = secure_join(root, path)
    try:
        fd = os.open(host, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return None
        return f.read(limit).decode("utf-8", "replace")
