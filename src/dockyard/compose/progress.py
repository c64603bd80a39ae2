"""Progress lines as Docker Compose v2 writes them in plain mode, on stderr:
` Container proj-web-1  Started`. Thread-safe: services converge in parallel."""

from __future__ import annotations

import sys
import threading
from typing import TextIO


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
            self.stream.write(f"WARN[0000] {message}\n")
            self.stream.flush()
