"""Sizes and durations as Compose writes them (Go's time.Duration String and byte units)."""

from __future__ import annotations

import re

from ..common.timefmt import parse_go_duration
from ..common.units import ram_in_bytes
from .errors import ComposeError


def parse_duration(value: str | int | float) -> int:
    """Go duration syntax ("1m30s", "1.5h") to nanoseconds; plain numbers are seconds."""
    if isinstance(value, int | float):
        return int(value * 10**9)
    text = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return int(float(text) * 10**9)
    try:
        return parse_go_duration(text)
    except ValueError as exc:
        raise ComposeError(str(exc)) from None


def format_duration(ns: int) -> str:
    """Nanoseconds as Go prints a time.Duration ("1m30s", "500ms", "0s")."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 10**9:
        for unit, size in (("ms", 10**6), ("µs", 1000)):
            if ns >= size:
                return sign + _trim(ns / size) + unit
        return f"{sign}{ns}ns"
    hours, rest = divmod(ns, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    seconds = _trim(rest / 10**9) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    if minutes:
        return f"{sign}{minutes}m{seconds}"
    return sign + seconds


def _trim(value: float) -> str:
    return f"{value:.9f}".rstrip("0").rstrip(".")


def to_bytes(value: str | int) -> int:
    """ "64m", "1g", 1024 to bytes (Compose's RAMInBytes: binary units)."""
    if isinstance(value, int):
        return value
    try:
        return ram_in_bytes(value)
    except ValueError as exc:
        raise ComposeError(str(exc)) from None
