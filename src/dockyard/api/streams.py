"""The Engine API's streams: how their bytes are framed, and the one bridge from a worker
thread to the event loop.

Framing (pure functions): Docker's stdcopy frames for non-TTY output (`multiplex_frame`,
`encoder`),
JSON lines for events, wait and stats (`json_line`), and the jsonmessage stream of pull,
push, load and build (`progress_message`, `progress_error`).

Bridges: blocking work (tar, log files, pulls, builds) runs in a thread and the event loop
reads what it produces through one bounded `_Channel`: `writer_stream` gives the thread a
file-like writer and yields byte chunks; `MessageStream` gives it an `emit` callback and
yields its messages; `BodyReader` is the other way round, a blocking reader of a request
body for a thread. When the client goes away the producing thread's next write raises
BrokenPipeError, so it stops instead of filling memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import struct
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, BinaryIO, Generic, TypeVar

from ..common import gojson

STDIN, STDOUT, STDERR = 0, 1, 2
CHUNK = 256 * 1024

T = TypeVar("T")


# --- framing ---------------------------------------------------------------------


def multiplex_frame(stream_id: int, data: bytes) -> bytes:
    """One stdcopy frame: stream id, three zero bytes, big-endian length, payload."""
    return struct.pack(">BxxxI", stream_id, len(data)) + data


def raw(_stream_id: int, data: bytes) -> bytes:
    """A TTY's output goes on the wire as is: one stream, no frames."""
    return data


def encoder(tty: bool) -> Callable[[int, bytes], bytes]:
    """How a container's (stream id, bytes) output is framed: as is with a TTY, else stdcopy."""
    return raw if tty else multiplex_frame


def json_line(obj: Any) -> bytes:
    """One JSON document per line (events, wait, stats)."""
    return json.dumps(obj).encode() + b"\n"


def progress_message(obj: dict[str, Any]) -> bytes:
    """One jsonmessage of a progress stream (pull, push, load, build): CRLF-terminated,
    in Go's JSON as dockerd writes it."""
    return gojson.dumps(obj).encode() + b"\r\n"


def progress_error(text: str, code: int = 0) -> bytes:
    """The jsonmessage that ends a progress stream with an error."""
    detail: dict[str, Any] = {"code": code, "message": text} if code else {"message": text}
    return progress_message({"errorDetail": detail, "error": text})


# --- the thread-to-loop bridge ---------------------------------------------------------


@dataclass
class _Done:
    """The producer finished: with its exception, or None."""

    error: BaseException | None


