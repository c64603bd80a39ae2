"""docker cp and export: tar streams in and out of a container's filesystem.

Paths are always resolved inside the container root (images.rootpath never follows a link
out of it) and no binary from the container is ever run. A path under a volume or bind
mount goes to that mount's source, as it would be seen inside the container.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import posixpath
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidParameter, NotFound
from .rootfs import RootFS, is_mounted

if TYPE_CHECKING:
    from ..api.http import Request
    from .service import Container, ContainerService

CHUNK = 256 * 1024


@contextlib.contextmanager
def mounted_root(svc: ContainerService, c: Container) -> Iterator[Path]:
    """The merged rootfs, mounted for the duration when the container is not running."""
    rootfs = RootFS(svc.dir(c.id))
    if is_mounted(rootfs.merged):
        yield rootfs.merged
        return
    with c.lock:
        images = svc.daemon.services.images
        rootfs.mount(images.lowerdirs(c.doc["Image"]))
        try:
            yield rootfs.merged
        finally:
            if not c.running:
                rootfs.unmount()


def _etc_mounts(c: Container) -> list[dict[str, Any]]:
    # /etc/hostname, hosts and resolv.conf are bind mounts of files in the container dir.
    taken = {m.get("Destination") for m in c.doc.get("Mounts") or []}
    out = []
    for key, dest in (("HostnamePath", "/etc/hostname"), ("HostsPath", "/etc/hosts"),
                      ("ResolvConfPath", "/etc/resolv.conf")):  # fmt: skip
        source = c.doc.get(key)
        if source and dest not in taken and os.path.exists(source):
            out.append({"Destination": dest, "Source": source, "Type": "bind", "_file": True})
    return out


def _split_by_mounts(c: Container, root: Path, path: str) -> tuple[Path, str]:
    """(root to resolve in, path inside it): the longest mount destination wins."""
    norm = posixpath.normpath("/" + path.lstrip("/"))  # "//x" would stay as is
    best: dict[str, Any] | None = None
    for m in [*(c.doc.get("Mounts") or []), *_etc_mounts(c)]:
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


class _QueueWriter:
    """File-like sink feeding an asyncio queue from the worker thread (bounded: backpressure)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, q: asyncio.Queue[bytes | None]) -> None:
        self.loop = loop
        self.q = q
        self.buf = bytearray()
        self.cancelled = threading.Event()

    def write(self, data: bytes) -> int:
        if self.cancelled.is_set():
            raise BrokenPipeError("client went away")
        self.buf += data
        if len(self.buf) >= CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.buf:
            chunk = bytes(self.buf)
            self.buf.clear()
            asyncio.run_coroutine_threadsafe(self.q.put(chunk), self.loop).result()

    def close(self) -> None:
        self.flush()


async def threaded_stream(produce: Any) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    q: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=8)
    sink = _QueueWriter(loop, q)

    def run() -> None:
        try:
            produce(sink)
            sink.flush()
        finally:
            asyncio.run_coroutine_threadsafe(q.put(None), loop).result()

    task = loop.run_in_executor(None, run)
    try:
        while True:
            chunk = await q.get()
            if chunk is None:
                break
            yield chunk
    finally:
        sink.cancelled.set()
        while not task.done():
            with contextlib.suppress(asyncio.QueueEmpty):
                q.get_nowait()
            await asyncio.sleep(0.01)
        await task


async def get_archive(
    svc: ContainerService, c: Container, path: str
) -> tuple[str, AsyncIterator[bytes]]:
    from dockyard.fs.rootpath import tar_from_root

    header = await asyncio.to_thread(stat_path, svc, c, path)

    def produce(sink: _QueueWriter) -> None:
        with mounted_root(svc, c) as root:
            base, inner = _split_by_mounts(c, root, path)
            follow = path.endswith("/") or path.endswith("/.")
            tar_from_root(base, inner, sink, follow_link=follow)  # type: ignore[arg-type]

    return header, threaded_stream(produce)


class _BodyReader:
    """Blocking file-like view of the request body for the extractor thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, agen: AsyncIterator[bytes]) -> None:
        self.loop = loop
        self.agen = agen
        self.buf = b""
        self.eof = False

    def _next(self) -> bytes:
        async def nxt() -> bytes:
            try:
                return await self.agen.__anext__()
            except StopAsyncIteration:
                return b""

        return asyncio.run_coroutine_threadsafe(nxt(), self.loop).result()

    def read(self, n: int = -1) -> bytes:
        while not self.eof and (n < 0 or len(self.buf) < n):
            chunk = self._next()
            if not chunk:
                self.eof = True
                break
            self.buf += chunk
        if n < 0:
            out, self.buf = self.buf, b""
        else:
            out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def readable(self) -> bool:
        return True


async def put_archive(
    svc: ContainerService,
    c: Container,
    path: str,
    req: Request,
    no_overwrite: bool,
    copy_uid_gid: bool,
) -> None:
    from dockyard.fs.rootpath import ExtractPointNotDirectory, extract_into_root

    if c.doc["HostConfig"].get("ReadonlyRootfs"):
        raise InvalidParameter("container rootfs is marked read-only")
    loop = asyncio.get_running_loop()
    body = _BodyReader(loop, req.stream())

    def run() -> None:
        with mounted_root(svc, c) as root:
            base, inner = _split_by_mounts(c, root, path)
            chown = None if copy_uid_gid else (0, 0)
            try:
                extract_into_root(
                    base, inner, body, no_overwrite_dir_non_dir=no_overwrite, chown=chown
                )
            except FileNotFoundError:
                raise _not_found(c, path) from None
            except ExtractPointNotDirectory:
                raise InvalidParameter("extraction point is not a directory") from None

    try:
        await loop.run_in_executor(None, run)
    finally:
        await req.drain()


async def export_stream(svc: ContainerService, c: Container) -> AsyncIterator[bytes]:
    from dockyard.fs.rootpath import tar_from_root

    def produce(sink: _QueueWriter) -> None:
        with mounted_root(svc, c) as root:
            tar_from_root(root, "/", sink, arcname="")  # type: ignore[arg-type]

    svc.daemon.events.publish("container", "export", c.id, {"name": c.name})
    async for chunk in threaded_stream(produce):
        yield chunk
