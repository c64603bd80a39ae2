"""The daemon's volume service: the local VolumeStore wired to the daemon.

`daemon.volumes` is this object. Containers in use are asked of the container service's
`volume_users() -> {volume name: [container ids]}` when that service provides it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .store import VolumeStore

if TYPE_CHECKING:
    from ..daemon.core import Daemon


class VolumeService(VolumeStore):
    def __init__(self, daemon: Daemon) -> None:
        self._daemon = daemon
        super().__init__(daemon.root, in_use=self._containers_using, on_event=self._publish)

    def _containers_using(self) -> Mapping[str, list[str]]:
        containers = self._daemon.services.containers
        users = getattr(containers, "volume_users", None)
        return users() if users is not None else {}

    def _publish(self, action: str, name: str, attrs: dict[str, str]) -> None:
        self._daemon.events.publish("volume", action, name, attrs)

    def df(self) -> list[dict[str, Any]]:
        """The `Volumes` list of GET /system/df."""
        return self.disk_usage()
