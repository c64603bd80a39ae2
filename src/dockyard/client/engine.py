"""One object for the whole Engine API: `Engine(transport).containers.list()`.

The resource modules load on first use, so a command pays only for those it calls.
"""

from __future__ import annotations

import sys

from .api import Client

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from typing import Any

    from .build import Build
    from .containers import Containers
    from .exec import Exec
    from .images import Images
    from .networks import Networks
    from .system import System
    from .volumes import Volumes

# attribute -> class name in the module of the same name
_RESOURCES = {
    "containers": "Containers",
    "images": "Images",
    "networks": "Networks",
    "volumes": "Volumes",
    "system": "System",
    "build": "Build",
    "exec": "Exec",
}


class Engine:
    containers: Containers
    images: Images
    networks: Networks
    volumes: Volumes
    system: System
    build: Build
    exec: Exec

    def __init__(self, transport: Client) -> None:
        self.transport = transport

    def __getattr__(self, name: str) -> Any:
        cls_name = _RESOURCES.get(name)
        if cls_name is None:
            raise AttributeError(name)
        full_name = f"{__package__}.{name}"
        __import__(full_name)  # not importlib: its import (and warnings') costs every command
        module = sys.modules[full_name]
        resource = getattr(module, cls_name)(self.transport)
        setattr(self, name, resource)  # later lookups skip __getattr__
        return resource
