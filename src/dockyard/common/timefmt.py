"""Time as Docker writes and reads it: RFC 3339 timestamps, Go durations, since/until.

The one place for Go's time.RFC3339Nano formatting and parsing (the API's timestamps and
the records' Created/StartedAt/FinishedAt), Go's time.ParseDuration, the client's
GetTimestamp (what `--since/--until` values become on the wire) and the daemon's
ParseTimestamps (what it accepts back). Imports only `time` and `math`: the CLI loads it.
"""

from __future__ import annotations

import math
import time

# --- durations -----------------------------------------------------------------

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


def format_go_duration(ns: int) -> str:
    """Go's Duration.String(): "0s", "200ms", "1.5µs", "30s", "1m30.5s", "1h0m0s"."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    u = abs(ns)
    if u < 1_000:
        return f"{sign}{u}ns"
    if u < 1_000_000:
        return f"{sign}{_decimal(u, 1_000)}\u00b5s"
    if u < 1_000_000_000:
        return f"{sign}{_decimal(u, 1_000_000)}ms"
    hours, rest = divmod(u, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    text = f"{_decimal(rest, 1_000_000_000)}s"
    if hours:
        text = f"{hours}h{minutes}m{text}"
    elif minutes:
        text = f"{minutes}m{text}"
    return sign + text


def _decimal(value: int, unit: int) -> str:
    whole, part = divmod(value, unit)
    digits = f"{part:0{len(str(unit)) - 1}d}".rstrip("0")
    return f"{whole}.{digits}" if digits else str(whole)


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
    parsed = _PARSED.get(text)
    if parsed is None:
        parsed = _TimeParser(text, RFC3339_NANO).parse(0)
        if len(_PARSED) >= 4096:  # `ps` reads every container's times on each call
            _PARSED.clear()
        _PARSED[text] = parsed
    return parsed


_PARSED: dict[str, tuple[int, int]] = {}


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


# --- the daemon's side of since/until and record times ------------------------------


def rfc3339(ts: float | None = None, *, pad: bool = False) -> str:
    """Unix seconds (now when None) as RFC3339Nano in UTC; `pad` keeps all nine fraction
    digits (container records are written so, and their text sorts in time order)."""
    ns = time.time_ns() if ts is None else int(round(ts * 1e9))
    seconds, nanos = divmod(ns, 1_000_000_000)
    if pad:
        return format_rfc3339_nano(seconds)[:-1] + f".{nanos:09d}Z"
    return format_rfc3339_nano(seconds, nanos)


def seconds_of(text: str | None) -> float:
    """Unix seconds of an RFC 3339 timestamp; 0.0 for Go's zero time, absent or bad text."""
    if is_zero_time(text):
        return 0.0
    assert text is not None
    try:
        return parse_rfc3339_float(text.replace("+00:00", "Z"))
    except ValueError:
        return 0.0


def parse_since_until(value: str | None, now: float | None = None) -> float | None:
    """An API `since`/`until` value as Unix seconds; None when absent.

    Accepts what the client sends ("1700000000.000000001") and, as before, what a user
    may type straight at the API: an RFC 3339 date or time, or a Go duration back from
    `now`. Raises ValueError for anything else.
    """
    if value is None or value == "":
        return None
    try:
        secs, nanos = parse_timestamps(value, 0)
    except ValueError:
        secs, nanos = parse_timestamps(get_timestamp(value, now), 0)
    return secs + nanos / 1e9
