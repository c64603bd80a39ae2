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

`multiplex_frame()` builds Docker's stdcopy frames (8-byte header) for non-TTY streams.
"""

from __future__ import annotations

import calendar
import os
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

Entry = tuple[str, bytes, str]  # (stream, data, timestamp in Docker's RFC3339Nano form)

_BLOCK = 64 * 1024
_STREAM_IDS = {"stdin": 0, "stdout": 1, "stderr": 2}


def multiplex_frame(stream_id: int, data: bytes) -> bytes:
    """Docker's stdcopy frame: [stream, 0, 0, 0, uint32 big-endian length] + data
    (0 stdin, 1 stdout, 2 stderr)."""
    return struct.pack(">BxxxI", stream_id, len(data)) + data


def stream_id(stream: str) -> int:
    return _STREAM_IDS[stream]


def parse_timestamp(ts: bytes | str) -> tuple[float, str]:
    """(epoch seconds, Docker's fixed-width UTC form "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ")
    of a conmon timestamp such as 2026-11-27T18:16:12.830607163+00:00."""
    s = ts.decode() if isinstance(ts, bytes) else ts
    base = calendar.timegm(
        (int(s[0:4]), int(s[5:7]), int(s[8:10]), int(s[11:13]), int(s[14:16]), int(s[17:19]))
    )
    rest = s[19:]
    nanos = 0
    if rest.startswith("."):
        digits = len(rest) - len(rest[1:].lstrip("0123456789")) - 1
        frac = rest[1 : 1 + digits]
        nanos = int((frac + "000000000")[:9])
        rest = rest[1 + digits :]
    offset = 0
    if rest and rest[0] in "+-":
        sign = 1 if rest[0] == "+" else -1
        offset = sign * (int(rest[1:3]) * 3600 + int(rest[4:6]) * 60)
    secs = base - offset
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{nanos:09d}Z"
    return secs + nanos / 1e9, text


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


def _read_file(path: str, start: int, asm: _Assembler) -> tuple[list, int]:
    """Messages of `path` from `start` to the last complete line, and where we stopped."""
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return [], start
    with f:
        f.seek(start)
        data = f.read()
    cut = data.rfind(b"\n") + 1
    out = []
    for line in data[:cut].split(b"\n")[:-1]:
        msg = asm.feed(line)
        if msg is not None:
            out.append(msg)
    return out, start + cut


def _initial(
    path: str, tail: int | None, flt: _Filter, asm: _Assembler
) -> tuple[list[Entry], int, int | None]:
    """Messages for read_logs/follow_logs, the offset reached in `path` and its inode."""
    streams = {s for s, on in (("stdout", flt.stdout), ("stderr", flt.stderr)) if on}
    files = log_files(path)
    starts = dict.fromkeys(files, 0)
    if tail is not None and tail >= 0:
        need = tail
        chosen = []
        for p in reversed(files):
            if need == 0:
                break
            try:
                with open(p, "rb") as f:
                    off, found = _tail_start(f, need, streams)
            except FileNotFoundError:
                continue
            starts[p] = off
            chosen.append(p)
            need -= min(found, need)
        files = list(reversed(chosen)) if tail > 0 else []
    entries: list[Entry] = []
    offset, inode = 0, None
    for p in files:
        try:
            inode_p = os.stat(p).st_ino
        except FileNotFoundError:
            continue
        msgs, end = _read_file(p, starts[p], asm)
        for m in msgs:
            if (e := flt.apply(m)) is not None:
                entries.append(e)
        if p == path:
            offset, inode = end, inode_p
    if tail == 0 or path not in files:
        try:
            st = os.stat(path)
            offset, inode = st.st_size, st.st_ino
            with open(path, "rb") as f:  # stop at the last complete record
                f.seek(max(0, st.st_size - _BLOCK))
                data = f.read()
            offset = st.st_size - (len(data) - (data.rfind(b"\n") + 1))
        except FileNotFoundError:
            pass
    if tail is not None and tail > 0:
        entries = entries[-tail:]
    return entries, offset, inode


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
    """Messages of a container's log (rotated files included), oldest first.

    Each is (stream, data, ts): data ends with "\\n" and is prefixed with "<ts> " when
    `timestamps`; ts is Docker's RFC3339Nano UTC form. `tail` (None or negative: all)
    counts messages of the selected streams from the end; `since`/`until` are epoch
    seconds (inclusive), applied after `tail` as Docker does."""
    flt = _Filter(stdout, stderr, since, until, timestamps)
    if tail is not None and tail < 0:
        tail = None
    entries, _, _ = _initial(path, tail, flt, _Assembler())
    yield from entries


class LogFollower:
    """Incremental reader for `logs -f`: `poll()` returns what was appended since the
    last call, without blocking, so it suits both a thread and an event loop timer.

    It keeps the log file open: when conmon replaces the file (size limit or rotation),
    the rest of the old file is still read before switching to the new one. Call close()."""

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
        if tail is not None and tail < 0:
            tail = None
        self._f = None
        self.initial, offset, inode = _initial(path, tail, self._flt, self._asm)
        self._open(offset, inode)

    def _open(self, offset: int, inode: int | None) -> None:
        try:
            f = open(self.path, "rb")
        except FileNotFoundError:
            return
        if inode is not None and os.fstat(f.fileno()).st_ino != inode:
            offset = 0  # replaced between the initial read and now
        f.seek(offset)
        self._f, self._buf = f, b""

    def _drain(self) -> list[Entry]:
        assert self._f is not None
        data = self._buf + self._f.read()
        cut = data.rfind(b"\n") + 1
        self._buf = data[cut:]
        out = []
        for line in data[:cut].split(b"\n")[:-1]:
            msg = self._asm.feed(line)
            if msg is not None and (e := self._flt.apply(msg)) is not None:
                out.append(e)
        return out

    def poll(self) -> list[Entry]:
        if self._f is None:
            self._open(0, None)
            if self._f is None:
                return []
        out = self._drain()
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return out
        mine = os.fstat(self._f.fileno())
        if st.st_ino != mine.st_ino:
            out += self._drain()  # what was written before the switch
            self._f.close()
            self._f = None
            self._open(0, None)
            if self._f is not None:
                out += self._drain()
        elif mine.st_size < self._f.tell():
            self._f.seek(0)  # truncated in place
            self._buf = b""
            out += self._drain()
        return out

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None


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
