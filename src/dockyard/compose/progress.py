"""Progress lines as Docker Compose v2 writes them in plain mode, on stderr:
` Container proj-web-1  Started`. Thread-safe: services converge in parallel."""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import TextIO


def warning_line(message: str, tty: bool) -> str:
    """A warning as Compose's logger writes it: `WARN[0000] …` on a terminal, logfmt else."""
    if tty:
        return f"WARN[0000] {message}\n"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return f'time="{stamp}" level=warning msg={json.dumps(message, ensure_ascii=False)}\n'


def warn(message: str) -> None:
    sys.stderr.write(warning_line(message, sys.stderr.isatty()))


class Progress:
    def __init__(self, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self._lock = threading.Lock()

    def event(self, kind: str, name: str, status: str) -> None:
        if self.quiet:
            return
        with self._lock:
            self.stream.write(f" {kind} {name}  {status}\n")
            self.stream.flush()

    def container(self, name: str, status: str) -> None:
        self.event("Container", name, status)

    def warn(self, message: str) -> None:
        with self._lock:
            self.stream.write(warning_line(message, self.stream.isatty()))
            self.stream.flush()
