"""docker network connect/disconnect: the container's networks change under its lock, through
the network service's public API, and the container records the result (as podman's
Container.NetworkConnect does)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InvalidParameter, NotFound

if TYPE_CHECKING:
    from ..network.options import ConnectOptions, DisconnectOptions
    from ..network.service import NetworkService
    from .config import Publish
    from .store import ContainerStore


def connect(
    store: ContainerStore,
    networks: NetworkService,
    publish: Publish,
    network: str,
    opts: ConnectOptions,
) -> None:
    c = store.get(opts.container)
    endpoint_config = opts.endpoint_config
    rec = networks.network(network)
    name = rec["Name"]
    with c.lock:
        nets = c.doc["NetworkSettings"]["Networks"]
        if name in nets:
            raise InvalidParameter(f"endpoint with name {c.name} already exists in network {name}")
        if c.running:
            nets[name] = networks.join(c.doc, name, endpoint_config)
            networks.refresh_etc(c.doc)
        else:
            nets[name] = networks.planned_endpoint(name, endpoint_config)
        store.save(c)
    publish(
        "network", "connect", rec["Id"], {"container": c.id, "name": name, "type": rec["Driver"]}
    )


def disconnect(
    store: ContainerStore,
    networks: NetworkService,
    publish: Publish,
    network: str,
    opts: DisconnectOptions,
) -> None:
    rec = networks.network(network)
    name = rec["Name"]
    force = opts.force
    try:
        c = store.get(opts.container)
    except NotFound:
        if force:
            return
        raise
    with c.lock:
        nets = c.doc["NetworkSettings"]["Networks"]
        if name not in nets:
            raise InvalidParameter(f"container {c.id} is not connected to network {name}")
        if c.running:
            networks.leave(c.id, name, force)
        nets.pop(name, None)
        if c.running:
            networks.refresh_etc(c.doc)
        store.save(c)
    publish(
        "network", "disconnect", rec["Id"], {"container": c.id, "name": name, "type": rec["Driver"]}
    )
