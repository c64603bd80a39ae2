"""Several containers' logs on one terminal, each line prefixed `web-1  | ` in the
container's colour, as Compose prints them for `logs` and a foreground `up`."""

from __future__ import annotations

import struct
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from ..client.api import APIError
from .backend import Backend

# Compose's palette: the bright colours first, then the normal ones.
_COLOURS = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94]


def frames(chunks: Iterable[bytes], tty: bool) -> Iterator[bytes]:
    """The payloads of a stdcopy stream (or the raw bytes of a TTY container)."""
    if tty:
        yield from chunks
        return
    buf = b""
    for chunk in chunks:
        buf += chunk
        while len(buf) >= 8:
            (size,) = struct.unpack(">I", buf[4:8])
            if len(buf) < 8 + size:
                break
            yield buf[8 : 8 + size]
            buf = buf[8 + size :]


class LogPrinter:
    def __init__(
        self,
        names: list[str],
        colour: bool,
        prefix: bool = True,
        out: TextIO | None = None,
    ) -> None:
        self.width = max((len(n) for n in names), default=0)
        self.colour = colour
        self.prefix = prefix
        self.out = out or sys.stdout
        self._lock = threading.Lock()
        self._colours: dict[str, int] = {}

    def _prefix(self, name: str) -> str:
        if not self.prefix:
            return ""
        text = f"{name.ljust(self.width)}  | "
        if not self.colour:
            return text
        code = self._colours.setdefault(name, _COLOURS[len(self._colours) % len(_COLOURS)])
        return f"\x1b[{code}m{text}\x1b[0m"

    def line(self, name: str, text: str) -> None:
        with self._lock:
            self.out.write(self._prefix(name) + text + "\n")
            self.out.flush()

    def lines(self, name: str, payloads: Iterable[bytes]) -> None:
        pending = b""
        for payload in payloads:
            pending += payload
            *complete, pending = pending.split(b"\n")
            for raw in complete:
                self.line(name, raw.decode(errors="replace").rstrip("\r"))
        if pending:
            self.line(name, pending.decode(errors="replace"))


def service_label(container: dict[str, Any], project: str) -> str:
    """`web-1` for proj-web-1 (Compose drops the project from log prefixes)."""
    name = (container.get("Names") or ["/" + container.get("Name", "")])[0].lstrip("/")
    return name[len(project) + 1 :] if name.startswith(project + "-") else name


def stream_logs(
    b: Backend,
    containers: list[dict[str, Any]],
    printer: LogPrinter,
    follow: bool,
    tail: str = "all",
    since: str | None = None,
    until: str | None = None,
    timestamps: bool = False,
    on_end: Callable[[dict[str, Any]], None] | None = None,
) -> list[threading.Thread]:
    """One reader thread per container; `on_end(container)` when its stream ends."""

    def read(c: dict[str, Any]) -> None:
        label = service_label(c, b.name)
        try:
            tty = bool(b.engine.containers.inspect(c["Id"])["Config"].get("Tty"))
            chunks = b.engine.containers.logs(
                c["Id"], follow=follow, tail=tail, since=since, until=until, timestamps=timestamps
            )
            printer.lines(label, frames(chunks, tty))
        except (APIError, OSError):
            pass
        if on_end is not None:
            on_end(c)

    threads = [threading.Thread(target=read, args=(c,), daemon=True) for c in containers]
    for t in threads:
        t.start()
    return threads
