"""Container logs: conmon's k8s-file format read with Docker's `logs` semantics.

conmon writes one record per line: `<RFC3339Nano ts> <stdout|stderr> <F|P> <text>`, where
P marks a partial line (no newline yet; the following records of that stream continue it).
A *message* is the text up to and including its newline, as Docker's json-file driver
stores it; `tail` counts messages and `since`/`until` compare their first timestamp.

Rotation (Docker's max-size/max-file): conmon holds the log open, so we cannot rewrite the
file. Two mechanisms, both understood by the readers here:
- max-file == 1: conmon's own `--log-size-max` replaces the file by an empty one when full
  (the old content is lost, as with Docker's max-file=1).
- max-file > 1: the daemon calls `rotate(path, max_file)` when the file is over max-size
  (`needs_rotation`), which renames `log` -> `log.1` -> `log.2` ..., then asks conmon to
  reopen its log (`Runtime.reopen_log(cid)`); records written meanwhile land in `log.1`,
  nothing is lost. Readers read `log.N` ... `log.1`, `log` in this order.
A follower notices a replaced file (inode change) or a truncated one and carries on.
The daemon's monitor rotates it (runtime/), the containers service reads it (containers/);
framing what is read for the wire is api/streams' job.
"""

from __future__ import annotations

import calendar
import collections
import functools
import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

Entry = tuple[str, bytes, str]  # (stream, data, timestamp in Docker's RFC3339Nano form)

_BLOCK = 64 * 1024  # backwards scan step for tail
_CHUNK = 1 << 20  # forward read size: bounded memory on big logs
_STREAM_IDS = {"stdin": 0, "stdout": 1, "stderr": 2}


def stream_id(stream: str) -> int:
    return _STREAM_IDS[stream]


@functools.lru_cache(maxsize=4096)
def _second(base: str, offset: str) -> tuple[int, str]:
    """UTC epoch and text of "YYYY-MM-DDTHH:MM:SS" at `offset` (cached: a log has many
    records per second)."""
    secs = calendar.timegm(
        (int(base[0:4]), int(base[5:7]), int(base[8:10]), int(base[11:13]), int(base[14:16]),
         int(base[17:19]))
    )  # fmt: skip
    if offset and offset[0] in "+-":
        sign = 1 if offset[0] == "+" else -1
        secs -= sign * (int(offset[1:3]) * 3600 + int(offset[4:6]) * 60)
    return secs, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))


def parse_timestamp(ts: bytes | str) -> tuple[float, str]:
    """(epoch seconds, Docker's fixed-width UTC form "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ")
    of a conmon timestamp such as 2026-11-27T18:16:12.830607163+00:00."""
    s = ts.decode() if isinstance(ts, bytes) else ts
    rest = s[19:]
    nanos = 0
    if rest.startswith("."):
        end = 1
        while end < len(rest) and rest[end].isdigit():
            end += 1
        nanos = int((rest[1:end] + "000000000")[:9])
        rest = rest[end:]
    secs, text = _second(s[:19], rest)
    return secs + nanos / 1e9, f"{text}.{nanos:09d}Z"


def log_files(path: str) -> list[str]:
    """The log and its rotated predecessors, oldest first."""
    rotated = []
    n = 1
    while os.path.exists(f"{path}.{n}"):
        rotated.append(f"{path}.{n}")
        n += 1
    return [*reversed(rotated), path]


def _split(line: bytes) -> tuple[bytes, str, bool, bytes] | None:
    """(ts, stream, partial, text) of one record, None if malformed."""
    parts = line.split(b" ", 3)
    if len(parts) < 3 or parts[1] not in (b"stdout", b"stderr"):
        return None
    text = parts[3] if len(parts) == 4 else b""
    return parts[0], parts[1].decode(), parts[2] == b"P", text


@dataclass
class _Assembler:
    """Joins partial records into messages; keeps state across reads (follow mode)."""

    pending: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)

    def feed(self, line: bytes) -> tuple[str, bytes, bytes] | None:
        rec = _split(line)
        if rec is None:
            return None
        ts, stream, partial, text = rec
        if stream in self.pending:
            first_ts, acc = self.pending.pop(stream)
            ts, text = first_ts, acc + text
        if partial:
            self.pending[stream] = (ts, text)
            return None
        return stream, text + b"\n", ts

    def flush(self) -> list[tuple[str, bytes, bytes]]:
        """What is left without a newline (the stream ended, or a reader stops here)."""
        out = [(stream, text, ts) for stream, (ts, text) in self.pending.items()]
        self.pending.clear()
        return out


@dataclass
class _Filter:
    stdout: bool
    stderr: bool
    since: float | None
    until: float | None
    timestamps: bool

    def apply(self, msg: tuple[str, bytes, bytes]) -> Entry | None:
        stream, data, raw_ts = msg
        if (stream == "stdout" and not self.stdout) or (stream == "stderr" and not self.stderr):
            return None
        try:
            when, ts = parse_timestamp(raw_ts)
        except (ValueError, IndexError):
            return None
        if self.since is not None and when < self.since:
            return None
        if self.until is not None and when > self.until:
            return None
        if self.timestamps:
            data = ts.encode() + b" " + data
        return stream, data, ts


