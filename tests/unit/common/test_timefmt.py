"""The daemon's record times and since/until values (Go's formats are in test_humanize)."""

from __future__ import annotations

import pytest

from dockyard.common import timefmt


def test_rfc3339_round_trip() -> None:
    ts = 1764265000.123456789
    text = timefmt.rfc3339(ts, pad=True)
    assert text.endswith("Z") and len(text.split(".")[1]) == 10
    assert abs(timefmt.seconds_of(text) - ts) < 1e-6
    assert timefmt.seconds_of(timefmt.ZERO_TIME) == 0.0


def test_rfc3339_trims_like_go_unless_padded() -> None:
    assert timefmt.rfc3339(1704189600.5) == "2024-01-02T10:00:00.5Z"
    assert timefmt.rfc3339(1704189600.0) == "2024-01-02T10:00:00Z"
    assert timefmt.rfc3339(1704189600.0, pad=True) == "2024-01-02T10:00:00.000000000Z"


def test_seconds_of_tolerates_offsets_and_bad_text() -> None:
    assert timefmt.seconds_of("2024-01-02T10:00:00.25+00:00") == 1704189600.25
    assert timefmt.seconds_of("not a time") == 0.0
    assert timefmt.seconds_of(None) == 0.0


@pytest.mark.parametrize(
    ("value", "want"),
    [
        (None, None),
        ("", None),
        ("1700000000", 1700000000.0),
        ("1700000000.5", 1700000000.5),
        ("2024-01-02T10:00:00Z", 1704189600.0),
        ("2024-01-02T10:00:00.25+01:00", 1704186000.25),
        ("10m", 1704189000.0),
    ],
)
def test_parse_since_until(value: str | None, want: float | None) -> None:
    assert timefmt.parse_since_until(value, now=1704189600.0) == want


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01", "1.2.3"])
def test_parse_since_until_rejects(value: str) -> None:
    with pytest.raises(ValueError):
        timefmt.parse_since_until(value, now=1704189600.0)
