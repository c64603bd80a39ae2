"""Learn of container exits quickly: inotify on conmon's exit directory.

conmon writes `<exit_dir>/<cid>` with g_file_set_contents (a temp file `<cid>.XXXXXX`,
then a rename), so a rename into the directory (IN_MOVED_TO) means "container <cid>
exited"; the temp files are ignored. One thread serves every container; if inotify is unavailable
the thread polls the directory instead.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import select
import struct
import threading
from collections.abc import Callable
from pathlib import Path

IN_MOVED_TO = 0x00000080
_EVENT = struct.Struct("iIII")
_TEMP = re.compile(r"\.[A-Za-z0-9]{6}$")  # g_file_set_contents temp names
POLL_INTERVAL = 0.5

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _inotify_fd(directory: Path) -> int | None:
    try:
        fd = _libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            return None
        if _libc.inotify_add_watch(fd, os.fsencode(directory), IN_MOVED_TO) < 0:
            os.close(fd)
            return None
        return fd
    except (AttributeError, OSError):
        return None


def _is_exit_file(name: str) -> bool:
    return bool(name) and not name.startswith(".") and not _TEMP.search(name)


def _names(buf: bytes) -> list[str]:
    names, off = [], 0
    while off + _EVENT.size <= len(buf):
        _wd, _mask, _cookie, length = _EVENT.unpack_from(buf, off)
        raw = buf[off + _EVENT.size : off + _EVENT.size + length]
        off += _EVENT.size + length
        name = raw.split(b"\0", 1)[0].decode("utf-8", "replace")
        if _is_exit_file(name):
            names.append(name)
    return names


class ExitWatcher:
    """Calls `callback(cid)` (from its own thread) for every exit file that appears.

    Files already present when it starts are reported too, so nothing that happened while
    the daemon was down is missed. The callback should be quick (hand off to a queue or the
    event loop with call_soon_threadsafe); the same cid may be reported more than once.
    """

    def __init__(self, exit_dir: Path, callback: Callable[[str], None]):
        self.exit_dir = Path(exit_dir)
        self.callback = callback
        self._stop_r, self._stop_w = os.pipe2(os.O_CLOEXEC)
        self._fd = _inotify_fd(self.exit_dir)
        self._thread = threading.Thread(target=self._run, name="exit-watcher", daemon=True)
        self._thread.start()

    def _existing(self) -> list[str]:
        try:
            return sorted(n for n in os.listdir(self.exit_dir) if _is_exit_file(n))
        except OSError:
            return []

    def _emit(self, names: list[str]) -> None:
        for name in names:
            try:
                self.callback(name)
            except Exception:  # noqa: BLE001 - one bad callback must not kill the watcher
                pass

    def _run(self) -> None:
        self._emit(self._existing())
        seen: set[str] = set(self._existing())
        while True:
            watch = [self._stop_r] + ([self._fd] if self._fd is not None else [])
            ready, _, _ = select.select(
                watch, [], [], None if self._fd is not None else POLL_INTERVAL
            )
            if self._stop_r in ready:
                break
            if self._fd is not None and self._fd in ready:
                try:
                    self._emit(_names(os.read(self._fd, 65536)))
                except BlockingIOError:
                    pass
            elif self._fd is None:
                current = set(self._existing())
                self._emit(sorted(current - seen))
                seen = current

    def stop(self) -> None:
        os.write(self._stop_w, b"x")
        self._thread.join(timeout=5)
        for fd in (self._stop_r, self._stop_w, self._fd):
            if fd is not None:
                os.close(fd)
        self._fd = None