def _tail_start(f, n: int, streams: set[str]) -> tuple[int, int]:
    """Offset from which the file holds its last `n` messages of `streams`, reading
    backwards block by block; also how many messages were found (< n: whole file)."""
    f.seek(0, os.SEEK_END)
    end = f.tell()
    wanted = {s.encode() for s in streams}
    pos, carry, found = end, b"", 0
    line_end = end  # where the line being examined ends (its newline, or EOF)
    first = True
    while pos > 0:
        step = min(_BLOCK, pos)
        pos -= step
        f.seek(pos)
        lines = (f.read(step) + carry).split(b"\n")
        carry = lines[0] if pos > 0 else b""  # maybe cut: finish it with the next block
        candidates = lines[1:] if pos > 0 else lines
        for idx in range(len(candidates) - 1, -1, -1):
            line = candidates[idx]
            start = line_end - len(line)
            line_end = start - 1
            if first:
                first = False  # after the last newline: empty, or a record being written
                continue
            parts = line.split(b" ", 3)
            if len(parts) >= 3 and parts[2] == b"F" and parts[1] in wanted:
                if found == n:
                    return start + len(line) + 1, found
                found += 1
    return 0, found


def _records(f, buf: bytearray) -> Iterator[bytes]:
    """Complete lines from `f`'s position on, read in chunks; an unfinished last line
    stays in `buf` (conmon may be in the middle of writing it)."""
    while True:
        chunk = f.read(_CHUNK)
        if not chunk:
            return
        buf += chunk
        cut = buf.rfind(b"\n") + 1
        if cut:
            lines = bytes(buf[:cut]).split(b"\n")
            del buf[:cut]
            yield from lines[:-1]


def _plan(path: str, tail: int | None, streams: set[str]) -> list[tuple[str, int]]:
    """Which files to read, oldest first, and from which offset, to get the last `tail`
    messages (all of them when tail is None)."""
    files = log_files(path)
    if tail is None:
        return [(p, 0) for p in files]
    plan: list[tuple[str, int]] = []
    need = tail
    for p in reversed(files):
        if need <= 0:
            break
        try:
            with open(p, "rb") as f:
                off, found = _tail_start(f, need, streams)
        except FileNotFoundError:
            continue
        plan.append((p, off))
        need -= found
    return list(reversed(plan))


def _complete_end(path: str) -> int:
    """Offset just past the last complete record of `path` (0 if absent)."""
    try:
        with open(path, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - _BLOCK))
            data = f.read()
    except FileNotFoundError:
        return 0
    return size - len(data) + data.rfind(b"\n") + 1


class LogFollower:
    """Reader of a container log, past and live, in bounded memory.

    Iterate `initial` first (what `read_logs` would give, streamed), then call `poll()`
    repeatedly: it returns what was appended since, without blocking, so it suits both a
    thread and an event-loop timer. The current file stays open: when conmon replaces it
    (size limit, rotation) the rest of the old file is still read before switching to the
    new one. Call close() when done."""

    def __init__(
        self,
        path: str,
        *,
        stdout: bool = True,
        stderr: bool = True,
        since: float | None = None,
        until: float | None = None,
        tail: int | None = None,
        timestamps: bool = False,
    ):
        self.path = path
        self._flt = _Filter(stdout, stderr, since, until, timestamps)
        self._asm = _Assembler()
        self._buf = bytearray()
        self._f = None
        if tail is not None and tail < 0:
            tail = None
        self._tail = tail
        streams = {s for s, on in (("stdout", stdout), ("stderr", stderr)) if on}
        plan = [] if tail == 0 else _plan(path, tail, streams)
        self._older = [(p, off) for p, off in plan if p != path]
        current = dict(plan).get(path, _complete_end(path) if tail == 0 or plan else 0)
        self._open(current)
        self.initial: Iterator[Entry] = self._initial()

    def _open(self, offset: int) -> None:
        try:
            self._f = open(self.path, "rb")
        except FileNotFoundError:
            self._f = None
            return
        self._f.seek(offset)
        self._buf = bytearray()

    def _entries(self, lines: Iterator[bytes]) -> Iterator[Entry]:
        for line in lines:
            msg = self._asm.feed(line)
            if msg is not None and (e := self._flt.apply(msg)) is not None:
                yield e

    def _older_entries(self) -> Iterator[Entry]:
        for p, off in self._older:
            try:
                f = open(p, "rb")
            except FileNotFoundError:
                continue
            with f:
                f.seek(off)
                yield from self._entries(_records(f, bytearray()))

    def _initial(self) -> Iterator[Entry]:
        stream = self._older_entries()
        if self._f is not None:
            stream = itertools.chain(stream, self._entries(_records(self._f, self._buf)))
        if self._tail is None:
            yield from stream
        else:  # the plan holds about `tail` messages; the deque trims interleaving extras
            yield from collections.deque(stream, maxlen=self._tail)

    def poll(self) -> list[Entry]:
        if self._f is None:
            self._open(0)
            if self._f is None:
                return []
        out = list(self._entries(_records(self._f, self._buf)))
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return out
        mine = os.fstat(self._f.fileno())
        if st.st_ino != mine.st_ino:
            out += self._entries(_records(self._f, self._buf))  # written before the switch
            self._f.close()
            self._open(0)
            if self._f is not None:
                out += self._entries(_records(self._f, self._buf))
        elif mine.st_size < self._f.tell():
            self._f.seek(0)  # truncated in place
            self._buf = bytearray()
            out += self._entries(_records(self._f, self._buf))
        return out

    def flush(self) -> list[Entry]:
        """The last partial messages: Docker shows a final line even without a newline."""
        out = []
        for msg in self._asm.flush():
            if (e := self._flt.apply(msg)) is not None:
                out.append(e)
        return out

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None


