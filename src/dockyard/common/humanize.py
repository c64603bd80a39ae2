"""Human-readable sizes, durations, times and container statuses, printed as Docker does.

Equivalents of docker/go-units (HumanSize, BytesSize, HumanDuration, RAMInBytes,
FromHumanSize) and of the daemon's container status string ("Up 4 seconds",
"Exited (0) 2 minutes ago"). Times are Unix seconds (float) or RFC 3339 strings as the
API carries them; their parsing and formatting live in `timefmt`. Imports only `time`.
"""

from __future__ import annotations

import time

from .timefmt import ZERO_TIME, is_zero_time, parse_rfc3339_float

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

_DECIMAL_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
_BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")


# --- sizes -------------------------------------------------------------------


def _scaled(size: float, base: float, units: tuple[str, ...]) -> tuple[float, str]:
    i = 0
    while size >= base and i < len(units) - 1:
        size /= base
        i += 1
    return size, units[i]


def human_size(size: float, precision: int = 4) -> str:
    """go-units HumanSizeWithPrecision: decimal units, `%.<precision>g`.

    Docker prints image, container, history and network/block I/O sizes with
    precision 3 ("126MB", "4.3kB", "0B"); volume and `system df` sizes with 4.
    """
    value, unit = _scaled(float(size), 1000.0, _DECIMAL_UNITS)
    return f"{value:.{precision}g}{unit}"


def bytes_size(size: float) -> str:
    """go-units BytesSize: binary units, 4 significant digits ("1.5GiB"), as in stats."""
    value, unit = _scaled(float(size), 1024.0, _BINARY_UNITS)
    return f"{value:.4g}{unit}"


_DECIMAL_MUL = {"k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4, "p": 1000**5}
_BINARY_MUL = {"k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}


def _parse_size(text: str, muls: dict[str, int]) -> int:
    num, sep, sfx = text.partition(" ")
    if not sep:
        cut = max(text.rfind(c) for c in "0123456789.")
        if cut < 0:
            raise ValueError(f"invalid size: '{text}'")
        num, sfx = text[: cut + 1], text[cut + 1 :]
    value = _go_parse_float(num)
    if value < 0:
        raise ValueError(f"invalid size: '{text}'")
    if not sfx:
        return int(value)
    low = sfx.lower()
    if len(sfx) > 3:
        raise ValueError(f"invalid suffix: '{sfx}'")
    if low[0] == "b":
        if len(low) > 1:
            raise ValueError(f"invalid suffix: '{low}'")
        return int(value)
    mul = muls.get(low[0])
    if mul is None or (len(low) == 2 and low[1] != "b") or (len(low) == 3 and low[1:] != "ib"):
        raise ValueError(f"invalid suffix: '{low}'")
    return int(value * mul)


def _go_parse_float(num: str) -> float:
    """strconv.ParseFloat for plain decimal text, with Go's error wording."""
    ok = bool(num) and num.strip() == num and "_" not in num
    if ok:
        try:
            return float(num)
        except ValueError:
            pass
    raise ValueError(f'strconv.ParseFloat: parsing "{num}": invalid syntax')


def ram_in_bytes(text: str) -> int:
    """go-units RAMInBytes: "512m" -> 536870912, binary units, "b"/"ib" optional.

    Raises ValueError("invalid suffix: 'q'") for "12q", like `docker run -m 12q`.
    """
    return _parse_size(text, _BINARY_MUL)


def from_human_size(text: str) -> int:
    """go-units FromHumanSize: decimal units ("10MB" -> 10000000)."""
    return _parse_size(text, _DECIMAL_MUL)


# --- durations ---------------------------------------------------------------


def human_duration(seconds: float) -> str:
    """go-units HumanDuration: "Less than a second", "About a minute", "3 weeks"."""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"


def ago(timestamp: float, now: float | None = None) -> str:
    """Docker's CREATED column: "4 seconds ago" for a Unix timestamp."""
    now = time.time() if now is None else now
    return human_duration(now - timestamp) + " ago"


# --- container status --------------------------------------------------------------


def _since(ts: Any, now: float) -> float:
    if isinstance(ts, int | float):
        return now - ts
    if is_zero_time(ts):
        return now - parse_rfc3339_float(ZERO_TIME)
    return now - parse_rfc3339_float(ts)


def container_status(state: Mapping[str, Any], now: float | None = None) -> str:
    """The STATUS column the daemon reports: "Up 2 minutes (healthy)", "Exited (0) 3 hours ago".

    `state` is the inspect State object (Running, Paused, Restarting, Dead,
    Status, ExitCode, StartedAt, FinishedAt, Health); times are RFC 3339
    strings or Unix seconds.
    """
    now = time.time() if now is None else now
    started, finished = state.get("StartedAt"), state.get("FinishedAt")
    exit_code = state.get("ExitCode", 0)
    if state.get("Running"):
        if state.get("Paused"):
            return f"Up {human_duration(_since(started, now))} (Paused)"
        if state.get("Restarting"):
            return f"Restarting ({exit_code}) {human_duration(_since(finished, now))} ago"
        health = state.get("Health")
        if isinstance(health, dict) and health and health.get("Status") != "none":
            # A monitor not yet set up reports "unhealthy", as the daemon does.
            hstatus = health.get("Status") or "unhealthy"
            shown = "health: starting" if hstatus == "starting" else hstatus
            return f"Up {human_duration(_since(started, now))} ({shown})"
        return f"Up {human_duration(_since(started, now))}"
    if state.get("Status") == "removing" or state.get("RemovalInProgress"):
        return "Removal In Progress"
    if state.get("Dead") or state.get("Status") == "dead":
        return "Dead"
    if _is_never(started):
        return "Created"
    if _is_never(finished):
        return ""
    return f"Exited ({exit_code}) {human_duration(_since(finished, now))} ago"


def _is_never(ts: Any) -> bool:
    if isinstance(ts, int | float):
        return ts <= 0
    return is_zero_time(ts)


def state_name(state: Mapping[str, Any]) -> str:
    """The one-word State: running, paused, restarting, removing, dead, created, exited."""
    if state.get("Running"):
        if state.get("Paused"):
            return "paused"
        if state.get("Restarting"):
            return "restarting"
        return "running"
    if state.get("Status") == "removing" or state.get("RemovalInProgress"):
        return "removing"
    if state.get("Dead") or state.get("Status") == "dead":
        return "dead"
    if _is_never(state.get("StartedAt")):
        return "created"
    return "exited"
