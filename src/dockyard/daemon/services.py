"""Wires the domain services together; each one is a plain object with no HTTP in it.

A service class takes the daemon (config, db, events, other services) in its constructor and
may define `recover()` (run at start, in order) and `shutdown()` (run at stop, in reverse).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .core import Daemon

# Order matters: later services may use earlier ones in their constructor and recovery.
SERVICES: list[tuple[str, str]] = [
    ("images", "dockyard.images.service:ImageService"),
    ("volumes", "dockyard.volumes.service:VolumeService"),
    ("networks", "dockyard.network.service:NetworkService"),
    ("containers", "dockyard.containers.service:ContainerService"),
]


def build_services(daemon: Daemon) -> dict[str, Any]:
    services: dict[str, Any] = {}
    daemon.services = services
    for name, target in SERVICES:
        module_name, cls_name = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # not built yet
        services[name] = getattr(module, cls_name)(daemon)
    return services
