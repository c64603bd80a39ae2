"""Builds the Engine API server: every route module registers itself on one router."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from .. import API_VERSION, __version__
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
from .http import HttpServer, Request
from .router import Result, Router

if TYPE_CHECKING:
    from ..daemon.core import Daemon

ROUTE_MODULES = [
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
]

SERVER_HEADERS = [
    ("Api-Version", API_VERSION),
    ("Docker-Experimental", "false"),
    ("Ostype", "linux"),
    ("Server", f"dockyard/{__version__} (linux)"),
]


def build_router(daemon: Daemon) -> Router:
    router = Router()
    for module in ROUTE_MODULES:
        module.register(router, daemon)
    return router


def build_server(daemon: Daemon, ready: asyncio.Event | None = None) -> HttpServer:
    """`ready`: set once the daemon's start-up recovery is done; until then requests wait
    (a container must not be shown as its record says before it was reconciled with the
    host), but /_ping, which says nothing about state, is answered at once."""
    router = build_router(daemon)
    dispatch = router.dispatch if ready is None else held_until(ready, router.dispatch)
    return HttpServer(dispatch, lambda: SERVER_HEADERS)


_UNHELD = re.compile(r"^(/v[0-9.]+)?/_ping$")


def held_until(
    ready: asyncio.Event, dispatch: Callable[[Request], Awaitable[Result]]
) -> Callable[[Request], Awaitable[Result]]:
    async def held(request: Request) -> Result:
        if not ready.is_set() and not _UNHELD.match(request.path):
            await ready.wait()
        return await dispatch(request)

    return held
