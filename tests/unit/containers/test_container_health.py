"""containers/health: Docker's healthcheck rules without a daemon — validation texts, the
merge with the image's config, the state machine (table-driven, times passed in as a fake
clock would), the schedule and the output limit."""

from __future__ import annotations

from typing import Any

import pytest

from dockyard.containers import health
from dockyard.containers.health import Health, OutputBuffer, Probe, Result
from dockyard.errors import InvalidParameter

MS = 1_000_000
S = 1_000_000_000


@pytest.mark.parametrize(
    "hc, message",
    [
        ({"Interval": -10 * MS}, "Interval in Healthcheck cannot be less than 1ms"),
        ({"Interval": 500_000}, "Interval in Healthcheck cannot be less than 1ms"),
        ({"Timeout": -100 * MS}, "Timeout in Healthcheck cannot be less than 1ms"),
        ({"Retries": -1}, "Retries in Healthcheck cannot be negative"),
        ({"StartPeriod": 1}, "StartPeriod in Healthcheck cannot be less than 1ms"),
        ({"StartInterval": -S}, "StartInterval in Healthcheck cannot be less than 1ms"),
        # dockerd checks Interval and Timeout before Retries, StartPeriod, StartInterval
        ({"Retries": -1, "Timeout": 1}, "Timeout in Healthcheck cannot be less than 1ms"),
        ({"Test": "CMD true"}, "invalid Healthcheck.Test: must be a list of strings"),
        ({"Interval": "1s"}, "invalid Healthcheck.Interval: must be an integer"),
        ([], "invalid Healthcheck: must be a JSON object"),
    ],
)
def test_validate_refuses_with_dockers_text(hc: Any, message: str) -> None:
    with pytest.raises(InvalidParameter) as err:
        health.validate(hc)
    assert err.value.message == message
    assert err.value.status == 400


@pytest.mark.parametrize(
    "hc",
    [None, {}, {"Test": ["NONE"]}, {"Interval": MS, "Timeout": 0, "Retries": 0, "StartPeriod": S}],
)
def test_validate_accepts(hc: Any) -> None:
    health.validate(hc)


IMAGE_HC = {"Test": ["CMD", "probe"], "Interval": 2 * S, "Timeout": 3 * S, "Retries": 4}


@pytest.mark.parametrize(
    "user, image, want",
    [
        (None, None, None),
        (None, IMAGE_HC, IMAGE_HC),
        ({"Test": ["CMD-SHELL", "x"]}, None, {"Test": ["CMD-SHELL", "x"]}),
        # a zero field of the container's takes the image's
        ({"Interval": 5 * S}, IMAGE_HC, {**IMAGE_HC, "Interval": 5 * S}),
        ({"Test": ["NONE"]}, IMAGE_HC, {**IMAGE_HC, "Test": ["NONE"]}),
        ({"Test": [], "Retries": 0, "Timeout": 0}, IMAGE_HC, IMAGE_HC),
    ],
)
def test_merge_with_image(user: Any, image: Any, want: Any) -> None:
    assert health.merge(user, image) == want


def test_probe_of_config() -> None:
    assert Probe.of({}) is None
    assert Probe.of({"Healthcheck": {"Test": ["NONE"]}}) is None
    assert Probe.of({"Healthcheck": {"Test": ["WHAT", "x"]}}) is None
    p = Probe.of({"Healthcheck": {"Test": ["CMD-SHELL", "curl -f x || exit 1"]}})
    assert p == Probe(["/bin/sh", "-c", "curl -f x || exit 1"], 30 * S, 30 * S, 0, 5 * S, 3)
    p = Probe.of({"Shell": ["/bin/bash", "-ec"], "Healthcheck": {"Test": ["CMD-SHELL", "t"]}})
    assert p is not None and p.command == ["/bin/bash", "-ec", "t"]
    p = Probe.of({"Healthcheck": {"Test": ["CMD", "a", "b"], "Retries": -3, "Timeout": 2 * S}})
    assert p is not None and (p.command, p.retries, p.timeout) == (["a", "b"], 3, 2.0)


def _probe(**kw: int) -> Probe:
    return Probe(["true"], **kw)


# (status, failing streak, event) after each result; results are (start time, exit code)
# for a container started at t=100.
STATE_TABLE = [
    (
        "healthy on the first pass",
        _probe(retries=2),
        [(101, 0)],
        [("healthy", 0, "healthy")],
    ),
    (
        "unhealthy after `retries` failures in a row, one event",
        _probe(retries=3),
        [(101, 1), (102, 1), (103, 1), (104, 1)],
        [("starting", 1, None), ("starting", 2, None), ("unhealthy", 3, "unhealthy"),
         ("unhealthy", 4, None)],
    ),
    (
        "a pass resets the streak",
        _probe(retries=2),
        [(101, 1), (102, 0), (103, 1), (104, 0)],
        [("starting", 1, None), ("healthy", 0, "healthy"), ("healthy", 1, None),
         ("healthy", 0, None)],
    ),
    (
        "failures inside the start period do not count while starting",
        _probe(retries=1, start_period_ns=10 * S),
        [(101, 1), (105, 1), (110, 1)],
        [("starting", 0, None), ("starting", 0, None), ("unhealthy", 1, "unhealthy")],
    ),
    (
        "once healthy, the start period no longer protects",
        _probe(retries=1, start_period_ns=10 * S),
        [(101, 0), (102, 1)],
        [("healthy", 0, "healthy"), ("unhealthy", 1, "unhealthy")],
    ),
    (
        "a timeout (-1) and any non-zero code fail",
        _probe(retries=2),
        [(101, -1), (102, 2), (103, 0)],
        [("starting", 1, None), ("unhealthy", 2, "unhealthy"), ("healthy", 0, "healthy")],
    ),
]  # fmt: skip


