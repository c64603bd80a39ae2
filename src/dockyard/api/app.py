"""Builds the Engine API server: every route module registers itself on one router."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from .. import API_VERSION, __version__
from . import ping
from .http import HttpServer, Request
from .router import Result, Router

if TYPE_CHECKING:
    from ..daemon.core import Daemon

SERVER_HEADERS = [
    ("Api-Version", API_VERSION),
    ("Docker-Experimental", "false"),
    ("Ostype", "linux"),
    ("Server", f"dockyard/{__version__} (linux)"),
]


def build_router(daemon: Daemon) -> Router:
    # Imported here: the route modules bring most of the daemon's code (~200 modules), which a
    # starting daemon loads after it listens (StartingApi.load_routes).
    from . import (
        attach_ws,
        auth,
        build,
        containers,
        exec,
        images,
        networks,
        plugins,
        session,
        swarm,
        system,
        volumes,
    )

    router = Router()
    for module in (
        ping,
        system,
        images,
        containers,
        attach_ws,
        exec,
        networks,
        volumes,
        build,
        session,
        auth,
        swarm,
        plugins,
    ):
        module.register(router, daemon)
    return router


class StartingApi:
    """The server of a starting daemon. It listens before the daemon's services are built and
    answers /_ping at once; every other request waits for `ready`, set once the routes are
    loaded (`load_routes`) and the start-up recovery is done (a container must not be shown
    as its record says before it was reconciled with the host)."""

    def __init__(self, daemon: Daemon, ready: asyncio.Event) -> None:
        self._daemon = daemon
        self._router = Router()
        ping.register(self._router, daemon)
        self.server = HttpServer(held_until(ready, self.dispatch), lambda: SERVER_HEADERS)

    def load_routes(self) -> None:
        """Every route (off the event loop: /_ping is answered meanwhile)."""
        self._router = build_router(self._daemon)

    async def dispatch(self, request: Request) -> Result:
        return await self._router.dispatch(request)


_UNHELD = re.compile(r"^(/v[0-9.]+)?/_ping$")


def held_until(
    ready: asyncio.Event, dispatch: Callable[[Request], Awaitable[Result]]
) -> Callable[[Request], Awaitable[Result]]:
    async def held(request: Request) -> Result:
        if not ready.is_set() and not _UNHELD.match(request.path):
            await ready.wait()
        return await dispatch(request)

    return held
