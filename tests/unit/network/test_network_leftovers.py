"""Veths on their way out (their peers' namespace was dropped) are not leftovers while the
kernel tears the namespace down; those still there after the grace are."""

from __future__ import annotations

import pytest

from dockyard.network import leftovers


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(leftovers.time, "monotonic", c.monotonic)
    monkeypatch.setattr(leftovers.time, "sleep", c.sleep)
    return c


def present_until(monkeypatch: pytest.MonkeyPatch, clock: Clock, gone_at: dict[str, float]):
    def exists(path: str) -> bool:
        name = path.rsplit("/", 1)[-1]
        return clock.now < gone_at.get(name, float("inf"))

    monkeypatch.setattr(leftovers.os.path, "exists", exists)


def test_a_departing_veth_that_goes_is_no_leftover(monkeypatch, clock: Clock) -> None:
    present_until(monkeypatch, clock, {"vetha": 100.05})
    departing = {"vetha": 100.0}
    unowned = {"vetha": "br0", "vethb": "br0"}
    leftovers._await_departing(departing, unowned)
    assert unowned == {"vethb": "br0"}  # vethb was never departing: reported at once
    assert departing == {}
    assert clock.now < 100.1


def test_a_departing_veth_that_stays_is_reported_after_the_grace(monkeypatch, clock) -> None:
    present_until(monkeypatch, clock, {})
    departing = {"vetha": 100.0}
    unowned = {"vetha": "br0"}
    leftovers._await_departing(departing, unowned)
    assert unowned == {"vetha": "br0"}
    assert departing == {}
    assert leftovers.DEPARTING_GRACE <= clock.now - 100.0 < leftovers.DEPARTING_GRACE + 0.1


def test_old_or_owned_entries_are_dropped_without_waiting(monkeypatch, clock: Clock) -> None:
    present_until(monkeypatch, clock, {})
    departing = {"old": 90.0, "owned": 100.0}
    unowned = {"old": "br0"}
    leftovers._await_departing(departing, unowned)
    assert unowned == {"old": "br0"} and departing == {}
    assert clock.now == 100.0


def test_the_departing_list_stays_short_in_a_long_running_daemon(clock: Clock) -> None:
    from dockyard.network.endpoints import Endpoints

    class Holder(Endpoints):
        def __init__(self) -> None:
            self.departing: dict[str, float] = {}

    h = Holder()
    for i in range(1000):
        h._note_departing(f"veth{i}")
        clock.now += 1.0  # one stop a second: each entry is past its grace a second later
    assert len(h.departing) <= 256
    assert "veth999" in h.departing  # the newest is always kept
