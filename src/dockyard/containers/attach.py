"""Attach: container output from the log file to the client, client input to conmon's stdin."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..common import detachkeys
from ..errors import InvalidParameter
from .logs import POLL, LogOptions, Piece, RecordFollower, follow_until_exit, pause, render_records

if TYPE_CHECKING:
    from .record import Container
    from .runtime_adapter import RuntimeAdapter

log = logging.getLogger(__name__)

# How the API puts a (stream id, bytes) piece on the wire: a stdcopy frame, or the bytes.
Encode = Callable[[int, bytes], bytes]


class _Service(Protocol):
    """What an attach session needs of the container service."""

    runtime: RuntimeAdapter

    async def wait(self, ref: str, condition: str = ...) -> dict[str, Any]: ...


def encode_all(pieces: list[Piece], encode: Encode) -> bytes:
    return b"".join(encode(sid, data) for sid, data in pieces)


def parse_detach_keys(spec: str | None) -> bytes:
    """The request's detach keys (common/detachkeys' grammar); Docker's 400 when bad."""
    try:
        return detachkeys.parse_detach_keys(spec or "")
    except ValueError:
        raise InvalidParameter(f"Invalid detach keys ({spec}) provided") from None


@dataclass(frozen=True)
class AttachSnapshot:
    """The container as the attach request found it, taken before the 101 answer goes
    out: a client may start the container the moment it reads that answer."""

    started_at: str
    failed_starts: int
    log_offset: int

    @classmethod
    def take(cls, c: Container) -> AttachSnapshot:
        """Also registers the session (see release()): --rm waits for it to drain."""
        with c.attach_done:
            c.attachers += 1
        return cls(
            c.state.started_at,
            c.failed_starts,
            RecordFollower.end_offset(c.record.log_path),
        )

    @staticmethod
    def release(c: Container) -> None:
        with c.attach_done:
            c.attachers -= 1
            c.attach_done.notify_all()


async def wait_started(
    c: Container,
    started_at: str,
    stop: asyncio.Event,
    failed: int | None = None,
    wake: asyncio.Future[Any] | None = None,
) -> bool:
    """Wait until the container is (re)started after `started_at` was observed; False when
    the session stops or a start attempt fails meanwhile. `wake` (its exit) cuts a wait
    short: a quick container may have started and ended between two looks."""
    failed = c.failed_starts if failed is None else failed
    while not stop.is_set():
        if c.running or c.state.started_at != started_at:
            return True
        if c.failed_starts != failed:
            return False
        await pause(wake)
    return False


@dataclass(frozen=True)
class AttachOptions:
    """What the client asked of POST /containers/{id}/attach (or its websocket form)."""

    stdin: bool
    stdout: bool
    stderr: bool
    stream: bool
    logs: bool
    detach_keys: str | None
    encode: Encode  # how output pieces go on the wire


async def attach_session(
    svc: _Service,
    c: Container,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    opts: AttachOptions,
    snapshot: AttachSnapshot | None = None,
) -> None:
    snap = snapshot or AttachSnapshot.take(c)
    try:
        await _attach(svc, c, reader, writer, opts, snap)
    finally:
        AttachSnapshot.release(c)


async def _attach(
    svc: _Service,
    c: Container,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    attach: AttachOptions,
    snap: AttachSnapshot,
) -> None:
    stdin, stdout, stderr = attach.stdin, attach.stdout, attach.stderr
    stream, logs, encode = attach.stream, attach.logs, attach.encode
    opts = LogOptions(
        stdout=stdout,
        stderr=stderr,
        follow=stream,
        timestamps=False,
        since=None,
        until=None,
        tail=None,
    )
    path = c.record.log_path
    follower = RecordFollower(path, 0 if logs else snap.log_offset)
    started_at = snap.started_at
    failed = snap.failed_starts
    stop = asyncio.Event()
    keys = parse_detach_keys(attach.detach_keys)
    # The end of the stream follows the exit at once, not at the next look (run --rm
    # waits for it): resolved by the container's next exit (or its removal).
    exited = asyncio.ensure_future(svc.wait(c.id, "next-exit"))

    async def pump_output() -> None:
        if logs:
            recs = await asyncio.to_thread(follower.read_new)
            data = encode_all(render_records(recs, opts), encode)
            if data:
                writer.write(data)
                await writer.drain()
        if not stream:
            return
        if not c.running and not await wait_started(c, started_at, stop, failed, exited):
            return
        if stdout or stderr:
            async for pieces in follow_until_exit(c, follower, opts, exited):
                writer.write(encode_all(pieces, encode))
                await writer.drain()
        else:
            while c.running and not stop.is_set():
                await asyncio.sleep(POLL)

    async def pump_input() -> None:
        loop = asyncio.get_running_loop()
        sock: socket.socket | None = None
        pending = b""
        matched = 0
        try:
            while True:
                data = await reader.read(32 * 1024)
                if not data:
                    break
                # Detach keys end the session (the container keeps running); what was
                # typed before them still goes to the container.
                detached = False
                for i, byte in enumerate(data):
                    matched = matched + 1 if byte == keys[matched] else 0
                    if matched == len(keys):
                        data, detached = data[: max(0, i + 1 - len(keys))], True
                        break
                pending += data
                if detached and not pending:
                    raise _Detached
                if sock is None:
                    if not c.running and not await wait_started(c, started_at, stop, failed):
                        return
                    sock = await asyncio.to_thread(svc.runtime.attach_socket, c.id)
                    sock.setblocking(False)
                await loop.sock_sendall(sock, pending)
                pending = b""
                if detached:
                    raise _Detached
            # Client closed its side: close the container's stdin (StdinOnce semantics).
            if (
                sock is None
                and pending
                and (c.running or await wait_started(c, started_at, stop, failed))
            ):
                sock = await asyncio.to_thread(svc.runtime.attach_socket, c.id)
                sock.setblocking(False)
            if sock is not None:
                if pending:
                    await loop.sock_sendall(sock, pending)
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_WR)
                # Keep the socket open until the session ends so conmon sees a clean EOF.
                await stop.wait()
        finally:
            if sock is not None:
                sock.close()

    out_task = asyncio.ensure_future(pump_output())
    in_task = asyncio.ensure_future(pump_input()) if stdin else None
    try:
        waits = {out_task} | ({in_task} if in_task else set())
        while waits:
            done, waits = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            if out_task in done:
                break
            if in_task in done:
                exc = in_task.exception() if in_task else None
                if isinstance(exc, _Detached):
                    break
                if exc is not None:
                    log.debug("attach input ended: %s", exc)
    finally:
        stop.set()
        if exited.done():
            with contextlib.suppress(BaseException):
                exited.exception()  # the container went away: nothing to report
        else:
            exited.cancel()
        for t in (out_task, in_task):
            if t is not None and not t.done():
                t.cancel()
        for t in (out_task, in_task):
            if t is not None:
                with contextlib.suppress(BaseException):
                    await t
        with contextlib.suppress(Exception):
            await writer.drain()
        writer.close()


class _Detached(Exception):
    pass
