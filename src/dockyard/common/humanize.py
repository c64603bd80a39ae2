"""Human-readable sizes, durations, times and container statuses, printed as Docker does.

Equivalents of docker/go-units (HumanSize, BytesSize, HumanDuration, RAMInBytes,
FromHumanSize), of the daemon's container status string ("Up 4 seconds",
"Exited (0) 2 minutes ago") and of the client's --since/--until parsing
(GetTimestamp). Times are Unix seconds (float) or RFC 3339 strings as the API
carries them; nothing here imports more than `time` and `math`.
"""

from __future__ import annotations

import math
import time

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


_UNIT_NS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,
    "\u03bcs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_MAX_NS = (1 << 63) - 1


def parse_go_duration(text: str) -> int:
    """time.ParseDuration: "1h30m", "-1.5s", "300ms" -> nanoseconds.

    Raises ValueError with Go's text: time: invalid duration "x".
    """
    orig = text
    q = '"' + orig + '"'
    neg = False
    if text[:1] in "+-" and text:
        neg = text[0] == "-"
        text = text[1:]
    if text == "0":
        return 0
    if not text:
        raise ValueError(f"time: invalid duration {q}")
    total = 0
    while text:
        i = 0
        while i < len(text) and text[i].isdigit():
            i += 1
        whole = text[:i]
        frac = ""
        text = text[i:]
        if text.startswith("."):
            j = 1
            while j < len(text) and text[j].isdigit():
                j += 1
            frac = text[1:j]
            text = text[j:]
        if not whole and not frac:
            raise ValueError(f"time: invalid duration {q}")
        j = 0
        while j < len(text) and not (text[j].isdigit() or text[j] == "."):
            j += 1
        unit = text[:j]
        text = text[j:]
        if not unit:
            raise ValueError(f"time: missing unit in duration {q}")
        mul = _UNIT_NS.get(unit)
        if mul is None:
            raise ValueError(f'time: unknown unit "{unit}" in duration {q}')
        value = int(whole or "0") * mul
        if frac:
            value += int(frac) * mul // 10 ** len(frac)
        total += value
        if total > _MAX_NS:
            raise ValueError(f"time: invalid duration {q}")
    return -total if neg else total


# --- RFC 3339 times ------------------------------------------------------------

ZERO_TIME = "0001-01-01T00:00:00Z"
_DAYS_BEFORE_EPOCH = 719162  # date(1970, 1, 1).toordinal() - 1


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (no datetime import)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(z: int) -> tuple[int, int, int]:
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d


def _days_in_month(y: int, m: int) -> int:
    if m == 2:
        return 29 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 28
    return 30 if m in (4, 6, 9, 11) else 31


class _TimeParser:
    """Go's time.Parse for the few numeric layouts Docker uses (RFC 3339 family)."""

    def __init__(self, value: str, layout: str) -> None:
        self.value, self.layout, self.rest = value, layout, value

    def fail(self, rest: str, elem: str) -> ValueError:
        return ValueError(
            f'parsing time "{self.value}" as "{self.layout}": cannot parse "{rest}" as "{elem}"'
        )

    def num(self, elem: str, width: int, fixed: bool = True) -> int:
        r = self.rest
        n = 0
        while n < len(r) and n < width and r[n].isdigit():
            n += 1
        if n == 0 or (fixed and n != width):
            raise self.fail(r, elem)
        self.rest = r[n:]
        return int(r[:n])

    def lit(self, text: str) -> None:
        if not self.rest.startswith(text):
            raise self.fail(self.rest, text)
        self.rest = self.rest[len(text) :]

    def parse(self, local_offset: int) -> tuple[int, int]:
        """(unix seconds, nanoseconds); layout elements are the ones GetTimestamp uses."""
        lay = self.layout
        year = self.num("2006", 4)
        self.lit("-")
        month = self.num("01", 2)
        self.lit("-")
        day = self.num("02", 2)
        hour = minute = second = nanos = 0
        rest_layout = lay[10:]
        if rest_layout.startswith("T15"):
            self.lit("T")
            hour = self.num("15", 2, fixed=False)
            rest_layout = rest_layout[3:]
            if rest_layout.startswith(":04"):
                self.lit(":")
                minute = self.num("04", 2)
                rest_layout = rest_layout[3:]
                if rest_layout.startswith(":05"):
                    self.lit(":")
                    second = self.num("05", 2)
                    rest_layout = rest_layout[3:]
                    if rest_layout.startswith(".999999999"):
                        rest_layout = rest_layout[10:]
                    # Go reads a fraction after seconds even when the layout has none.
                    r = self.rest
                    if len(r) >= 2 and r[0] in ".," and r[1].isdigit():
                        n = 1
                        while n < len(r) and r[n].isdigit():
                            n += 1
                        digits = r[1:n]
                        nanos = int(digits[:9].ljust(9, "0"))
                        self.rest = r[n:]
        offset = local_offset
        if rest_layout.startswith("Z07:00"):
            r = self.rest
            if r.startswith("Z"):
                offset, self.rest = 0, r[1:]
            elif len(r) >= 6 and r[0] in "+-" and r[3] == ":":
                sign = -1 if r[0] == "-" else 1
                hh, mm = r[1:3], r[4:6]
                if not (hh.isdigit() and mm.isdigit()):
                    raise self.fail(r, "Z07:00")
                offset = sign * (int(hh) * 3600 + int(mm) * 60)
                self.rest = r[6:]
            else:
                raise self.fail(r, "Z07:00")
        if self.rest:
            raise ValueError(f'parsing time "{self.value}": extra text: "{self.rest}"')
        for what, ok in (
            ("month", 1 <= month <= 12),
            ("day", 1 <= day <= (_days_in_month(year, month) if 1 <= month <= 12 else 31)),
            ("hour", hour < 24),
            ("minute", minute < 60),
            ("second", second < 60),
        ):
            if not ok:
                raise ValueError(f'parsing time "{self.value}": {what} out of range')
        days = _days_from_civil(year, month, day)
        return days * 86400 + hour * 3600 + minute * 60 + second - offset, nanos


