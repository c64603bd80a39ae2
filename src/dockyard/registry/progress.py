"""Docker's JSON progress messages for pull and push."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

Emit = Callable[[dict[str, Any]], None]


def short(digest: str) -> str:
    return digest.split(":", 1)[-1][:12]


def human(n: float) -> str:
    """go-units HumanSize: 4 significant digits, decimal units."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.4g}{unit}"
        n /= 1000
    return f"{n}B"


def bar(current: int, total: int) -> str:
    if total <= 0:
        return f"{human(current):>8}"
    width = 50
    filled = min(width, int(width * current / total))
    arrow = ">" if filled < width else ""
    box = "=" * filled + arrow + " " * max(0, width - filled - len(arrow))
    return f"[{box}] {human(current):>8}/{human(total)}"


def status(emit: Emit, text: str, ident: str | None = None) -> None:
    msg: dict[str, Any] = {"status": text, "progressDetail": {}}
    if ident is not None:
        msg["id"] = ident
    emit(msg)


class Meter:
    """Throttled "Downloading"/"Extracting"/"Pushing" updates for one layer."""

    MIN_STEP = 1 / 100
    MIN_INTERVAL = 0.1

    def __init__(self, emit: Emit, word: str, ident: str, total: int) -> None:
        self.emit = emit
        self.word = word
        self.ident = ident
        self.total = total
        self._last = -1
        self._last_t = 0.0
        self._lock = threading.Lock()

    def update(self, current: int, force: bool = False) -> None:
        with self._lock:
            now = time.monotonic()
            step = max(int(self.total * self.MIN_STEP), 1)
            if not force and (
                current - self._last < step or now - self._last_t < self.MIN_INTERVAL
            ):
                if not (self.total and current >= self.total and self._last < current):
                    return
            self._last, self._last_t = current, now
        self.emit(
            {
                "status": self.word,
                "progressDetail": {"current": current, "total": self.total},
                "progress": bar(current, self.total),
                "id": self.ident,
            }
        )
