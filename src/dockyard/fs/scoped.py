"""File-descriptor based path resolution scoped to a root directory.

Every lookup walks one component at a time with ``openat(O_NOFOLLOW)`` relative to a directory
fd we hold, and expands symlinks ourselves as if ``root`` were ``/`` (like a chroot, or Go's
securejoin). ``..`` is taken from our own stack of fds, never from the kernel, so neither a
hostile symlink nor a directory swapped under us by a running container can lead outside root.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

MAX_SYMLINKS = 40  # Linux's own limit before ELOOP

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def split_path(path: str | Iterable[str]) -> list[str]:
    """Components of a path, dropping empty and ``.`` ones (they never change the result)."""
    parts = path.split("/") if isinstance(path, str) else path
    return [p for p in parts if p and p != "."]


_FD_WINDOW = 64  # directory fds kept open per walk


def _close(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)


def open_dir_nofollow(dir_fd: int, name: str) -> int:
    return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)


class Resolved:
    """Result of a walk: ``name`` inside directory ``dir_fd`` (``name`` is None when the path
    is the directory itself). ``parts`` is the resolved path relative to the root. The fd is
    owned by this object; use it as a context manager."""

    __slots__ = ("dir_fd", "name", "parts")

    def __init__(self, dir_fd: int, name: str | None, parts: list[str]):
        self.dir_fd = dir_fd
        self.name = name
        self.parts = parts

    def close(self) -> None:
        if self.dir_fd >= 0:
            os.close(self.dir_fd)
            self.dir_fd = -1

    def __enter__(self) -> Resolved:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def lstat(self) -> os.stat_result | None:
        """lstat of the final entry, None if it does not exist."""
        try:
            if self.name is None:
                return os.stat(self.dir_fd)
            return os.stat(self.name, dir_fd=self.dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    @property
    def relpath(self) -> str:
        return "/".join(self.parts)


class RootDir:
    """A directory that acts as ``/`` for every lookup made through it."""

    def __init__(self, root: str | os.PathLike[str]):
        self.path = Path(root)
        self.fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> RootDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def walk(
        self,
        path: str | Iterable[str],
        *,
        follow_final: bool = True,
        final_is_dir: bool = False,
        create: bool = False,
        mkdir_mode: int = 0o755,
        on_mkdir=None,
        lexical_missing: bool = False,
    ) -> Resolved:
        """Resolve ``path`` inside the root.

        Intermediate components must be directories (symlinks are expanded inside the root);
        missing ones are created with ``mkdir_mode`` when ``create`` (``on_mkdir(dir_fd, name)``
        is then called, e.g. to chown them). With ``final_is_dir`` the last component is
        treated like an intermediate one and the result is that directory (``name`` None).
        Otherwise the last component is returned unopened; it may not exist. A symlink as
        last component is expanded only when ``follow_final``. With ``lexical_missing`` a
        missing intermediate directory is not an error: later components are joined
        lexically until a ``..`` climbs back into what exists (as securejoin does); the
        result's ``dir_fd`` is then the deepest existing directory, only ``parts`` being
        meaningful.
        """
        todo = split_path(path)
        todo.reverse()
        stack: list[int | None] = [self.fd]
        names: list[str] = []
        missing: list[str] = []  # components below the deepest existing directory
        links = 0
        try:
            while todo:
                comp = todo.pop()
                if comp == "..":
                    if missing:
                        missing.pop()
                    elif len(stack) > 1:
                        _close(stack.pop())
                        names.pop()
                        self._reopen_top(stack, names)
                    continue
                if missing:
                    missing.append(comp)
                    continue
                final = not todo and not final_is_dir
                top = stack[-1]
                if final:
                    if not follow_final:
                        return self._result(stack, comp, names + [comp])
                    try:
                        st = os.stat(comp, dir_fd=top, follow_symlinks=False)
                    except FileNotFoundError:
                        return self._result(stack, comp, names + [comp])
                    if not stat.S_ISLNK(st.st_mode):
                        return self._result(stack, comp, names + [comp])
                    links = self._expand(top, comp, todo, stack, names, links)
                    continue
                try:
                    fd = open_dir_nofollow(top, comp)
                except FileNotFoundError:
                    if lexical_missing and not create:
                        missing.append(comp)
                        continue
                    if not create:
                        raise
                    try:
                        os.mkdir(comp, mkdir_mode, dir_fd=top)
                        if on_mkdir is not None:
                            on_mkdir(top, comp)
                    except FileExistsError:
                        pass  # lost a race; the open below decides what it is
                    todo.append(comp)
                    continue
                except NotADirectoryError:
                    st = os.stat(comp, dir_fd=top, follow_symlinks=False)
                    if not stat.S_ISLNK(st.st_mode):
                        raise NotADirectoryError(
                            errno.ENOTDIR, os.strerror(errno.ENOTDIR), "/".join(names + [comp])
                        ) from None
                    links = self._expand(top, comp, todo, stack, names, links)
                    continue
                stack.append(fd)
                names.append(comp)
                if len(stack) > _FD_WINDOW + 1:
                    # Deep paths: keep only the last fds open, to stay far from RLIMIT_NOFILE.
                    _close(stack[-_FD_WINDOW - 1])
                    stack[-_FD_WINDOW - 1] = None
            return self._result(stack, None, names + missing)
        except BaseException:
            for fd in stack[1:]:
                _close(fd)
            raise

    def _expand(
        self, top: int, comp: str, todo: list[str], stack: list, names: list[str], links: int
    ) -> int:
        links += 1
        if links > MAX_SYMLINKS:
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), "/".join(names + [comp]))
        target = os.readlink(comp, dir_fd=top)
        if target.startswith("/"):
            for fd in stack[1:]:
                _close(fd)
            del stack[1:]
            names.clear()
        expanded = split_path(target)
        expanded.reverse()
        todo.extend(expanded)
        return links

    @staticmethod
    def _reopen_top(stack: list, names: list[str]) -> None:
        """After a ``..`` into the closed part of a deep stack, reopen down from the nearest
        open ancestor (each step O_NOFOLLOW, so a swapped-in symlink is an error, not a
        way out)."""
        if stack[-1] is not None:
            return
        i = len(stack) - 1
        while stack[i] is None:
            i -= 1
        keep_from = len(stack) - _FD_WINDOW
        for j in range(i + 1, len(stack)):
            stack[j] = open_dir_nofollow(stack[j - 1], names[j - 1])
            if i < j - 1 < keep_from:  # opened on the way down, outside the window
                _close(stack[j - 1])
                stack[j - 1] = None

    def _result(self, stack: list, name: str | None, parts: list[str]) -> Resolved:
        # Hand the top fd to the caller (dup'ing the root, which stays ours) and close the rest.
        top = stack.pop()
        for fd in stack[1:]:
            _close(fd)
        del stack[1:]
        if top == self.fd:
            top = os.dup(self.fd)
        return Resolved(top, name, parts)

    def open_dir(self, path: str | Iterable[str], **kw) -> int:
        """An fd of the directory at ``path`` (symlinks followed inside root); caller closes."""
        res = self.walk(path, final_is_dir=True, **kw)
        return res.dir_fd

    def host_path(self, parts: Iterable[str]) -> Path:
        """The host path for resolved ``parts`` (for messages and callers that need a path)."""
        return self.path.joinpath(*parts)
