"""``docker diff``: the changes an overlay upper dir makes over its lower dirs.

Same rules as Docker's overlay2 driver: a whiteout or an opaque directory is a deletion,
anything else is an addition unless a lower layer has that path (then a modification); a
directory identical in size, mode and mtime to the lower one is not reported by itself, but
the parent of every addition or deletion is.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from dockyard.fs.extract import OPAQUE_XATTR
from dockyard.fs.scoped import RootDir

CHANGE_MODIFY = 0
CHANGE_ADD = 1
CHANGE_DELETE = 2
_KIND_LETTER = {CHANGE_MODIFY: "C", CHANGE_ADD: "A", CHANGE_DELETE: "D"}


@dataclass(frozen=True)
class Change:
    path: str
    kind: int  # CHANGE_MODIFY / CHANGE_ADD / CHANGE_DELETE, as the Engine API's "Kind"

    def to_json(self) -> dict:
        return {"Path": self.path, "Kind": self.kind}

    def __str__(self) -> str:  # the CLI's "C /etc" form
        return f"{_KIND_LETTER[self.kind]} {self.path}"


def _same_time(a_ns: int, b_ns: int) -> bool:
    # Docker tolerates one side having lost its sub-second part.
    if a_ns == b_ns:
        return True
    a_s, a_frac = divmod(a_ns, 1_000_000_000)
    b_s, b_frac = divmod(b_ns, 1_000_000_000)
    return a_s == b_s and (a_frac == 0 or b_frac == 0)


class _Lowers:
    def __init__(self, lowers: list[str | os.PathLike[str]]):
        self.roots = [RootDir(p) for p in lowers]

    def stat(self, rel: str) -> os.stat_result | None:
        """stat (following symlinks inside the layer) of ``rel`` in the top-most layer with it."""
        for rd in self.roots:
            try:
                with rd.walk(rel, follow_final=True) as res:
                    st = res.lstat()
            except OSError:
                continue
            if st is not None:
                return st
        return None

    def close(self) -> None:
        for rd in self.roots:
            rd.close()


def changes_from_upper(
    upper: str | os.PathLike[str],
    lowers: list[str | os.PathLike[str]],
    *,
    exclude: Collection[str] = (),
) -> list[Change]:
    """Changes of ``upper`` over ``lowers`` (top-most first), in Docker's walk order.

    ``exclude`` lists container paths to ignore with their subtrees (mount points the
    runtime created, which Docker keeps in its init layer); a directory then reported only
    because of them is dropped too.
    """
    out: list[Change] = []
    changed_dirs: set[str] = set()
    walk = _Walk(_Lowers(lowers), out, changed_dirs, {"/" + p.strip("/") for p in exclude})
    try:
        fd = os.open(Path(upper), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            walk.walk(fd, "")
        finally:
            os.close(fd)
    finally:
        walk.low.close()
    if walk.excluded_in:
        reported = {c.path for c in out}
        out = [
            c
            for c in out
            if not (
                c.kind == CHANGE_MODIFY
                and c.path in walk.excluded_in
                and not any(p.startswith(c.path + "/") for p in reported)
            )
        ]
    return out


class _Walk:
    """One directory-fd walk of the upper dir, collecting Changes."""

    def __init__(self, low: _Lowers, out: list[Change], changed: set[str], exclude: set[str]):
        self.low = low
        self.out = out
        self.changed = changed
        self.exclude = exclude
        self.excluded_in: set[str] = set()  # directories that had an excluded child

    def walk(self, dir_fd: int, prefix: str) -> None:
        out, changed = self.out, self.changed
        with os.scandir(dir_fd) as it:
            names = sorted(e.name for e in it)
        for name in names:
            path = f"{prefix}/{name}"
            if path in self.exclude:
                self.excluded_in.add(prefix)
                continue
            try:
                st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            except FileNotFoundError:
                continue
            is_dir = stat.S_ISDIR(st.st_mode)
            kind = self._kind(dir_fd, name, path, st)
            if kind is not None:
                if is_dir:
                    changed.add(path)
                if kind in (CHANGE_ADD, CHANGE_DELETE) and prefix and prefix not in changed:
                    out.append(Change(prefix, CHANGE_MODIFY))
                    changed.add(prefix)
                out.append(Change(path, kind))
            if is_dir:
                flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
                try:
                    sub = os.open(name, flags, dir_fd=dir_fd)
                except (FileNotFoundError, NotADirectoryError):
                    continue
                try:
                    self.walk(sub, path)
                finally:
                    os.close(sub)

    def _kind(self, dir_fd: int, name: str, path: str, st: os.stat_result) -> int | None:
        if _is_deletion(dir_fd, name, st):
            return CHANGE_DELETE
        lst = self.low.stat(path)
        if lst is None:
            return CHANGE_ADD
        if (
            stat.S_ISDIR(st.st_mode)
            and stat.S_ISDIR(lst.st_mode)
            and st.st_size == lst.st_size
            and st.st_mode == lst.st_mode
            and _same_time(st.st_mtime_ns, lst.st_mtime_ns)
        ):
            return None  # only there as the parent of a change; reported if that needs it
        return CHANGE_MODIFY


def _is_deletion(dir_fd: int, name: str, st: os.stat_result) -> bool:
    if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
        return True
    if stat.S_ISDIR(st.st_mode):
        try:
            return os.getxattr(f"/proc/self/fd/{dir_fd}/{name}", OPAQUE_XATTR) == b"y"
        except OSError:
            return False
    return False