class _Channel(Generic[T]):
    """A queue written by one worker thread and read on the event loop.

    With `depth` > 0 a write blocks while the queue is full (backpressure); with 0 it never
    blocks. After `close()` (the reader went away) a write raises BrokenPipeError.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, depth: int) -> None:
        self.loop = loop
        self.q: asyncio.Queue[T | _Done] = asyncio.Queue(depth)
        self.closed = threading.Event()

    def put(self, item: T | _Done) -> None:
        if self.closed.is_set():
            raise BrokenPipeError("client went away")
        try:
            if self.q.maxsize <= 0:
                self.loop.call_soon_threadsafe(self.q.put_nowait, item)
                return
            fut = asyncio.run_coroutine_threadsafe(self.q.put(item), self.loop)
        except RuntimeError:  # the loop is gone (daemon stopping): nobody is listening
            raise BrokenPipeError("event loop closed") from None
        while True:
            try:
                fut.result(timeout=0.5)
                return
            except TimeoutError:
                if self.closed.is_set():
                    fut.cancel()
                    raise BrokenPipeError("client went away") from None

    def finish(self, error: BaseException | None) -> None:
        with contextlib.suppress(BrokenPipeError):
            self.put(_Done(error))

    async def get(self) -> T | _Done:
        return await self.q.get()

    def close(self) -> None:
        self.closed.set()


def _start(target: Callable[[], None], name: str) -> threading.Thread:
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


class _ChunkWriter:
    """The file-like end a producer thread writes to; batches small writes into chunks."""

    def __init__(self, chan: _Channel[bytes], chunk: int) -> None:
        self._chan = chan
        self._chunk = chunk
        self._buf = bytearray()

    def write(self, data: bytes) -> int:
        if self._chan.closed.is_set():
            raise BrokenPipeError("client went away")
        self._buf += data
        if len(self._buf) >= self._chunk:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self._buf:
            chunk = bytes(self._buf)
            self._buf.clear()
            self._chan.put(chunk)

    def close(self) -> None:
        self.flush()


async def writer_stream(
    produce: Callable[[BinaryIO], None], *, name: str = "stream", chunk: int = CHUNK, depth: int = 8
) -> AsyncIterator[bytes]:
    """Run `produce(writer)` in a thread and yield what it writes, in chunks of about `chunk`
    bytes. An exception in `produce` is raised here after the chunks written before it."""
    chan: _Channel[bytes] = _Channel(asyncio.get_running_loop(), depth)
    sink = _ChunkWriter(chan, chunk)

    def run() -> None:
        try:
            produce(sink)  # type: ignore[arg-type]
            sink.flush()
        except BaseException as exc:  # handed to the event loop
            chan.finish(exc)
        else:
            chan.finish(None)

    thread = _start(run, name)
    try:
        while True:
            item = await chan.get()
            if isinstance(item, _Done):
                if item.error is not None:
                    raise item.error
                return
            yield item
    finally:
        chan.close()
        if thread.is_alive():  # let it release what it holds (mounts, files) first
            await asyncio.to_thread(thread.join)


class MessageStream:
    """Run `work(emit)` in a thread; the event loop reads the messages it emits.

    `await start()` returns once the first message (or the end) arrived and raises an error
    that came before any message, so a handler can still answer with an HTTP error. Then
    `async for` yields the messages and raises the error that ended the work, if any.
    Messages emitted after the reader went away are dropped; the work goes on.
    """

    def __init__(self, work: Callable[[Callable[[Any], None]], None], name: str) -> None:
        self._work = work
        self._name = name
        self._first: Any = None
        self._chan: _Channel[Any] | None = None
        self.done = False

    def _emit(self, msg: Any) -> None:
        assert self._chan is not None
        with contextlib.suppress(BrokenPipeError):
            self._chan.put(msg)

    async def start(self) -> None:
        chan: _Channel[Any] = _Channel(asyncio.get_running_loop(), 0)
        self._chan = chan

        def run() -> None:
            try:
                self._work(self._emit)
            except BaseException as exc:  # handed to the event loop
                chan.finish(exc)
            else:
                chan.finish(None)

        _start(run, self._name)
        self._first = await chan.get()
        if isinstance(self._first, _Done) and self._first.error is not None:
            self.done = True
            raise self._first.error

    async def __aiter__(self) -> AsyncIterator[Any]:
        assert self._chan is not None, "start() first"
        item = self._first
        try:
            while True:
                if isinstance(item, _Done):
                    self.done = True
                    if item.error is not None:
                        raise item.error
                    return
                yield item
                item = await self._chan.get()
        finally:
            self._chan.close()


class BodyReader:
    """A blocking file-like reader of an async byte stream (a request body), for a thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, chunks: AsyncIterator[bytes]) -> None:
        self._loop = loop
        self._chunks = chunks
        self._buf = b""
        self._eof = False

    def _next(self) -> bytes:
        async def nxt() -> bytes:
            try:
                return await self._chunks.__anext__()
            except StopAsyncIteration:
                return b""

        return asyncio.run_coroutine_threadsafe(nxt(), self._loop).result()

    def read(self, n: int = -1) -> bytes:
        while not self._eof and (n < 0 or len(self._buf) < n):
            chunk = self._next()
            if not chunk:
                self._eof = True
                break
            self._buf += chunk
        if n < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def readable(self) -> bool:
        return True
