"""`dockyard pod logs`: the logs of a pod's containers, each line prefixed with its
container's name (as `podman pod logs` and `kubectl logs --prefix` do).

Without --follow the containers are printed one after the other; with it, one reader thread
per container writes whole lines as they come, so lines of different containers never mix.
stdout stays stdout and stderr stays stderr.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from ..client.stdcopy import STDERR, STDOUT, demux_stream


@dataclass
class LogOptions:
    follow: bool = False
    tail: str = "all"
    since: str | None = None  # unix timestamps, as the API takes them
    until: str | None = None
    timestamps: bool = False


class PrefixWriter:
    """Whole lines, prefixed, to stdout or stderr under one lock."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.out, self.err = out or sys.stdout, err or sys.stderr
        self.lock = threading.Lock()

    def write(self, label: str, frames: Iterable[tuple[int, bytes]]) -> None:
        pending = {STDOUT: b"", STDERR: b""}
        for stream, payload in frames:
            stream = STDERR if stream == STDERR else STDOUT
            *complete, pending[stream] = (pending[stream] + payload).split(b"\n")
            self._emit(label, stream, complete)
        for stream, rest in pending.items():
            if rest:
                self._emit(label, stream, [rest])

    def _emit(self, label: str, stream: int, lines: list[bytes]) -> None:
        if not lines:
            return
        target = self.err if stream == STDERR else self.out
        text = "".join(f"{label} {raw.decode(errors='replace').rstrip(chr(13))}\n" for raw in lines)
        with self.lock:
            target.write(text)
            target.flush()


def _frames(engine: Any, container_id: str, opts: LogOptions) -> Iterator[tuple[int, bytes]]:
    tty = bool(engine.containers.inspect(container_id)["Config"].get("Tty"))
    chunks = engine.containers.logs(
        container_id,
        follow=opts.follow,
        tail=opts.tail,
        since=opts.since,
        until=opts.until,
        timestamps=opts.timestamps,
    )
    return ((STDOUT, chunk) for chunk in chunks) if tty else demux_stream(chunks)


def print_logs(
    engine: Any, members: list[tuple[str, str]], opts: LogOptions, writer: PrefixWriter
) -> None:
    """`members`: (label, container id) pairs. Returns when every stream has ended."""
    if not opts.follow:
        for label, cid in members:
            writer.write(label, _frames(engine, cid, opts))
        return
    threads = [
        threading.Thread(target=_follow, args=(engine, label, cid, opts, writer), daemon=True)
        for label, cid in members
    ]
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():
            t.join(0.2)  # a timeout, so Ctrl-C reaches the main thread


def _follow(engine: Any, label: str, cid: str, opts: LogOptions, writer: PrefixWriter) -> None:
    try:
        writer.write(label, _frames(engine, cid, opts))
    except Exception as exc:  # noqa: BLE001 - one container gone must not stop the others
        with writer.lock:
            writer.err.write(f"{label} error: {getattr(exc, 'message', exc)}\n")
