"""Container output as Docker streams it: from conmon's k8s-file log, past and live.

Both `logs -f` and attach read the log file rather than conmon's attach socket: nothing
printed before the client connected is lost, and it keeps working across daemon restarts.
`logs` goes through logfile.LogFollower (whole messages, rotation, tail from the end);
attach uses RecordFollower, which passes on partial records at once (a shell prompt has
no newline, and an interactive user must see it).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..common.timefmt import seconds_of
from ..errors import InvalidParameter

if TYPE_CHECKING:
    from ..api.http import Request
    from .service import Container, ContainerService

POLL = 0.02
STREAM_IDS = {"stdout": 1, "stderr": 2}


def frame(stream: int, data: bytes) -> bytes:
    from .logfile import multiplex_frame

    return multiplex_frame(stream, data)


@dataclass
class LogOptions:
    stdout: bool
    stderr: bool
    follow: bool
    timestamps: bool
    since: float | None
    until: float | None
    tail: int | None


def parse_log_options(req: Request) -> LogOptions:
    from ..api.system import _parse_time

    stdout, stderr = req.q_bool("stdout"), req.q_bool("stderr")
    if not stdout and not stderr:
        raise InvalidParameter("Bad parameters: you must choose at least one stream")
    tail_raw = (req.q("tail") or "all").strip()
    if tail_raw == "all" or tail_raw == "":
        tail = None
    else:
        try:
            tail = int(tail_raw)
        except ValueError:
            raise InvalidParameter(f"invalid value for tail: {tail_raw!r}") from None
        if tail < 0:
            tail = None
    since = _parse_time(req.q("since"), "since")
    return LogOptions(
        stdout=stdout,
        stderr=stderr,
        follow=req.q_bool("follow"),
        timestamps=req.q_bool("timestamps"),
        since=since if since else None,
        until=_parse_time(req.q("until"), "until"),
        tail=tail,
    )


def parse_line(line: bytes) -> tuple[str, str, bool, bytes] | None:
    """k8s-file: `<RFC3339Nano> <stdout|stderr> <F|P> <text>`; P = partial, no newline."""
    parts = line.rstrip(b"\n").split(b" ", 3)
    if len(parts) < 3:
        return None
    ts, stream, tag = parts[0].decode(), parts[1].decode(), parts[2]
    text = parts[3] if len(parts) == 4 else b""
    return ts, stream, tag == b"P", text


class RecordFollower:
    """Reads complete records from a growing k8s-file log starting at a byte offset."""

    def __init__(self, path: str, offset: int = 0) -> None:
        self.path = path
        self.offset = offset
        self._buf = b""
        self._ino: int | None = None

    @staticmethod
    def end_offset(path: str) -> int:
        try:
            return os.path.getsize(path)
        except OSError:
            return 0

    def read_new(self) -> list[tuple[str, str, bool, bytes]]:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return []
        if self._ino is not None and (st.st_ino != self._ino or st.st_size < self.offset):
            self.offset = 0  # rotated or truncated: start over on the new file
            self._buf = b""
        self._ino = st.st_ino
        if st.st_size <= self.offset:
            return []
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read(st.st_size - self.offset)
        self.offset += len(data)
        self._buf += data
        lines = self._buf.split(b"\n")
        self._buf = lines.pop()
        out = []
        for line in lines:
            rec = parse_line(line)
            if rec is not None:
                out.append(rec)
        return out


def _render(rec: tuple[str, str, bool, bytes], opts: LogOptions, multiplex: bool) -> bytes | None:
    ts, stream, partial, text = rec
    if stream == "stdout" and not opts.stdout or stream == "stderr" and not opts.stderr:
        return None
    if opts.since is not None or opts.until is not None:
        t = seconds_of(ts)
        if opts.since is not None and t < opts.since:
            return None
        if opts.until is not None and t > opts.until:
            return None
    data = text if partial else text + b"\n"
    if opts.timestamps:
        data = ts.encode() + b" " + data
    return frame(STREAM_IDS.get(stream, 1), data) if multiplex else data


async def log_stream(
    svc: ContainerService, c: Container, opts: LogOptions, multiplex: bool
) -> AsyncIterator[bytes]:
    from .archive import threaded_stream
    from .logfile import LogFollower, multiplex_frame, stream_id

    follower = LogFollower(
        c.doc["LogPath"],
        stdout=opts.stdout,
        stderr=opts.stderr,
        since=opts.since,
        until=opts.until,
        tail=opts.tail,
        timestamps=opts.timestamps,
    )

    def render(entries: Any) -> bytes:
        if multiplex:
            return b"".join(multiplex_frame(stream_id(s), data) for s, data, _ts in entries)
        return b"".join(data for _s, data, _ts in entries)

    def produce(sink: Any) -> None:
        # Streamed in bounded batches: a 50 MB log must not sit in the daemon's memory.
        size, batch = 0, []
        for entry in follower.initial:
            batch.append(entry)
            size += len(entry[1])
            if size >= 256 * 1024:
                sink.write(render(batch))
                batch, size = [], 0
        if not opts.follow:
            batch.extend(follower.flush())
        if batch:
            sink.write(render(batch))

    try:
        async for chunk in threaded_stream(produce):
            yield chunk
        if not opts.follow:
            return
        import time

        while True:
            running = c.running or c.state.get("Restarting")
            new = await asyncio.to_thread(follower.poll)
            if new:
                yield render(new)
            if opts.until is not None and time.time() > opts.until:
                return
            if not running:
                last = await asyncio.to_thread(follower.poll)
                last += follower.flush()
                if last:
                    yield render(last)
                return
            if not new:
                await asyncio.sleep(POLL * 2)
    finally:
        follower.close()


async def follow_until_exit(
    svc: ContainerService,
    c: Container,
    follower: RecordFollower,
    opts: LogOptions,
    multiplex: bool,
) -> AsyncIterator[bytes]:
    """Live records until the container stops (and its last output is drained)."""
    import time

    while True:
        running = c.running or c.state.get("Restarting")
        recs = await asyncio.to_thread(follower.read_new) if _grew(follower) else []
        out = [b for b in (_render(r, opts, multiplex) for r in recs) if b]
        if out:
            yield b"".join(out)
        if opts.until is not None and time.time() > opts.until:
            return
        if not running and not recs:
            # One more read after the exit was recorded: conmon flushes before the exit file.
            recs = follower.read_new()
            out = [b for b in (_render(r, opts, multiplex) for r in recs) if b]
            if out:
                yield b"".join(out)
            return
        if not recs:
            await asyncio.sleep(POLL)


def _grew(follower: RecordFollower) -> bool:
    try:
        return os.path.getsize(follower.path) != follower.offset
    except OSError:
        return False
