"""api/streams: the wire framing, and the bridge from worker threads to the event loop."""

from __future__ import annotations

import asyncio
import json
import struct
import threading
from typing import Any

import pytest

from dockyard.api import streams


@pytest.mark.parametrize(
    ("stream_id", "data", "want"),
    [
        (1, b"hi\n", b"\x01\x00\x00\x00\x00\x00\x00\x03hi\n"),
        (2, b"", b"\x02\x00\x00\x00\x00\x00\x00\x00"),
        (0, b"x" * 300, b"\x00\x00\x00\x00" + struct.pack(">I", 300) + b"x" * 300),
    ],
)
def test_multiplex_frame(stream_id: int, data: bytes, want: bytes) -> None:
    assert streams.multiplex_frame(stream_id, data) == want


def test_json_framing() -> None:
    assert streams.json_line({"a": 1}) == b'{"a": 1}\n'
    # progress streams are Go's JSON, as dockerd writes them
    assert streams.progress_message({"status": "x>"}) == b'{"status":"x\\u003e"}\r\n'
    assert json.loads(streams.progress_error("boom")) == {
        "errorDetail": {"message": "boom"},
        "error": "boom",
    }
    assert json.loads(streams.progress_error("bad", 1))["errorDetail"] == {
        "code": 1,
        "message": "bad",
    }


async def _collect(agen: Any) -> list[bytes]:
    return [chunk async for chunk in agen]


def test_writer_stream_batches_and_ends() -> None:
    def produce(w: Any) -> None:
        for _ in range(10):
            w.write(b"abc")

    chunks = asyncio.run(_collect(streams.writer_stream(produce, chunk=8)))
    assert b"".join(chunks) == b"abc" * 10
    assert all(len(c) >= 8 for c in chunks[:-1])


def test_writer_stream_raises_the_producers_error_after_its_output() -> None:
    def produce(w: Any) -> None:
        w.write(b"first")
        w.flush()
        raise LookupError("gone")

    async def run() -> list[bytes]:
        got: list[bytes] = []
        with pytest.raises(LookupError):
            async for chunk in streams.writer_stream(produce):
                got.append(chunk)
        return got

    assert asyncio.run(run()) == [b"first"]


def test_writer_stream_stops_the_producer_when_the_reader_leaves() -> None:
    stopped = threading.Event()

    def produce(w: Any) -> None:
        try:
            while True:
                w.write(b"x" * 1024)
        except BrokenPipeError:
            stopped.set()
            raise

    async def run() -> None:
        agen = streams.writer_stream(produce, chunk=1024, depth=1)
        await agen.__anext__()
        await agen.aclose()  # waits for the producer to finish

    asyncio.run(run())
    assert stopped.is_set()


def test_message_stream_error_before_first_message_is_raised_by_start() -> None:
    def work(emit: Any) -> None:
        raise KeyError("early")

    async def run() -> None:
        with pytest.raises(KeyError):
            await streams.MessageStream(work, "t").start()

    asyncio.run(run())


def test_message_stream_yields_then_raises() -> None:
    def work(emit: Any) -> None:
        emit({"n": 1})
        emit({"n": 2})
        raise ValueError("late")

    async def run() -> tuple[list[Any], bool]:
        ms = streams.MessageStream(work, "t")
        await ms.start()
        got = []
        with pytest.raises(ValueError):
            async for msg in ms:
                got.append(msg)
        return got, ms.done

    assert asyncio.run(run()) == ([{"n": 1}, {"n": 2}], True)


def test_body_reader_reads_an_async_body_from_a_thread() -> None:
    async def body() -> Any:
        for part in (b"ab", b"cde", b"f"):
            yield part

    async def run() -> tuple[bytes, bytes]:
        reader = streams.BodyReader(asyncio.get_running_loop(), body())
        first = await asyncio.to_thread(reader.read, 3)
        rest = await asyncio.to_thread(reader.read)
        return first, rest

    assert asyncio.run(run()) == (b"abc", b"def")
