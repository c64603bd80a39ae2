"""Container output as Docker streams it: from conmon's k8s-file log, past and live.

Both `logs -f` and attach read the log file rather than conmon's attach socket: nothing
printed before the client connected is lost, and it keeps working across daemon restarts.
`logs` goes through runtime.logfile.LogFollower (whole messages, rotation, tail from the
end); attach uses RecordFollower, which passes on partial records at once (a shell prompt
has no newline, and an interactive user must see it).

What comes out are (stream id, bytes) pieces: 1 stdout, 2 stderr. Framing them for the
wire (stdcopy frames unless the container has a TTY) is the API's job.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..common.timefmt import seconds_of
from ..runtime.logfile import Entry, LogFollower, stream_id

if TYPE_CHECKING:
    from .record import Container

POLL = 0.02
STREAM_IDS = {"stdout": 1, "stderr": 2}
BATCH = 256 * 1024  # history is read in batches of about this size: bounded memory

Piece = tuple[int, bytes]  # (stream id, data)


@dataclass
class LogOptions:
    """What the client asked of a container's output (Docker's logs/attach query)."""

    stdout: bool
    stderr: bool
    follow: bool
    timestamps: bool
    since: float | None
    until: float | None
    tail: int | None
    details: bool = False  # each line led by the log-opt attributes and a space


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


def _render(rec: tuple[str, str, bool, bytes], opts: LogOptions) -> Piece | None:
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
    return STREAM_IDS.get(stream, 1), data


def render_records(recs: list[tuple[str, str, bool, bytes]], opts: LogOptions) -> list[Piece]:
    """The pieces of RecordFollower records that `opts` selects."""
    return [p for p in (_render(r, opts) for r in recs) if p is not None]


def _pieces(entries: list[Entry], lead: bytes | None = None, stamps: bool = False) -> list[Piece]:
    if lead is None:
        return [(stream_id(s), data) for s, data, _ts in entries]
    # --details: [timestamp ]attrs data, as dockerd writes it
    return [
        (stream_id(s), (ts.encode() + b" " if stamps else b"") + lead + data)
        for s, data, ts in entries
    ]


def details_lead(c: Container) -> bytes:
    """dockerd's `--details` prefix: the labels and environment variables the log options
    name (`labels`, `env`, and their `-regex` forms) as sorted `k=v` joined by commas, then
    a space (alone when there are none)."""
    opts = c.host_config.log_config.config
    labels = c.config.labels or {}
    env = dict(e.split("=", 1) for e in c.config.env or [] if "=" in e)
    attrs: dict[str, str] = {}
    for names, regex, source in (
        (opts.get("labels"), opts.get("labels-regex"), labels),
        (opts.get("env"), opts.get("env-regex"), env),
    ):
        for key in (names or "").split(","):
            if key in source:
                attrs[key] = source[key]
        if regex:
            attrs.update({k: v for k, v in source.items() if re.search(regex, k)})
    return ",".join(f"{k}={v}" for k, v in sorted(attrs.items())).encode() + b" "


class LogReader:
    """A container's log as `docker logs` reads it: `history()` (blocking, in batches)
    first, then with `follow` the live part from `live()`; `close()` when done."""

    def __init__(self, c: Container, opts: LogOptions) -> None:
        self.c = c
        self.opts = opts
        self.lead = details_lead(c) if opts.details else None
        self.follower = LogFollower(
            c.record.log_path,
            stdout=opts.stdout,
            stderr=opts.stderr,
            since=opts.since,
            until=opts.until,
            tail=opts.tail,
            timestamps=opts.timestamps and not opts.details,
        )

    def _pieces(self, entries: list[Entry]) -> list[Piece]:
        return _pieces(entries, self.lead, self.opts.timestamps)

    def history(self) -> Iterator[list[Piece]]:
        """What is in the log now; without `follow` also a partial last line."""
        size, batch = 0, []
        for entry in self.follower.initial:
            batch.append(entry)
            size += len(entry[1])
            if size >= BATCH:
                yield self._pieces(batch)
                batch, size = [], 0
        if not self.opts.follow:
            batch.extend(self.follower.flush())
        if batch:
            yield self._pieces(batch)

    async def live(self) -> AsyncIterator[list[Piece]]:
        """New messages until the container stops (or `until` passes); nothing without
        `follow`."""
        if not self.opts.follow:
            return
        c, follower, until = self.c, self.follower, self.opts.until
        while True:
            running = c.running or c.state.restarting
            new = await asyncio.to_thread(follower.poll)
            if new:
                yield self._pieces(new)
            if until is not None and time.time() > until:
                return
            if not running:
                last = await asyncio.to_thread(follower.poll)
                last += follower.flush()
                if last:
                    yield self._pieces(last)
                return
            if not new:
                await asyncio.sleep(POLL * 2)

    def close(self) -> None:
        self.follower.close()


async def pause(wake: asyncio.Future[Any] | None = None) -> None:
    """One polling interval, cut short when `wake` (e.g. the container's exit) comes."""
    if wake is None or wake.done():
        await asyncio.sleep(POLL)
    else:
        await asyncio.wait({wake}, timeout=POLL)


async def follow_until_exit(
    c: Container,
    follower: RecordFollower,
    opts: LogOptions,
    wake: asyncio.Future[Any] | None = None,
) -> AsyncIterator[list[Piece]]:
    """Live records until the container stops (and its last output is drained); `wake`
    (its exit) ends the wait between two looks at once."""
    while True:
        running = c.running or c.state.restarting
        recs = await asyncio.to_thread(follower.read_new) if _grew(follower) else []
        out = render_records(recs, opts)
        if out:
            yield out
        if opts.until is not None and time.time() > opts.until:
            return
        if not running and not recs:
            # One more read after the exit was recorded: conmon flushes before the exit file.
            out = render_records(follower.read_new(), opts)
            if out:
                yield out
            return
        if not recs:
            await pause(wake)


def _grew(follower: RecordFollower) -> bool:
    try:
        return os.path.getsize(follower.path) != follower.offset
    except OSError:
        return False
