"""One object for the whole Engine API: `Engine(transport).containers.list()`.

The resource modules load on first use, so a command pays only for those it calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .api import Client

if TYPE_CHECKING:
    from .build import Build
    from .containers import Containers
    from .exec import Exec
    from .images import Images
    from .networks import Networks
    from .system import System
    from .volumes import Volumes


class Engine:
    def __init__(self, transport: Client) -> None:
        self.transport = transport

    @property
    def containers(self) -> Containers:
        from .containers import Containers

        return Containers(self.transport)

    @property
    def images(self) -> Images:
        from .images import Images

        return Images(self.transport)

    @property
    def networks(self) -> Networks:
        from .networks import Networks

        return Networks(self.transport)

    @property
    def volumes(self) -> Volumes:
        from .volumes import Volumes

        return Volumes(self.transport)

    @property
    def system(self) -> System:
        from .system import System

        return System(self.transport)

    @property
    def build(self) -> Build:
        from .build import Build

        return Build(self.transport)

    @property
    def exec(self) -> Exec:
        from .exec import Exec

        return Exec(self.transport)