@pytest.mark.parametrize("name, probe, results, want", STATE_TABLE, ids=[r[0] for r in STATE_TABLE])
def test_state_machine(name: str, probe: Probe, results: Any, want: Any) -> None:
    h = Health()
    got = []
    for start, code in results:
        event = h.record(Result(start * S, start * S + 1, code, ""), probe, started_at=100 * S)
        got.append((h.status, h.failing_streak, event))
    assert got == want


def test_log_keeps_the_last_five_and_restart_keeps_it() -> None:
    h = Health()
    for i in range(7):
        h.record(Result(i * S, i * S + 5, i % 2, f"run {i}"), _probe(), 0)
    assert [r.output for r in h.log] == [f"run {i}" for i in range(2, 7)]
    h.restart()
    assert (h.status, h.failing_streak, len(h.log)) == ("starting", 0, 5)


def test_health_json_shape_round_trips() -> None:
    h = Health()
    assert h.to_dict() == {"Status": "starting", "FailingStreak": 0, "Log": []}
    h.record(Result(1700000000_250000000, 1700000000_500000001, 1, "no\n"), _probe(), 0)
    d = h.to_dict()
    assert d["Log"] == [
        {
            "Start": "2023-11-14T22:13:20.25Z",
            "End": "2023-11-14T22:13:20.500000001Z",
            "ExitCode": 1,
            "Output": "no\n",
        }
    ]
    assert Health.from_dict(d).to_dict() == d


@pytest.mark.parametrize(
    "probe, elapsed, status, want",
    [
        (_probe(interval_ns=30 * S), 0.0, "starting", 30.0),
        # inside a long start period: the start interval while starting
        (_probe(interval_ns=30 * S, start_period_ns=60 * S), 1.0, "starting", 5.0),
        (
            _probe(interval_ns=30 * S, start_period_ns=60 * S, start_interval_ns=2 * S),
            1,
            "starting",
            2.0,
        ),
        # ... but the interval once healthy
        (_probe(interval_ns=30 * S, start_period_ns=60 * S), 1.0, "healthy", 30.0),
        # never past the end of the start period
        (_probe(interval_ns=30 * S, start_period_ns=60 * S), 50.0, "starting", 10.0),
        (_probe(interval_ns=200 * MS, start_period_ns=S), 5.0, "starting", 0.2),
    ],
)
def test_next_delay(probe: Probe, elapsed: float, status: str, want: float) -> None:
    assert probe.next_delay(int(elapsed * S), status) == pytest.approx(want)


def test_timeout_result_reads_as_dockers() -> None:
    p = _probe(timeout_ns=200 * MS)
    assert p.timeout_result(1, 2, "").output == "Health check exceeded timeout (200ms)"
    r = Probe(["x"], timeout_ns=90 * S).timeout_result(1, 2, "partial")
    assert (r.exit_code, r.output) == (-1, "Health check exceeded timeout (1m30s): partial")


def test_output_is_cut_at_4096_bytes() -> None:
    out = OutputBuffer()
    out.write(b"a" * 4000)
    assert out.text() == "a" * 4000
    out.write(b"b" * 200)
    out.write(b"c")
    assert out.text() == "a" * 4000 + "b" * 96 + "..."


@pytest.mark.parametrize(
    "state, values, want",
    [
        (None, ["none"], True),
        (None, ["healthy"], False),
        ({"Status": "starting"}, ["starting"], True),
        ({"Status": "healthy"}, ["unhealthy", "healthy"], True),
        ({"Status": ""}, ["unhealthy"], True),
    ],
)
def test_filter(state: Any, values: list[str], want: bool) -> None:
    assert health.matches_filter(state, values) is want


def test_filter_refuses_unknown_values() -> None:
    with pytest.raises(InvalidParameter) as err:
        health.matches_filter(None, ["sick"])
    assert err.value.message == (
        "invalid filter 'health=sick': invalid value for health (sick): must be one of "
        "none, starting, healthy, unhealthy"
    )


def test_list_filters_are_checked_before_any_container() -> None:
    from dockyard.containers.filters import check_list_filters

    check_list_filters({"health": ["none", "healthy"], "status": ["running"]})
    with pytest.raises(InvalidParameter) as err:
        check_list_filters({"health": ["sick"]})
    assert err.value.message.startswith("invalid filter 'health=sick'")
    with pytest.raises(InvalidParameter) as err:
        check_list_filters({"colour": ["red"]})
    assert err.value.message == "invalid filter 'colour'"
