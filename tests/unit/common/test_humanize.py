"""go-units and Docker status strings; expected values as Docker/Go print them."""

from __future__ import annotations

import time

import pytest

from dockyard.common.humanize import (
    ago,
    bytes_size,
    container_status,
    from_human_size,
    human_duration,
    human_size,
    ram_in_bytes,
    state_name,
)
from dockyard.common.timefmt import (
    format_rfc3339_nano,
    get_timestamp,
    go_time_string,
    is_zero_time,
    parse_go_duration,
    parse_rfc3339,
    parse_rfc3339_ns,
    parse_timestamp_arg,
    parse_timestamps,
)


@pytest.mark.parametrize(
    ("size", "precision", "want"),
    [
        (0, 3, "0B"),
        (125_800_000, 3, "126MB"),
        (4300, 3, "4.3kB"),
        (999, 3, "999B"),
        (1000, 3, "1kB"),
        (999_900, 3, "1e+03kB"),  # Go's %.3g rounds up into an exponent too
        (7_800_000, 3, "7.8MB"),
        (1_234_567_890, 4, "1.235GB"),
        (2_746_000, 4, "2.746MB"),
        (796_000, 4, "796kB"),
        (1e30, 4, "1e+06YB"),
    ],
)
def test_human_size(size: float, precision: int, want: str) -> None:
    assert human_size(size, precision) == want


@pytest.mark.parametrize(
    ("size", "want"),
    [
        (0, "0B"),
        (1023, "1023B"),
        (1024, "1KiB"),
        (1536 * 1024 * 1024, "1.5GiB"),
        (2_048_000, "1.953MiB"),
        (16_644_263_936, "15.5GiB"),
    ],
)
def test_bytes_size(size: float, want: str) -> None:
    assert bytes_size(size) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("512m", 512 * 1024**2),
        ("1g", 1024**3),
        ("1G", 1024**3),
        ("1gb", 1024**3),
        ("1GiB", 1024**3),
        ("32", 32),
        ("32b", 32),
        ("32 kb", 32 * 1024),
        ("1.5k", 1536),
        ("4t", 4 * 1024**4),
        ("1p", 1024**5),
    ],
)
def test_ram_in_bytes(text: str, want: int) -> None:
    assert ram_in_bytes(text) == want


@pytest.mark.parametrize(
    ("text", "msg"),
    [
        ("12q", "invalid suffix: 'q'"),
        ("", "invalid size: ''"),
        ("m", "invalid size: 'm'"),
        ("-1m", "invalid size: '-1m'"),
        ("1.2.3m", 'strconv.ParseFloat: parsing "1.2.3": invalid syntax'),
        ("10kiB2", 'strconv.ParseFloat: parsing "10kiB2": invalid syntax'),
        ("10kbb", "invalid suffix: 'kbb'"),
        ("10bb", "invalid suffix: 'bb'"),
        ("10 kilo", "invalid suffix: 'kilo'"),
    ],
)
def test_ram_in_bytes_errors(text: str, msg: str) -> None:
    with pytest.raises(ValueError) as e:
        ram_in_bytes(text)
    assert str(e.value) == msg


def test_from_human_size_is_decimal() -> None:
    assert from_human_size("10MB") == 10_000_000
    assert from_human_size("1k") == 1000


@pytest.mark.parametrize(
    ("seconds", "want"),
    [
        (0, "Less than a second"),
        (0.9, "Less than a second"),
        (-5, "Less than a second"),
        (1, "1 second"),
        (4, "4 seconds"),
        (59, "59 seconds"),
        (60, "About a minute"),
        (119, "About a minute"),
        (180, "3 minutes"),
        (59 * 60, "59 minutes"),
        (60 * 60, "About an hour"),
        (89 * 60, "About an hour"),
        (90 * 60, "2 hours"),
        (47 * 3600, "47 hours"),
        (48 * 3600, "2 days"),
        (13 * 86400, "13 days"),
        (14 * 86400, "2 weeks"),
        (21 * 86400, "3 weeks"),
        (60 * 86400, "2 months"),
        (120 * 86400, "4 months"),
        (2 * 365 * 86400, "2 years"),
    ],
)
def test_human_duration(seconds: float, want: str) -> None:
    assert human_duration(seconds) == want


