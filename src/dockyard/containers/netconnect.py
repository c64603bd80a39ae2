"""docker network connect/disconnect: the container's networks change under its lock, through
the network service's public API, and the container records the result (as podman's
Container.NetworkConnect does)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import InvalidParameter, NotFound

if TYPE_CHECKING:
    from ..network.options import ConnectOptions, DisconnectOptions
    from ..network.service import NetworkService
    from .config import Publish
    from .record import Container
    from .store import ContainerStore


def wire(c: Container, networks: NetworkService) -> str | None:
    """At start: the network namespace for the OCI spec; the record shows the endpoints."""
    wiring = networks.setup(c.attachment(), c.network.networks)
    settings = c.network
    if wiring.networks is not None:
        settings.networks = wiring.networks
    if wiring.ports is not None:
        settings.ports = wiring.ports
        settings.fill_legacy()
        settings.sandbox_key = wiring.sandbox_key
        settings.sandbox_id = c.id
    return wiring.netns


def plumb_in_background(c: Container, networks: NetworkService) -> Callable[[], None]:
    """Start the kernel side of the endpoints wire() recorded (it runs while the runtime
    creates the container); the call returned waits for it and raises its error."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            networks.plumb(c.id)
        except BaseException as exc:  # handed to the waiter
            errors.append(exc)

    worker = threading.Thread(target=run, name="plumb", daemon=True)
    worker.start()

    def wait() -> None:
        worker.join()
        if errors:
            raise errors.pop()

    return wait


def unwire(c: Container, networks: NetworkService) -> None:
    """At stop: the sandbox goes, the endpoints keep their configuration only."""
    networks.teardown(c.id)
    c.network.clear_endpoints()


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
        nets = c.network.networks
        if name in nets:
            raise InvalidParameter(f"endpoint with name {c.name} already exists in network {name}")
        if c.running:
            nets[name] = networks.join(c.attachment(), name, endpoint_config)
            networks.refresh_etc(c.attachment())
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
        nets = c.network.networks
        if name not in nets:
            raise InvalidParameter(f"container {c.id} is not connected to network {name}")
        if c.running:
            networks.leave(c.id, name, force)
        nets.pop(name, None)
        if c.running:
            networks.refresh_etc(c.attachment())
        store.save(c)
    publish(
        "network", "disconnect", rec["Id"], {"container": c.id, "name": name, "type": rec["Driver"]}
    )


def announce(networks: NetworkService, publish: Publish, c: Container, action: str) -> None:
    """dockerd's `network connect`/`disconnect` events for every network of `c` as it
    starts or stops."""
    for name in c.network.networks or {}:
        try:
            rec = networks.network(name)
        except NotFound:
            continue
        attrs = {"container": c.id, "name": rec["Name"], "type": rec["Driver"]}
        publish("network", action, rec["Id"], attrs)
