"""Docker's JSON shapes for a container: inspect (GET /containers/{id}/json) and summary (ps)."""

from __future__ import annotations

import copy
import os
from typing import TYPE_CHECKING, Any

from ..common.timefmt import seconds_of
from . import model

if TYPE_CHECKING:
    from ..images.service import ImageService
    from .store import Container, ContainerStore


def inspect(
    store: ContainerStore, images: ImageService, c: Container, size: bool = False
) -> dict[str, Any]:
    doc = {k: copy.deepcopy(v) for k, v in c.doc.items() if not k.startswith("_")}
    if size:
        doc["SizeRw"], doc["SizeRootFs"] = _sizes(store, images, c)
    doc["Mounts"] = [_mount_view(m) for m in doc.get("Mounts") or []]
    doc["State"] = c.state.to_dict()
    return doc


def _mount_view(m: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in m.items() if not k.startswith("_")}


def _sizes(store: ContainerStore, images: ImageService, c: Container) -> tuple[int, int]:
    from .rootfs import dir_size

    rw = dir_size(store.dir(c.id) / "upper")
    try:
        base = images.image_size(c.doc["Image"])
    except Exception:
        base = 0
    return rw, rw + base


def _ports(c: Container) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    ports = (c.doc.get("NetworkSettings") or {}).get("Ports") or {}
    seen = set()
    for key, bindings in ports.items():
        num, _, proto = key.partition("/")
        if bindings:
            for b in bindings:
                entry = {
                    "IP": b.get("HostIp") or "0.0.0.0",
                    "PrivatePort": int(num),
                    "PublicPort": int(b.get("HostPort") or 0),
                    "Type": proto or "tcp",
                }
                out.append(entry)
        else:
            seen.add(key)
            out.append({"PrivatePort": int(num), "Type": proto or "tcp"})
    for key in c.doc["Config"].get("ExposedPorts") or {}:
        if key not in ports and key not in seen:
            num, _, proto = key.partition("/")
            out.append({"PrivatePort": int(num), "Type": proto or "tcp"})
    return out


def status_text(state: dict[str, Any]) -> str:
    """The STATUS column: `Up 4 seconds`, `Exited (0) 2 minutes ago`, ..."""
    from dockyard.common.humanize import container_status

    return container_status(state)


def summary(
    store: ContainerStore,
    images: ImageService,
    c: Container,
    size: bool = False,
    links: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """`links` (from link_names()) saves a pass over every container per row."""
    cfg = c.doc["Config"]
    cmd = model.command_of(cfg)
    networks = (c.doc.get("NetworkSettings") or {}).get("Networks") or {}
    out: dict[str, Any] = {
        "Id": c.id,
        "Names": ["/" + c.name]
        + (links if links is not None else link_names(store.all())).get(c.id, []),
        "Image": c.doc.get("_ImageRef") or cfg.get("Image", ""),
        "ImageID": c.doc["Image"],
        "Command": " ".join(cmd),
        "Created": int(seconds_of(c.doc["Created"])),
        "Ports": _ports(c),
        "Labels": cfg.get("Labels") or {},
        "State": c.state.status,
        "Status": status_text(c.state.to_dict()),
        "HostConfig": {"NetworkMode": c.doc["HostConfig"].get("NetworkMode", "default")},
        "NetworkSettings": {"Networks": copy.deepcopy(networks)},
        "Mounts": [_mount_view(m) for m in c.doc.get("Mounts") or []],
    }
    if size:
        out["SizeRw"], out["SizeRootFs"] = _sizes(store, images, c)
    return out


def link_names(containers: list[Container]) -> dict[str, list[str]]:
    """Docker lists "/other/alias" under every container another one links to."""
    by_ref = {}
    for c in containers:
        by_ref[c.name] = c.id
        by_ref[c.id] = c.id
    names: dict[str, list[str]] = {}
    for other in containers:
        for link in other.doc["HostConfig"].get("Links") or []:
            target, _, alias = link.partition(":")
            cid = by_ref.get(target.lstrip("/"))
            if cid is not None:
                alias = alias or target
                names.setdefault(cid, []).append(f"/{other.name}/{os.path.basename(alias)}")
    return names