RFC3339 = "2006-01-02T15:04:05Z07:00"
RFC3339_NANO = "2006-01-02T15:04:05.999999999Z07:00"


def parse_rfc3339(text: str) -> tuple[int, int]:
    """RFC 3339 with up to 9 fraction digits (the API's timestamps) -> (unix s, ns).

    "0001-01-01T00:00:00Z" (Go's zero time) parses to its true, very negative second.
    """
    return _TimeParser(text, RFC3339_NANO).parse(0)


def parse_rfc3339_ns(text: str) -> int:
    """RFC 3339 -> nanoseconds since the epoch."""
    s, ns = parse_rfc3339(text)
    return s * 1_000_000_000 + ns


def parse_rfc3339_float(text: str) -> float:
    """RFC 3339 -> Unix seconds as float (microsecond-ish precision)."""
    s, ns = parse_rfc3339(text)
    return s + ns / 1e9


def is_zero_time(text: str | None) -> bool:
    """True for Go's zero time, which the API sends for 'never' (StartedAt, FinishedAt)."""
    return not text or text.startswith("0001-01-01T00:00:00")


def format_rfc3339_nano(seconds: int, nanos: int = 0, offset: int = 0) -> str:
    """Go's time.RFC3339Nano: trailing zeros of the fraction dropped, "Z" for UTC."""
    local = seconds + offset
    days, secs = divmod(local, 86400)
    y, m, d = _civil_from_days(days)
    hh, rem = divmod(secs, 3600)
    mm, ss = divmod(rem, 60)
    frac = f".{nanos:09d}".rstrip("0") if nanos else ""
    frac = "" if frac == "." else frac
    if offset == 0:
        zone = "Z"
    else:
        sign = "-" if offset < 0 else "+"
        oh, om = divmod(abs(offset) // 60, 60)
        zone = f"{sign}{oh:02d}:{om:02d}"
    return f"{y:04d}-{m:02d}-{d:02d}T{hh:02d}:{mm:02d}:{ss:02d}{frac}{zone}"


def go_time_string(timestamp: float) -> str:
    """time.Unix(ts, 0).String() in local time: "2024-01-02 15:04:05 +0100 CET".

    Docker prints CreatedAt columns this way.
    """
    lt = time.localtime(int(timestamp))
    off = lt.tm_gmtoff
    sign = "-" if off < 0 else "+"
    oh, om = divmod(abs(off) // 60, 60)
    zone = lt.tm_zone or f"{sign}{oh:02d}{om:02d}"
    return time.strftime("%Y-%m-%d %H:%M:%S", lt) + f" {sign}{oh:02d}{om:02d} {zone}"


# --- --since / --until -----------------------------------------------------------


def get_timestamp(value: str, reference: float | None = None) -> str:
    """The client's GetTimestamp: what `--since/--until` values become on the wire.

    Go durations ("10m", "1h30m") count back from `reference` (now) and give Unix
    seconds; RFC 3339 dates/times give "seconds.nanoseconds" (local zone when the
    value has none); Unix timestamps ("1700000000.5") pass through unchanged.
    """
    ref = time.time() if reference is None else reference
    if value != "0":
        try:
            d = parse_go_duration(value)
        except ValueError:
            pass
        else:
            return str(math.floor((int(ref * 1e9) - d) / 1e9))
    in_location = not any(c in value for c in "zZ+") and value.count("-") != 3
    if "." in value:
        layout = "2006-01-02T15:04:05.999999999" if in_location else RFC3339_NANO
    elif "T" in value:
        colons = value.count(":")
        if not in_location and not any(c in value for c in "zZ") and colons > 0:
            colons -= 1
        suffix = "" if in_location else "Z07:00"
        layout = ("2006-01-02T15", "2006-01-02T15:04", "2006-01-02T15:04:05")[min(colons, 2)]
        layout += suffix
    else:
        layout = "2006-01-02" if in_location else "2006-01-02Z07:00"
    local_offset = time.localtime(int(ref)).tm_gmtoff if in_location else 0
    try:
        secs, nanos = _TimeParser(value, layout).parse(local_offset)
    except ValueError:
        if "-" in value:
            raise
        try:
            parse_timestamps(value, 0)
        except ValueError:
            raise ValueError(f'failed to parse value as time or duration: "{value}"') from None
        return value
    return f"{secs}.{nanos:09d}"


def parse_timestamp_arg(value: str, now: float | None = None) -> str:
    """get_timestamp under the name the CLI and daemon filters use (`now` = reference)."""
    return get_timestamp(value, now)


def parse_timestamps(value: str, default_seconds: int) -> tuple[int, int]:
    """The daemon's ParseTimestamps: "1700000000.5" -> (1700000000, 500000000)."""
    if value == "":
        return default_seconds, 0
    s, dot, n = value.partition(".")
    sec = _go_parse_int(s)
    if not dot:
        return sec, 0
    nsec = _go_parse_int(n)
    return sec, int(nsec * 10.0 ** (9 - len(n)))


def _go_parse_int(s: str) -> int:
    body = s[1:] if s[:1] in "+-" else s
    if not body.isascii() or not body.isdigit():
        raise ValueError(f'strconv.ParseInt: parsing "{s}": invalid syntax')
    return int(s)


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
