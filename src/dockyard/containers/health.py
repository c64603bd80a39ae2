"""Health checks as Docker defines them, without I/O: the probe's configuration (the API's
`Healthcheck`, merged with the image's and checked as dockerd checks it), the state
machine behind `State.Health` (starting -> healthy / unhealthy, FailingStreak, the last 5
log entries) and the schedule (start period, start interval, interval).

The thread that runs probes on this schedule is `healthmonitor`; everything here is a pure
function of its arguments (times are Unix nanoseconds passed in), so it is tested with a
table and a fake clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..common.timefmt import format_go_duration, format_rfc3339_nano, parse_rfc3339_ns
from ..errors import InvalidParameter

# dockerd's defaults (daemon/health.go) and floor (container.MinimumDuration).
DEFAULT_INTERVAL_NS = 30_000_000_000
DEFAULT_TIMEOUT_NS = 30_000_000_000
DEFAULT_START_PERIOD_NS = 0
DEFAULT_START_INTERVAL_NS = 5_000_000_000
DEFAULT_RETRIES = 3
MIN_DURATION_NS = 1_000_000
MAX_OUTPUT = 4096
MAX_LOG_ENTRIES = 5

STARTING, HEALTHY, UNHEALTHY, NONE = "starting", "healthy", "unhealthy", "none"
STATUSES = (NONE, STARTING, HEALTHY, UNHEALTHY)

_DURATIONS = ("Interval", "Timeout", "StartPeriod", "StartInterval")


def validate(hc: Any) -> None:
    """dockerd's checks of a create request's Healthcheck (before the image's is merged)."""
    if hc is None:
        return
    if not isinstance(hc, dict):
        raise InvalidParameter("invalid Healthcheck: must be a JSON object")
    test = hc.get("Test")
    if test is not None and not (isinstance(test, list) and all(isinstance(t, str) for t in test)):
        raise InvalidParameter("invalid Healthcheck.Test: must be a list of strings")
    for key in (*_DURATIONS, "Retries"):
        value = hc.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise InvalidParameter(f"invalid Healthcheck.{key}: must be an integer")
    for key in ("Interval", "Timeout"):
        _check_floor(hc, key)
    if (hc.get("Retries") or 0) < 0:
        raise InvalidParameter("Retries in Healthcheck cannot be negative")
    for key in ("StartPeriod", "StartInterval"):
        _check_floor(hc, key)


def _check_floor(hc: dict[str, Any], key: str) -> None:
    value = hc.get(key) or 0
    if value != 0 and value < MIN_DURATION_NS:
        raise InvalidParameter(
            f"{key} in Healthcheck cannot be less than {format_go_duration(MIN_DURATION_NS)}"
        )


def merge(user: dict[str, Any] | None, image: dict[str, Any] | None) -> dict[str, Any] | None:
    """Docker's merge: the container's Healthcheck wins field by field; a zero field (no
    Test, a 0 duration, 0 retries) takes the image's."""
    if not image:
        return user
    if user is None:
        return dict(image)
    out = dict(user)
    if not out.get("Test"):
        out["Test"] = image.get("Test")
    for key in (*_DURATIONS, "Retries"):
        if not out.get(key) and image.get(key):
            out[key] = image[key]
    return out


@dataclass(frozen=True)
class Probe:
    """The effective probe of a container: its command and schedule, defaults applied."""

    command: list[str]
    interval_ns: int = DEFAULT_INTERVAL_NS
    timeout_ns: int = DEFAULT_TIMEOUT_NS
    start_period_ns: int = DEFAULT_START_PERIOD_NS
    start_interval_ns: int = DEFAULT_START_INTERVAL_NS
    retries: int = DEFAULT_RETRIES

    @classmethod
    def of(cls, config: dict[str, Any]) -> Probe | None:
        """The probe of a container Config; None without a healthcheck, with NONE, or with
        a test type Docker does not know (it logs and runs nothing)."""
        hc = config.get("Healthcheck") or {}
        test = list(hc.get("Test") or [])
        if not test or test[0] not in ("CMD", "CMD-SHELL"):
            return None
        command = test[1:]
        if test[0] == "CMD-SHELL":
            command = list(config.get("Shell") or ["/bin/sh", "-c"]) + command
        return cls(
            command=command,
            interval_ns=hc.get("Interval") or DEFAULT_INTERVAL_NS,
            timeout_ns=hc.get("Timeout") or DEFAULT_TIMEOUT_NS,
            start_period_ns=hc.get("StartPeriod") or DEFAULT_START_PERIOD_NS,
            start_interval_ns=hc.get("StartInterval") or DEFAULT_START_INTERVAL_NS,
            retries=hc.get("Retries") if (hc.get("Retries") or 0) > 0 else DEFAULT_RETRIES,
        )

    @property
    def timeout(self) -> float:
        return self.timeout_ns / 1e9

    def next_delay(self, elapsed_ns: int, status: str) -> float:
        """Seconds until the next probe, `elapsed_ns` after the container started:
        the start interval while starting inside the start period, never past the end of
        the start period, the interval otherwise."""
        if elapsed_ns >= self.start_period_ns:
            return self.interval_ns / 1e9
        remaining = self.start_period_ns - elapsed_ns
        if remaining < self.interval_ns:
            return remaining / 1e9
        return (self.start_interval_ns if status == STARTING else self.interval_ns) / 1e9

    def timeout_result(self, start: int, end: int, output: str) -> Result:
        """Docker's log entry for a probe killed at its timeout."""
        message = f"Health check exceeded timeout ({format_go_duration(self.timeout_ns)})"
        return Result(start, end, -1, f"{message}: {output}" if output else message)


@dataclass(frozen=True)
class Result:
    """One probe run: Unix nanoseconds, the exit code (-1 when it could not run or timed
    out), the output (at most 4096 bytes)."""

    start: int
    end: int
    exit_code: int
    output: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "Start": format_rfc3339_nano(*divmod(self.start, 1_000_000_000)),
            "End": format_rfc3339_nano(*divmod(self.end, 1_000_000_000)),
            "ExitCode": self.exit_code,
            "Output": self.output,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Result:
        return cls(
            _ns(d.get("Start")),
            _ns(d.get("End")),
            int(d.get("ExitCode", -1)),
            str(d.get("Output", "")),
        )


def _ns(text: Any) -> int:
    try:
        return parse_rfc3339_ns(str(text))
    except ValueError:
        return 0


@dataclass
class Health:
    """`State.Health`: the status, the count of failures in a row, the last results."""

    status: str = STARTING
    failing_streak: int = 0
    log: list[Result] = field(default_factory=list)

    def record(self, result: Result, probe: Probe, started_at: int) -> str | None:
        """Take one probe result; the new status when it changed (for the event)."""
        old = self.status
        self.log = [*self.log, result][-MAX_LOG_ENTRIES:]
        if result.exit_code == 0:
            self.failing_streak = 0
            self.status = HEALTHY
        elif not (self.status == STARTING and result.start - started_at < probe.start_period_ns):
            # Failures inside the start period do not count while the container never
            # passed a probe.
            self.failing_streak += 1
            if self.failing_streak >= probe.retries:
                self.status = UNHEALTHY
        return self.status if self.status != old else None

    def restart(self) -> None:
        """A new start (or a daemon restart): starting again, the log kept."""
        self.status = STARTING
        self.failing_streak = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "Status": self.status,
            "FailingStreak": self.failing_streak,
            "Log": [r.to_dict() for r in self.log],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Health:
        d = d or {}
        return cls(
            str(d.get("Status") or STARTING),
            int(d.get("FailingStreak") or 0),
            [Result.from_dict(r) for r in d.get("Log") or []],
        )


class OutputBuffer:
    """A probe's stdout and stderr, kept up to 4096 bytes; "..." marks what was dropped."""

    def __init__(self, limit: int = MAX_OUTPUT) -> None:
        self.limit = limit
        self.data = bytearray()
        self.truncated = False

    def write(self, chunk: bytes) -> None:
        room = self.limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        if len(chunk) > room:
            self.truncated = True

    def text(self) -> str:
        out = self.data.decode("utf-8", errors="replace")
        return out + "..." if self.truncated else out


def matches_filter(health: dict[str, Any] | None, values: list[str]) -> bool:
    """ps --filter health=...: `none` for a container without a health state."""
    for v in values:
        if v not in STATUSES:
            raise InvalidParameter(
                f"invalid filter 'health={v}': invalid value for health ({v}): must be one of "
                + ", ".join(STATUSES)
            )
    # A health state without a status is a monitor not yet set up: dockerd says unhealthy.
    status = NONE if health is None else health.get("Status") or UNHEALTHY
    return status in values
