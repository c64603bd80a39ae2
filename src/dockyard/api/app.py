"""Builds the Engine API server: every route module registers itself on one router."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .. import API_VERSION, __version__
from .http import HttpServer
from .router import Router

if TYPE_CHECKING:
    from ..daemon.core import Daemon

ROUTE_MODULES = [
    "system",
    "images",
    "containers",
    "attach_ws",
    "exec",
    "networks",
    "volumes",
    "build",
    "session",
    "auth",
    "swarm",
    "plugins",
]

SERVER_HEADERS = [
    ("Api-Version", API_VERSION),
    ("Docker-Experimental", "false"),
    ("Ostype", "linux"),
    ("Server", f"dockyard/{__version__} (linux)"),
]


def build_router(daemon: Daemon) -> Router:
    router = Router()
    for name in ROUTE_MODULES:
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{name}":
                raise
            continue
        module.register(router, daemon)
    return router


def build_server(daemon: Daemon) -> HttpServer:
    router = build_router(daemon)
    return HttpServer(router.dispatch, lambda: SERVER_HEADERS)
