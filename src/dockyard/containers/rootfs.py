"""The container's root filesystem: an overlay of the image layers and its own upper dir."""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .record import Container

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong] + [ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]

# Plain upper dirs: renamed directories and metadata-only copies must show up as real
# entries, or layer diffs (commit, build) would miss them.
OVERLAY_OPTS = "index=off,redirect_dir=off,metacopy=off"

MNT_DETACH = 2
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18


def mount(source: str, target: str, fstype: str | None, flags: int = 0, data: str = "") -> None:
    rc = _libc.mount(
        source.encode(), target.encode(), fstype.encode() if fstype else None, flags, data.encode()
    )
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {fstype or 'bind'} on {target}: {os.strerror(err)}")


def umount(target: str, detach: bool = True) -> None:
    rc = _libc.umount2(target.encode(), MNT_DETACH if detach else 0)
    if rc != 0:
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOENT):  # not mounted: nothing to do
            raise OSError(err, f"umount {target}: {os.strerror(err)}")


def is_mounted(target: Path) -> bool:
    """Whether a container's overlay is mounted on `target`. An overlay mount has a device
    of its own, so two stats answer it; reading /proc/self/mountinfo instead costs a line
    per mount on the host (one per running container), on every start and remove."""
    try:
        return os.stat(target).st_dev != os.stat(os.path.dirname(target)).st_dev
    except OSError:
        return False


class RootFS:
    """<container dir>/{upper,work,merged}; merged is what the runtime sees as rootfs."""

    def __init__(self, container_dir: Path) -> None:
        self.dir = container_dir
        self.upper = container_dir / "upper"
        self.work = container_dir / "work"
        self.merged = container_dir / "merged"

    def prepare(self) -> None:
        for d in (self.upper, self.work, self.merged):
            d.mkdir(parents=True, exist_ok=True)
        os.chmod(self.upper, 0o755)

    def mount(self, lowerdirs: list[Path]) -> None:
        if is_mounted(self.merged):
            return
        self.prepare()
        init = self._init_layer()
        lower = ":".join(str(p) for p in [init, *lowerdirs])
        data = f"lowerdir={lower},upperdir={self.upper},workdir={self.work},{OVERLAY_OPTS}"
        if len(data) > 4000:
            # The mount data must fit a page: go through short relative links instead.
            links = self.dir / "l"
            links.mkdir(exist_ok=True)
            names = []
            for i, p in enumerate(lowerdirs):
                link = links / str(i)
                if not link.is_symlink():
                    os.symlink(p, link)
                names.append(f"l/{i}")
            names.insert(0, init.name)
            cwd = os.getcwd()
            os.chdir(self.dir)
            try:
                mount(
                    "overlay",
                    str(self.merged),
                    "overlay",
                    0,
                    f"lowerdir={':'.join(names)},upperdir=upper,workdir=work,{OVERLAY_OPTS}",
                )
            finally:
                os.chdir(cwd)
            return
        mount("overlay", str(self.merged), "overlay", 0, data)

    def _init_layer(self) -> Path:
        """Docker's init layer, below the container's own changes (so `diff` and `commit`
        never see it): an empty /.dockerenv and /etc/mtab -> /proc/mounts."""
        init = self.dir / "init"
        if not (init / ".dockerenv").exists():
            (init / "etc").mkdir(parents=True, exist_ok=True)
            mtab = init / "etc" / "mtab"
            if not mtab.is_symlink():
                os.symlink("/proc/mounts", mtab)
            (init / ".dockerenv").touch(mode=0o755)
            os.chmod(init / ".dockerenv", 0o755)
        return init

    def unmount(self) -> None:
        umount(str(self.merged))  # not mounted: EINVAL, ignored


def dir_size(path: Path) -> int:
    """Bytes in the files under `path` (a container's upper layer: its SIZE)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


RUNTIME_PATHS = (
    "/proc", "/sys", "/dev", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf",
    "/sbin/docker-init", "/.dockerenv",
)  # fmt: skip


def runtime_mount_points(c: Container) -> list[str]:
    """Paths the runtime creates in the upper dir (Docker keeps them in an init layer)."""
    return [*RUNTIME_PATHS, *(m["Destination"] for m in c.record.mount_points())]
