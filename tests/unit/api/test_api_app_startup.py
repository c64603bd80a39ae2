"""Requests during the daemon's start-up recovery: /_ping answers, the rest waits."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from types import SimpleNamespace

from dockyard.api.app import StartingApi, held_until


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


def test_starting_api_answers_ping_before_the_routes_are_loaded():
    def request(path: str) -> SimpleNamespace:
        return SimpleNamespace(method="GET", path=path, api_version="", path_params={})

    async def scenario() -> None:
        api = StartingApi(SimpleNamespace(), asyncio.Event())  # type: ignore[arg-type]
        ping = await api.dispatch(request("/v1.41/_ping"))
        assert (ping.status, ping.body) == (200, b"OK")
        assert (await api.dispatch(request("/version"))).status == 404
        api.load_routes()
        assert (await api.dispatch(request("/version"))).status == 200
        assert (await api.dispatch(request("/_ping"))).status == 200

    asyncio.run(scenario())


def test_what_a_daemon_imports_before_it_listens_leaves_the_services_out():
    # The route modules and the domain services load after the listeners are up.
    early = ("dockyardd", "api.app", "daemon.core", "daemon.memory")
    probe = f"import sys, {', '.join('dockyard.' + m for m in early)}; print(*sys.modules)"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(run.stdout.split())
    assert {f"dockyard.{m}" for m in early} <= loaded and "dockyard.api.http" in loaded
    for heavy in ("api.containers", "api.system", "containers.service", "images.service",
                  "network.service", "volumes.service", "daemon.services"):  # fmt: skip
        assert f"dockyard.{heavy}" not in loaded
