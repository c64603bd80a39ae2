"""Container output as Docker streams it: from conmon's k8s-file log, past and live.

Both `logs -f` and attach read the log file rather than conmon's attach socket: nothing
printed before the client connected is lost, and it keeps working across daemon restarts.
"""

from __future__ import annotations

import asyncio
import os
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InvalidParameter

if TYPE_CHECKING:
    from ..api.http import Request
    from .service import Container, ContainerService

POLL = 0.02
STREAM_IDS = {"stdout": 1, "stderr": 2}


def frame(stream: int, data: bytes) -> bytes:
    """Docker's stdcopy header: stream id, three zero bytes, big-endian length."""
    return struct.pack(">BxxxI", stream, len(data)) + data


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


def ts_seconds(ts: str) -> float:
    from .model import parse_rfc3339

    try:
        return parse_rfc3339(ts.replace("+00:00", "Z"))
    except ValueError:
        return 0.0


class LogFollower:
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
        t = ts_seconds(ts)
        if opts.since is not None and t < opts.since:
            return None
        if opts.until is not None and t > opts.until:
            return None
    data = text if partial else text + b"\n"
    if opts.timestamps:
        data = ts.encode() + b" " + data
    return frame(STREAM_IDS.get(stream, 1), data) if multiplex else data


def _tail_records(path: str, n: int) -> tuple[list[tuple[str, str, bool, bytes]], int]:
    """The last n complete lines (seeking back from the end), and the end offset."""
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return [], 0
    with f:
        f.seek(0, os.SEEK_END)
        end = f.tell()
        if n == 0:
            return [], end
        pos, data, block = end, b"", 64 * 1024
        while pos > 0 and data.count(b"\n") <= n:
            step = min(block, pos)
            pos -= step
            f.seek(pos)
            data = f.read(step) + data
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        lines = lines[-n:]
    recs = [r for r in (parse_line(line) for line in lines) if r is not None]
    return recs, end


async def log_stream(
    svc: ContainerService, c: Container, opts: LogOptions, multiplex: bool
) -> AsyncIterator[bytes]:
    path = c.doc["LogPath"]
    if opts.tail is not None:
        recs, end = await asyncio.to_thread(_tail_records, path, opts.tail)
        follower = LogFollower(path, end)
    else:
        follower = LogFollower(path, 0)
        recs = await asyncio.to_thread(follower.read_new)
    batch = [b for b in (_render(r, opts, multiplex) for r in recs) if b]
    if batch:
        yield b"".join(batch)
    if not opts.follow:
        return
    async for chunk in follow_until_exit(svc, c, follower, opts, multiplex):
        yield chunk


async def follow_until_exit(
    svc: ContainerService,
    c: Container,
    follower: LogFollower,
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


def _grew(follower: LogFollower) -> bool:
    try:
        return os.path.getsize(follower.path) != follower.offset
    except OSError:
        return False


def all_streams() -> dict[str, Any]:
    return {"stdout": True, "stderr": True}
