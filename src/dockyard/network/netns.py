"""Named network namespaces under a run directory we own, without forking.

A namespace is created by a short-lived thread that unshares its own network namespace
and bind-mounts /proc/thread-self/ns/net onto a file; the mount keeps it alive after the
thread ends. Work inside a namespace is done by switching the calling thread only
(setns is per thread), so the daemon's other threads never notice.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import threading
from collections.abc import Iterator

CLONE_NEWNET = 0x40000000
MS_BIND = 4096
MS_REC = 16384
MS_SHARED = 1 << 20
MNT_DETACH = 2

_libc = ctypes.CDLL(None, use_errno=True)
# Several starts may create namespaces at once: the run dir is made a shared mount once.
_dir_lock = threading.Lock()
# Run dirs made shared by this process: asking mountinfo again at every start costs a
# read of every mount of the host (thousands of lines, tens of ms on a busy host).
_shared: set[str] = set()


def _check(ret: int, what: str, path: str = "") -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}", path)


def _setns(fd: int) -> None:
    _check(_libc.setns(fd, CLONE_NEWNET), "setns")


def _ensure_shared_dir(directory: str) -> None:
    """Make the run dir a shared mount like iproute2 does, so a namespace unmounted here
    is unmounted in every mount namespace that copied it (no leaked, pinned netns)."""
    os.makedirs(directory, mode=0o711, exist_ok=True)
    d = directory.encode()
    if is_mountpoint(directory):
        _check(_libc.mount(b"", d, b"none", MS_SHARED | MS_REC, None), "share run dir", directory)
        return
    _check(_libc.mount(d, d, b"none", MS_BIND | MS_REC, None), "bind run dir", directory)
    _check(_libc.mount(b"", d, b"none", MS_SHARED | MS_REC, None), "share run dir", directory)


def create(path: str) -> None:
    """Create a new, empty network namespace pinned at `path`."""
    directory = os.path.dirname(path)
    with _dir_lock:
        if directory not in _shared or not os.path.isdir(directory):
            _ensure_shared_dir(directory)
            _shared.add(directory)
    fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0o444)
    os.close(fd)
    error: list[BaseException] = []

    def worker() -> None:
        try:
            _check(_libc.unshare(CLONE_NEWNET), "unshare")
            src = b"/proc/thread-self/ns/net"
            _check(_libc.mount(src, path.encode(), b"none", MS_BIND, None), "mount netns", path)
        except BaseException as exc:  # reported to the caller below
            error.append(exc)

    t = threading.Thread(target=worker, name="netns-create")
    t.start()
    t.join()
    if error:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise error[0]


def delete(path: str) -> None:
    """Unpin and remove a namespace created by `create`; missing is not an error."""
    ret = _libc.umount2(path.encode(), MNT_DETACH)
    if ret != 0 and ctypes.get_errno() not in (errno.EINVAL, errno.ENOENT):
        _check(ret, "umount netns", path)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def is_mountpoint(path: str) -> bool:
    """Also true for bind mounts of the same filesystem, which os.path.ismount misses."""
    real = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        text = f.read()
    # Every container start asks, on hosts with thousands of mounts: look for the path
    # (as mountinfo escapes it) before splitting lines.
    escaped = real.replace("\\", "\\134").replace(" ", "\\040")
    escaped = escaped.replace("\t", "\\011").replace("\n", "\\012")
    if " " + escaped + " " not in text:
        return False
    for line in text.splitlines():
        if escaped not in line:
            continue
        point = line.split()[4]
        # mountinfo escapes space, tab, newline and backslash as octal
        point = point.encode().decode("unicode_escape") if "\\" in point else point
        if point == real:
            return True
    return False


def release_dir(directory: str) -> None:
    """Undo `_ensure_shared_dir` once no namespace is left in `directory`."""
    _shared.discard(directory)
    try:
        if os.listdir(directory):
            return
    except FileNotFoundError:
        return
    while is_mountpoint(directory):
        if _libc.umount2(directory.encode(), MNT_DETACH) != 0:
            break


def exists(path: str) -> bool:
    return os.path.ismount(path) or _is_nsfs(path)


def _is_nsfs(path: str) -> bool:
    try:
        return os.stat(path).st_dev != os.stat(os.path.dirname(path)).st_dev
    except OSError:
        return False


@contextlib.contextmanager
def entered(path: str) -> Iterator[None]:
    """Run the block with the calling thread inside the namespace at `path`."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open(path, os.O_RDONLY)
        try:
            _setns(target)
        finally:
            os.close(target)
        try:
            yield
        finally:
            # a thread left in a container's namespace would be a serious bug: fail loudly
            _setns(own)
    finally:
        os.close(own)