def read_logs(
    path: str,
    *,
    stdout: bool = True,
    stderr: bool = True,
    since: float | None = None,
    until: float | None = None,
    tail: int | None = None,
    timestamps: bool = False,
) -> Iterator[Entry]:
    """Messages of a container's log (rotated files included), oldest first, streamed.

    Each is (stream, data, ts): data ends with "\\n" and is prefixed with "<ts> " when
    `timestamps`; ts is Docker's RFC3339Nano UTC form. `tail` (None or negative: all)
    counts messages of the selected streams from the end; `since`/`until` are epoch
    seconds (inclusive), applied after `tail` as Docker does."""
    follower = LogFollower(
        path, stdout=stdout, stderr=stderr, since=since, until=until, tail=tail,
        timestamps=timestamps,
    )  # fmt: skip
    try:
        yield from follower.initial
        yield from follower.flush()
    finally:
        follower.close()


def follow_logs(
    path: str,
    *,
    stop: Callable[[], bool] | threading.Event,
    stdout: bool = True,
    stderr: bool = True,
    since: float | None = None,
    until: float | None = None,
    tail: int | None = None,
    timestamps: bool = False,
    poll_interval: float = 0.1,
) -> Iterator[Entry]:
    """Like read_logs, then keep yielding new messages until `stop()` is true (e.g. the
    container exited and the client is gone). A final poll after stop catches the tail
    that was written just before."""
    check = stop.is_set if isinstance(stop, threading.Event) else stop
    follower = LogFollower(
        path, stdout=stdout, stderr=stderr, since=since, until=until, tail=tail,
        timestamps=timestamps,
    )  # fmt: skip
    try:
        yield from follower.initial
        while True:
            stopping = check()
            new = follower.poll()
            yield from new
            if stopping:
                return
            if not new:
                if isinstance(stop, threading.Event):
                    stop.wait(poll_interval)
                else:
                    time.sleep(poll_interval)
    finally:
        follower.close()


# Logs are bounded unless asked otherwise (Docker's `local` driver defaults; its json-file has
# none): used when neither daemon.json `log-opts` nor the container give a max-size.
DEFAULT_MAX_SIZE = "20m"
DEFAULT_MAX_FILE = "5"


def effective_log_opts(
    daemon_opts: dict[str, str], container_opts: dict[str, str] | None
) -> dict[str, str]:
    """The container's log options over the daemon's, with the default bound filled in.
    An explicit max-size (even -1, unbounded) keeps Docker's max-file default of 1."""
    opts = {**daemon_opts, **(container_opts or {})}
    if not opts.get("max-size"):
        opts["max-size"] = DEFAULT_MAX_SIZE
        opts.setdefault("max-file", DEFAULT_MAX_FILE)
    return opts


def needs_rotation(path: str, max_size: int) -> bool:
    try:
        return max_size > 0 and os.stat(path).st_size >= max_size
    except FileNotFoundError:
        return False


def rotate(path: str, max_file: int) -> None:
    """Shift `log` -> `log.1` -> ... keeping `max_file` files in all. The caller then asks
    conmon to reopen the log (Runtime.reopen_log), which creates a fresh `log`."""
    if max_file < 2:
        return
    last = f"{path}.{max_file - 1}"
    if os.path.exists(last):
        os.unlink(last)
    for n in range(max_file - 2, 0, -1):
        if os.path.exists(f"{path}.{n}"):
            os.rename(f"{path}.{n}", f"{path}.{n + 1}")
    if os.path.exists(path):
        os.rename(path, f"{path}.1")


def remove_logs(path: str) -> None:
    """Delete the log and every rotated file (on container removal)."""
    for p in log_files(path):
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass
