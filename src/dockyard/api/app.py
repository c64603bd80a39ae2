"""Builds the Engine API server: every route module registers itself on one router."""

from __future__ import annotations

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
from .http import HttpServer
from .router import Router

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


def build_server(daemon: Daemon) -> HttpServer:
    router = build_router(daemon)
    return HttpServer(router.dispatch, lambda: SERVER_HEADERS)
