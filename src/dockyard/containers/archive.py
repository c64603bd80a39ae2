"""docker cp and export: tar streams in and out of a container's filesystem.

Paths are always resolved inside the container root (images.rootpath never follows a link
out of it) and no binary from the container is ever run. A path under a volume or bind
mount goes to that mount's source, as it would be seen inside the container.

Everything here blocks (run it in a thread): tar streams are written to a file-like `out`
and read from a file-like `body`; the API bridges them to HTTP.
"""

from __future__ import annotations

import contextlib
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from ..errors import InvalidParameter, NotFound
from .etcfiles import etc_mount_points
from .rootfs import RootFS, is_mounted

if TYPE_CHECKING:
    from .record import Container
    from .service import ContainerService


@dataclass(frozen=True)
class PutOptions:
    """`docker cp` into a container (PUT /containers/{id}/archive)."""

    path: str
    no_overwrite_dir_non_dir: bool = False
    copy_uid_gid: bool = False


@contextlib.contextmanager
def mounted_root(svc: ContainerService, c: Container) -> Iterator[Path]:
    """The merged rootfs, mounted for the duration when the container is not running."""
    rootfs = RootFS(svc.dir(c.id))
    if is_mounted(rootfs.merged):
        yield rootfs.merged
        return
    with c.lock:
        images = svc.images
        rootfs.mount(images.lowerdirs(c.record.image_id))
        try:
            yield rootfs.merged
        finally:
            if not c.running:
                rootfs.unmount()


def _split_by_mounts(c: Container, root: Path, path: str) -> tuple[Path, str]:
    """(root to resolve in, path inside it): the longest mount destination wins."""
    norm = posixpath.normpath("/" + path.lstrip("/"))  # "//x" would stay as is
    best: dict[str, Any] | None = None
    for m in [*c.record.mount_points(), *etc_mount_points(c)]:
        dest = m.get("Destination", "")
        if not m.get("Source") or m.get("Type") == "tmpfs":
            continue
        if norm == dest or norm.startswith(dest.rstrip("/") + "/"):
            if best is None or len(dest) > len(best["Destination"]):
                best = m
    if best is None:
        return root, path
    if best.get("_file"):
        # A file mount: resolve its name inside the directory that holds it.
        if norm != best["Destination"]:
            return root, path
        src = Path(best["Source"])
        return src.parent, "/" + src.name
    rest = norm[len(best["Destination"]) :] or "/"
    if path.endswith("/") and not rest.endswith("/"):
        rest += "/"
    return Path(best["Source"]), rest


def _not_found(c: Container, path: str) -> NotFound:
    return NotFound(f"Could not find the file {path} in container {c.name}")


def stat_path(svc: ContainerService, c: Container, path: str) -> str:
    from dockyard.fs.rootpath import stat_in_root

    with mounted_root(svc, c) as root:
        base, inner = _split_by_mounts(c, root, path)
        try:
            return stat_in_root(base, inner).header_value()
        except FileNotFoundError:
            raise _not_found(c, path) from None


def write_archive(svc: ContainerService, c: Container, path: str, out: BinaryIO) -> None:
    """The tar of `path` (GET /containers/{id}/archive), written to `out`."""
    from dockyard.fs.rootpath import tar_from_root

    with mounted_root(svc, c) as root:
        base, inner = _split_by_mounts(c, root, path)
        follow = path.endswith("/") or path.endswith("/.")
        tar_from_root(base, inner, out, follow_link=follow)


def extract_archive(svc: ContainerService, c: Container, body: BinaryIO, opts: PutOptions) -> None:
    """Unpack the tar read from `body` at `opts.path` inside the container."""
    from dockyard.fs.rootpath import ExtractPointNotDirectory, extract_into_root

    if c.host_config.readonly_rootfs:
        raise InvalidParameter("container rootfs is marked read-only")
    with mounted_root(svc, c) as root:
        base, inner = _split_by_mounts(c, root, opts.path)
        chown = None if opts.copy_uid_gid else (0, 0)
        try:
            extract_into_root(
                base, inner, body, no_overwrite_dir_non_dir=opts.no_overwrite_dir_non_dir,
                chown=chown,
            )  # fmt: skip
        except FileNotFoundError:
            raise _not_found(c, opts.path) from None
        except ExtractPointNotDirectory:
            raise InvalidParameter("extraction point is not a directory") from None


def write_export(svc: ContainerService, c: Container, out: BinaryIO) -> None:
    """`docker export`: the whole root filesystem as a tar, written to `out`."""
    from dockyard.fs.rootpath import tar_from_root

    svc.publish("container", "export", c.id, {"name": c.name})
    with mounted_root(svc, c) as root:
        tar_from_root(root, "/", out, arcname="")
