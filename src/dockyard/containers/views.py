"""Docker's JSON shapes for a container: inspect (GET /containers/{id}/json) and summary (ps)."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..common.timefmt import seconds_of
from .record import Container, ContainerRecord

if TYPE_CHECKING:
    from ..images.service import ImageService


class Records(Protocol):
    """The container store, as the views read it."""

    def dir(self, cid: str) -> Path: ...

    def all(self) -> list[Container]: ...


def document(rec: ContainerRecord) -> dict[str, Any]:
    """Docker's inspect JSON of a record (GET /containers/{id}/json without sizes); the
    store keeps this shape too, with the record's private parts beside it."""
    doc = {
        **rec.top_level(),
        "Name": "/" + rec.name,
        "State": rec.state.to_dict(),
        "HostConfig": rec.host_config.to_dict(),
        "Mounts": rec.mount_points(),
        "Config": rec.config.to_dict(),
        "NetworkSettings": rec.network.to_dict(),
    }
    doc.update({k: v for k, v in rec.other.items() if not k.startswith("_")})
    return doc


# HostConfig fields Docker's Go struct leaves out of the JSON when they are empty
_HOST_CONFIG_OMITEMPTY = ("Mounts", "Tmpfs", "Init", "Annotations")


def inspect(
    store: Records, images: ImageService, c: Container, size: bool = False
) -> dict[str, Any]:
    doc = copy.deepcopy(document(c.record))
    hc = doc["HostConfig"]
    for key in _HOST_CONFIG_OMITEMPTY:
        if key in hc and not hc[key] and hc[key] is not False:
            del hc[key]
    if size:
        doc["SizeRw"], doc["SizeRootFs"] = _sizes(store, images, c)
    return doc


def _sizes(store: Records, images: ImageService, c: Container) -> tuple[int, int]:
    from .rootfs import dir_size

    rw = dir_size(store.dir(c.id) / "upper")
    try:
        base = images.image_size(c.record.image_id)
    except Exception:
        base = 0
    return rw, rw + base


def _ports(c: Container) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    ports = c.network.ports or {}
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
    for key in c.config.exposed_ports or {}:
        if key not in ports and key not in seen:
            num, _, proto = key.partition("/")
            out.append({"PrivatePort": int(num), "Type": proto or "tcp"})
    return out


def status_text(state: dict[str, Any]) -> str:
    """The STATUS column: `Up 4 seconds`, `Exited (0) 2 minutes ago`, ..."""
    from dockyard.common.humanize import container_status

    return container_status(state)


def summary(
    store: Records,
    images: ImageService,
    c: Container,
    size: bool = False,
    links: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """`links` (from link_names()) saves a pass over every container per row."""
    out: dict[str, Any] = {
        "Id": c.id,
        **_live(c, links if links is not None else link_names(store.all())),
        **_stable(c),
    }
    if size:
        out["SizeRw"], out["SizeRootFs"] = _sizes(store, images, c)
    return out


def summary_json(c: Container, links: dict[str, list[str]]) -> str:
    """summary() as JSON text (without sizes). The part that changes only when the record
    is saved is encoded once per save (`Container.rev`): `ps` of a thousand containers
    encodes their names and states, not their networks, ports and mounts each time."""
    rev = c.rev  # read before the record: a save during the encoding makes it stale
    cached = c.summary_cache
    if cached is None or cached[0] != rev:
        cached = (rev, json.dumps(_stable(c))[1:-1])
        c.summary_cache = cached
    live = json.dumps({"Id": c.id, **_live(c, links)})
    return f"{live[:-1]}, {cached[1]}}}"


def _live(c: Container, links: dict[str, list[str]]) -> dict[str, Any]:
    """What a row shows that time or other containers change: names (links), state."""
    st = c.state
    state = {  # the fields container_status reads, not the whole State object
        "Running": st.running,
        "Paused": st.paused,
        "Restarting": st.restarting,
        "Dead": st.dead,
        "Status": st.status,
        "ExitCode": st.exit_code,
        "StartedAt": st.started_at,
        "FinishedAt": st.finished_at,
        "Health": st.health,
    }
    return {
        "Names": ["/" + c.name] + links.get(c.id, []),
        "State": st.status,
        "Status": status_text(state),
    }


def _stable(c: Container) -> dict[str, Any]:
    cfg, rec = c.config, c.record
    return {
        "Image": rec.image_ref or cfg.image,
        "ImageID": rec.image_id,
        "Command": " ".join(cfg.command),
        "Created": int(seconds_of(rec.created)),
        "Ports": _ports(c),
        "Labels": cfg.labels or {},
        "HostConfig": {"NetworkMode": c.host_config.network_mode},
        "NetworkSettings": {"Networks": _json_copy(c.network.networks)},
        "Mounts": rec.mount_points(),
    }


def _json_copy(value: Any) -> Any:
    """copy.deepcopy of JSON-shaped data (dicts, lists, scalars), several times faster: `ps`
    copies every container's networks (a reader must not see them change while encoding)."""
    if isinstance(value, dict):
        return {k: _json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_copy(v) for v in value]
    return value


def link_names(containers: list[Container]) -> dict[str, list[str]]:
    """Docker lists "/other/alias" under every container another one links to."""
    by_ref = {}
    for c in containers:
        by_ref[c.name] = c.id
        by_ref[c.id] = c.id
    names: dict[str, list[str]] = {}
    for other in containers:
        for link in other.host_config.links or []:
            target, _, alias = link.partition(":")
            cid = by_ref.get(target.lstrip("/"))
            if cid is not None:
                alias = alias or target
                names.setdefault(cid, []).append(f"/{other.name}/{os.path.basename(alias)}")
    return names