def test_ago() -> None:
    assert ago(1000, now=1004) == "4 seconds ago"


def _iso(ts: float) -> str:
    return format_rfc3339_nano(int(ts), int((ts % 1) * 1e9))


NOW = 1_700_000_000.0
ZERO = "0001-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("state", "want"),
    [
        ({"Running": True, "StartedAt": _iso(NOW - 4), "FinishedAt": ZERO}, "Up 4 seconds"),
        ({"Running": True, "StartedAt": _iso(NOW - 0.2)}, "Up Less than a second"),
        ({"Running": True, "Paused": True, "StartedAt": _iso(NOW - 120)}, "Up 2 minutes (Paused)"),
        (
            {
                "Running": True,
                "Restarting": True,
                "ExitCode": 1,
                "StartedAt": _iso(NOW - 50),
                "FinishedAt": _iso(NOW - 5),
            },
            "Restarting (1) 5 seconds ago",
        ),
        (
            {"Running": True, "StartedAt": _iso(NOW - 7200), "Health": {"Status": "healthy"}},
            "Up 2 hours (healthy)",
        ),
        (
            {"Running": True, "StartedAt": _iso(NOW - 3), "Health": {"Status": "starting"}},
            "Up 3 seconds (health: starting)",
        ),
        (
            {
                "Running": False,
                "ExitCode": 0,
                "StartedAt": _iso(NOW - 500),
                "FinishedAt": _iso(NOW - 120),
            },
            "Exited (0) 2 minutes ago",
        ),
        (
            {
                "Running": False,
                "ExitCode": 137,
                "StartedAt": NOW - 500,
                "FinishedAt": NOW - 3 * 86400,
            },
            "Exited (137) 3 days ago",
        ),
        ({"Running": False, "StartedAt": ZERO, "FinishedAt": ZERO}, "Created"),
        ({"Status": "created"}, "Created"),
        ({"Running": False, "Dead": True, "StartedAt": _iso(NOW - 9)}, "Dead"),
        (
            {"Running": False, "Status": "removing", "StartedAt": _iso(NOW - 9)},
            "Removal In Progress",
        ),
    ],
)
def test_container_status(state: dict, want: str) -> None:
    assert container_status(state, now=NOW) == want


def test_state_name() -> None:
    assert state_name({"Running": True, "Paused": True}) == "paused"
    assert state_name({"Running": False, "StartedAt": ZERO}) == "created"
    assert state_name({"Running": False, "StartedAt": "2024-01-01T00:00:00Z"}) == "exited"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("2024-01-02T10:00:00.123456789+02:00", (1704182400, 123456789)),
        ("2024-01-02T10:00:00.5Z", (1704189600, 500000000)),
        ("2024-01-02T10:00:00Z", (1704189600, 0)),
        ("1970-01-01T00:00:00Z", (0, 0)),
        (ZERO, (-62135596800, 0)),
    ],
)
def test_parse_rfc3339(text: str, want: tuple[int, int]) -> None:
    assert parse_rfc3339(text) == want


def test_parse_rfc3339_ns_keeps_nanoseconds() -> None:
    assert parse_rfc3339_ns("2024-01-02T10:00:00.000000001Z") == 1704189600_000000001


@pytest.mark.parametrize(
    ("text", "msg"),
    [
        ("2024-1-02T00:00:00Z", 'cannot parse "1-02T00:00:00Z" as "01"'),
        ("2024-13-02T00:00:00Z", "month out of range"),
        ("2024-02-30T00:00:00Z", "day out of range"),
        ("2024-01-02T25:00:00Z", "hour out of range"),
        ("2024-01-02T10:00:00", 'cannot parse "" as "Z07:00"'),
        ("2024-01-02T10:00:00Zx", 'extra text: "x"'),
    ],
)
def test_parse_rfc3339_errors(text: str, msg: str) -> None:
    with pytest.raises(ValueError) as e:
        parse_rfc3339(text)
    assert msg in str(e.value)


