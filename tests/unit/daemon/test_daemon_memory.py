"""glibc malloc settings and the trim after a burst."""

from __future__ import annotations

import asyncio

import pytest

from dockyard.daemon import memory


def test_arenas_are_limited_and_trim_runs():
    if not memory.limit_arenas(memory.ARENAS):
        pytest.skip("not glibc")
    memory.trim()  # returns memory; must not fail


def test_trim_comes_once_after_each_burst(monkeypatch):
    cpu = iter([0.0, 0.0, 0.5, 1.0, 1.01, 1.01, 1.01, 1.5, 1.5, 1.5, 1.5])
    trims: list[int] = []
    monkeypatch.setattr(memory, "trim", lambda: trims.append(1))
    monkeypatch.setattr(memory, "_LIBC", object())

    async def scenario() -> None:
        task = asyncio.create_task(
            memory.trim_after_bursts(interval=0.001, clock=lambda: next(cpu))
        )
        while not task.done():
            await asyncio.sleep(0.001)
        assert isinstance(task.exception(), StopIteration | RuntimeError)

    asyncio.run(scenario())
    # busy (0.5, 0.5) then quiet: one trim; busy (0.49) then quiet: another
    assert trims == [1, 1]
