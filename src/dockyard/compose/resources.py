"""The project's networks and volumes: created with Compose's labels before any container,
checked when external, removed by `down`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..client.api import APIError
from . import labels as L
from .backend import Backend
from .errors import ComposeError


def network_body(project_name: str, key: str, net: dict[str, Any]) -> dict[str, Any]:
    ipam = net.get("ipam") or {}
    body: dict[str, Any] = {
        "Name": net["name"],
        "Driver": net.get("driver") or "bridge",
        "Options": net.get("driver_opts") or {},
        "Internal": bool(net.get("internal")),
        "Attachable": bool(net.get("attachable")),
        "EnableIPv6": bool(net.get("enable_ipv6")),
        "Labels": {**(net.get("labels") or {}), **L.resource_labels(project_name, L.NETWORK, key)},
        "CheckDuplicate": True,
    }
    if ipam:
        body["IPAM"] = {
            "Driver": ipam.get("driver") or "default",
            "Options": ipam.get("options") or {},
            "Config": [
                {
                    k2: pool[k1]
                    for k1, k2 in (
                        ("subnet", "Subnet"),
                        ("gateway", "Gateway"),
                        ("ip_range", "IPRange"),
                        ("aux_addresses", "AuxiliaryAddresses"),
                    )
                    if pool.get(k1)
                }
                for pool in ipam.get("config") or []
            ],
        }
    return body


def _wanted(
    resources: dict[str, dict[str, Any]], keys: set[str] | None
) -> Iterator[tuple[str, dict[str, Any], str]]:
    for key, res in resources.items():
        if keys is None or key in keys:
            yield key, res, res["name"]


def _existing(inspect: Callable[[str], dict[str, Any]], name: str, kind: str) -> dict | None:
    try:
        return inspect(name)
    except APIError as exc:
        if exc.status != 404:
            raise ComposeError(f"{kind} {name}: {exc.message}") from None
        return None


def ensure_networks(b: Backend, keys: set[str] | None = None) -> None:
    for key, net, name in _wanted(b.project.networks, keys):
        existing = _existing(b.engine.networks.inspect, name, "network")
        if net.get("external") and existing is None:
            raise ComposeError(f"network {name} declared as external, but could not be found")
        if existing is not None:
            label = (existing.get("Labels") or {}).get(L.NETWORK)
            if label is not None and label != key and not net.get("external"):
                raise ComposeError(
                    f'network {name} was found but has incorrect label {L.NETWORK} set to "{label}"'
                )
            continue
        b.progress.event("Network", name, "Creating")
        b.api(
            lambda net=net, key=key: b.engine.networks.create(network_body(b.name, key, net)),
            f"failed to create network {name}",
        )
        b.progress.event("Network", name, "Created")


def ensure_volumes(b: Backend, keys: set[str] | None = None) -> None:
    for key, vol, name in _wanted(b.project.volumes, keys):
        existing = _existing(b.engine.volumes.inspect, name, "volume")
        if vol.get("external") and existing is None:
            raise ComposeError(f'external volume "{name}" not found')
        if existing is not None:
            continue
        b.progress.event("Volume", f'"{name}"', "Creating")
        labels = {**(vol.get("labels") or {}), **L.resource_labels(b.name, L.VOLUME, key)}
        b.api(
            lambda vol=vol, labels=labels, name=name: b.engine.volumes.create(
                name=name,
                driver=vol.get("driver") or "local",
                driver_opts=vol.get("driver_opts"),
                labels=labels,
            ),
            f"failed to create volume {name}",
        )
        b.progress.event("Volume", f'"{name}"', "Created")


def remove_networks(b: Backend) -> None:
    """The project's networks (by label, and those the file names) that are not external."""
    names: dict[str, str] = {}
    for net in b.engine.networks.list(filters={"label": {f"{L.PROJECT}={b.name}": True}}):
        names[net["Name"]] = net["Id"]
    listed = set(names)
    for net in b.project.networks.values():
        if not net.get("external"):
            names.setdefault(net["name"], net["name"])
    for name in sorted(names):
        if name not in listed:  # named by the file only: there at all?
            try:
                b.engine.networks.inspect(name)
            except APIError:
                continue
        b.progress.event("Network", name, "Removing")
        try:
            b.engine.networks.remove(names[name])
        except APIError as exc:
            if exc.status == 404:
                continue
            b.progress.event("Network", name, f"Error: {exc.message}")
            continue
        b.progress.event("Network", name, "Removed")


def remove_volumes(b: Backend) -> None:
    found = b.engine.volumes.list(filters={"label": {f"{L.PROJECT}={b.name}": True}})
    listed = {v["Name"] for v in found.get("Volumes") or []}
    names = listed | {v["name"] for v in b.project.volumes.values() if not v.get("external")}
    for name in sorted(names):
        if name not in listed:
            try:
                b.engine.volumes.inspect(name)
            except APIError:
                continue
        b.progress.event("Volume", name, "Removing")
        try:
            b.engine.volumes.remove(name)
        except APIError as exc:
            b.progress.event("Volume", name, f"Error: {exc.message}")
            continue
        b.progress.event("Volume", name, "Removed")
