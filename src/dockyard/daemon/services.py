"""The composition root of the domain: builds every service with its peers, in dependency
order, and runs their recovery at start and their shutdown at stop.

Each service is a plain object with no HTTP in it; each takes its peers as typed
constructor arguments.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..containers.config import ContainerConfig
from ..network.netconfig import NetworkConfig
from ..network.service import NetworkService
from ..state.db import Database
from ..volumes.service import VolumeService
from .config import DaemonConfig
from .events import EventBus
from .hostclaims import HostClaims

if TYPE_CHECKING:
    from ..containers.service import ContainerService
    from ..distribution.service import DistributionService
    from ..images.service import ImageService

log = logging.getLogger(__name__)


@dataclass
class Services:
    """The daemon's services; field order is start order (stop order is the reverse)."""

    images: ImageService
    distribution: DistributionService
    volumes: VolumeService
    networks: NetworkService
    containers: ContainerService

    def recover(self) -> None:
        """At start, in order: one service failing to recover must not stop the daemon."""
        steps: list[tuple[str, Callable[[], None]]] = [
            ("containers (reading the host)", self.containers.read_ahead),
            ("images", self.images.recover),
            ("volumes", self.volumes.recover),
            ("networks", self.networks.recover),
            ("containers", self.containers.recover),
            # once running containers counted their volume mounts again
            ("volume mounts", self.volumes.release_idle_mounts),
        ]
        _each(steps, "recovery")

    def shutdown(self) -> None:
        """At stop, in reverse order (containers keep running: live restore)."""
        steps: list[tuple[str, Callable[[], None]]] = [
            ("containers", self.containers.shutdown),
            ("networks", self.networks.shutdown),
            ("images", self.images.shutdown),
        ]
        _each(steps, "shutdown")


def _each(steps: list[tuple[str, Callable[[], None]]], what: str) -> None:
    for name, step in steps:
        try:
            step()
        except Exception:
            log.exception("%s of %s failed", what, name)


def network_config(config: DaemonConfig) -> NetworkConfig:
    """The network service's share of daemon.json and the flags."""
    return NetworkConfig(
        exec_root=config.exec_root,
        bridge=config.bridge,
        bridge_prefix=config.bridge_prefix,
        nft_table=config.nft_table,
        pools=list(config.default_address_pools),
        mtu=config.mtu,
        dns=list(config.dns),
    )


def container_config(config: DaemonConfig) -> ContainerConfig:
    """The container service's share of daemon.json and the flags."""
    return ContainerConfig(
        data_root=config.data_root,
        exec_root=config.exec_root,
        default_runtime=config.default_runtime,
        runtime_paths=config.runtime_paths,
        log_opts=dict(config.log_opts),
        default_seccomp=config.default_seccomp,
    )


def build_services(
    config: DaemonConfig, db: Database, events: EventBus, claims: HostClaims
) -> Services:
    from ..containers.service import ContainerService
    from ..distribution.service import DistributionService
    from ..images.service import ImageService
    from ..registry.remote import RegistrySettings

    # Images, volumes and networks ask the container service things at use (who uses an
    # image or a volume, a container's name): callables, since it is built last.
    images = ImageService(db, config.data_root, events, users=lambda: containers)
    distribution = DistributionService(
        images, RegistrySettings(list(config.registry_mirrors), list(config.insecure_registries))
    )
    volumes = VolumeService(
        config.data_root,
        in_use=lambda: containers.volume_users(),
        on_event=lambda action, name, attrs: events.publish("volume", action, name, attrs),
    )
    networks = NetworkService(
        network_config(config),
        db,
        events.publish,
        interface_owner=claims.interface_owner,
        containers=lambda: containers,
    )
    containers = ContainerService(
        container_config(config),
        db,
        images=images,
        volumes=volumes,
        networks=networks,
        publish=events.publish,
    )
    return Services(images, distribution, volumes, networks, containers)
