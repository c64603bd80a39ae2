"""The composition root of the domain: builds every service, in dependency order.

Each service is a plain object with no HTTP in it. It may define `recover()` (run at start,
in order) and `shutdown()` (run at stop, in reverse). Services still receive the daemon and
reach their peers through `daemon.services`; issue 12 turns that into constructor arguments.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..containers.service import ContainerService
    from ..distribution.service import DistributionService
    from ..images.service import ImageService
    from ..network.service import NetworkService
    from ..volumes.service import VolumeService
    from .core import Daemon


@dataclass
class Services:
    """The daemon's services; field order is start order (stop order is the reverse)."""

    images: ImageService
    distribution: DistributionService
    volumes: VolumeService
    networks: NetworkService
    containers: ContainerService

    def items(self) -> Iterator[tuple[str, object]]:
        for f in fields(self):
            yield f.name, getattr(self, f.name)


def build_services(daemon: Daemon) -> Services:
    from ..containers.service import ContainerService
    from ..distribution.service import DistributionService
    from ..images.service import ImageService
    from ..network.service import NetworkService
    from ..registry.remote import RegistrySettings
    from ..volumes.service import VolumeService

    # Later services use earlier ones in their constructor and recovery, through
    # daemon.services, so each is published as soon as it exists.
    services = Services.__new__(Services)
    daemon.services = services
    assert daemon.db is not None
    services.images = ImageService(
        daemon.db, daemon.config.data_root, daemon.events, users=lambda: services.containers
    )
    services.distribution = DistributionService(
        services.images,
        RegistrySettings(
            list(daemon.config.registry_mirrors), list(daemon.config.insecure_registries)
        ),
    )
    services.volumes = VolumeService(daemon)
    services.networks = NetworkService(daemon)
    services.containers = ContainerService(daemon)
    return services
