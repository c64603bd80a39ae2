"""Requests during the daemon's start-up recovery: /_ping answers, the rest waits."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from dockyard.api.app import held_until


def test_requests_wait_for_recovery_but_ping_does_not():
    async def scenario() -> list[str]:
        ready = asyncio.Event()
        served: list[str] = []

        async def dispatch(request):
            served.append(request.path)
            return request.path

        held = held_until(ready, dispatch)
        ps = asyncio.create_task(held(SimpleNamespace(path="/containers/json")))
        assert await held(SimpleNamespace(path="/_ping")) == "/_ping"
        assert await held(SimpleNamespace(path="/v1.41/_ping")) == "/v1.41/_ping"
        await asyncio.sleep(0.01)
        assert not ps.done() and served == ["/_ping", "/v1.41/_ping"]
        ready.set()
        assert await ps == "/containers/json"
        assert await held(SimpleNamespace(path="/info")) == "/info"
        return served

    assert asyncio.run(scenario())[-2:] == ["/containers/json", "/info"]
