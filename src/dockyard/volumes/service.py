"""The daemon's volume service: the local VolumeStore with the daemon's event bus and the
container service's view of which containers use which volume.

Its peers are explicit constructor arguments: the data root, `in_use() -> {volume name:
[container ids]}` and the event publisher (both given by the composition root).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .store import EventSink, InUse, VolumeStore


class VolumeService(VolumeStore):
    def __init__(self, data_root: Path, in_use: InUse, on_event: EventSink) -> None:
        super().__init__(data_root, in_use=in_use, on_event=on_event)

    def df(self) -> list[dict[str, Any]]:
        """The `Volumes` list of GET /system/df."""
        return self.disk_usage()