def test_format_rfc3339_nano() -> None:
    assert format_rfc3339_nano(1704189600, 123456789) == "2024-01-02T10:00:00.123456789Z"
    assert format_rfc3339_nano(1704189600, 500000000) == "2024-01-02T10:00:00.5Z"
    assert format_rfc3339_nano(1704189600) == "2024-01-02T10:00:00Z"
    assert format_rfc3339_nano(1704189600, 0, 7200) == "2024-01-02T12:00:00+02:00"
    assert format_rfc3339_nano(-62135596800) == ZERO
    assert is_zero_time(ZERO) and is_zero_time("") and not is_zero_time("2024-01-02T10:00:00Z")


def test_go_time_string_shape() -> None:
    s = go_time_string(0)
    assert len(s.split(" ")) == 4 and s.split(" ")[2][0] in "+-"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("10m", 600_000_000_000),
        ("1h30m", 5_400_000_000_000),
        ("-1.5s", -1_500_000_000),
        ("300ms", 300_000_000),
        ("1.5h", 5_400_000_000_000),
        ("0", 0),
        ("1µs", 1000),
        (".5s", 500_000_000),
        ("+3s", 3_000_000_000),
    ],
)
def test_parse_go_duration(text: str, want: int) -> None:
    assert parse_go_duration(text) == want


@pytest.mark.parametrize(
    ("text", "msg"),
    [
        ("", 'time: invalid duration ""'),
        ("10", 'time: missing unit in duration "10"'),
        ("10x", 'time: unknown unit "x" in duration "10x"'),
        ("abc", 'time: invalid duration "abc"'),
        ("5.", 'time: missing unit in duration "5."'),
        ("1h 2m", 'time: unknown unit "h " in duration "1h 2m"'),
        ("1e3s", 'time: unknown unit "e" in duration "1e3s"'),
    ],
)
def test_parse_go_duration_errors(text: str, msg: str) -> None:
    with pytest.raises(ValueError) as e:
        parse_go_duration(text)
    assert str(e.value) == msg


def test_get_timestamp_durations_count_back_from_reference() -> None:
    assert get_timestamp("10m", reference=NOW) == str(int(NOW) - 600)
    assert get_timestamp("1h30m", reference=NOW + 0.7) == str(int(NOW) - 5400)


def test_get_timestamp_rfc3339_with_zone() -> None:
    assert get_timestamp("2024-01-02T10:00:00Z", NOW) == "1704189600.000000000"
    assert get_timestamp("2024-01-02T10:00:00.5+02:00", NOW) == "1704182400.500000000"
    assert get_timestamp("2024-01-02T10:00:00+02:00", NOW) == "1704182400.000000000"
    assert get_timestamp("2024-01-02T10Z", NOW) == "1704189600.000000000"
    assert get_timestamp("2024-01-02Z", NOW) == "1704153600.000000000"


def test_get_timestamp_local_dates_use_the_local_zone() -> None:
    off = time.localtime(int(NOW)).tm_gmtoff
    assert get_timestamp("2024-01-02", NOW) == f"{1704153600 - off}.000000000"
    assert get_timestamp("2024-01-02T10:30", NOW) == f"{1704191400 - off}.000000000"


def test_get_timestamp_unix_passthrough_and_errors() -> None:
    assert get_timestamp("1700000000", NOW) == "1700000000"
    assert get_timestamp("1700000000.5", NOW) == "1700000000.5"
    assert get_timestamp("0", NOW) == "0"
    with pytest.raises(ValueError, match='failed to parse value as time or duration: "yesterday"'):
        get_timestamp("yesterday", NOW)
    with pytest.raises(ValueError, match="month out of range"):
        get_timestamp("2024-13-01", NOW)


def test_parse_timestamps() -> None:
    assert parse_timestamps("", 42) == (42, 0)
    assert parse_timestamps("1700000000", 0) == (1700000000, 0)
    assert parse_timestamps("1700000000.5", 0) == (1700000000, 500000000)
    assert parse_timestamps("1700000000.000000001", 0) == (1700000000, 1)
    with pytest.raises(ValueError):
        parse_timestamps("abc", 0)


def test_parse_timestamp_arg_takes_now() -> None:
    assert parse_timestamp_arg("10m", now=NOW) == str(int(NOW) - 600)
    assert float(parse_timestamp_arg("2024-01-02T10:00:00Z", now=NOW)) == 1704189600.0
