"""docker create: a container record from the request, the image's config and the daemon's
defaults; its name reserved, its mounts planned, its networks recorded, its directory made."""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING, Any

from ..common.timefmt import rfc3339
from ..errors import InvalidParameter, NotFound
from . import health, model
from .record import Config, Container, ContainerRecord, HostConfig
from .rootfs import RootFS

if TYPE_CHECKING:
    from ..images.service import ImageService
    from ..network.service import NetworkService
    from ..volumes.service import VolumeService
    from .config import ContainerConfig
    from .mounts import PlannedMount
    from .store import ContainerStore


def create_container(
    store: ContainerStore,
    config: ContainerConfig,
    images: ImageService,
    networks: NetworkService,
    volumes: VolumeService,
    name: str | None,
    body: dict[str, Any],
) -> Container:
    """The new container, saved; `body` is the API's create body (it is consumed)."""
    if not isinstance(body, dict):
        raise InvalidParameter("invalid container config: body must be a JSON object")
    host_config = model.normalize_host_config(body.pop("HostConfig", None), config.default_runtime)
    networking = body.pop("NetworkingConfig", None) or {}
    image_ref = body.get("Image") or ""
    if not image_ref:
        raise InvalidParameter("Config cannot be empty in order to create a container")
    runtime = host_config.get("Runtime") or config.default_runtime
    if runtime not in config.runtime_paths:
        raise InvalidParameter(f"unknown or invalid runtime name: {runtime}")
    health.validate(body.get("Healthcheck"))
    image = images.resolve(image_ref)
    image_id = image.id if hasattr(image, "id") else image["Id"]
    image_config = images.config(image_id) or {}
    cfg = model.merge_image_config(body, image_config)
    cmd = model.command_of(cfg)
    if not cmd:
        raise InvalidParameter("no command specified")
    _validate_links(store, host_config)
    network_mode = host_config.get("NetworkMode") or "default"
    networks.validate_mode(network_mode, networking)
    cid = model.new_id()
    name = store.reserve_name(name, cid)  # released if anything below fails
    cdir = store.dir(cid)
    try:
        cfg.setdefault("Hostname", "")
        if not cfg.get("Hostname"):
            # On the host's network a container shows the host's name, as in Docker.
            cfg["Hostname"] = os.uname().nodename if network_mode == "host" else cid[:12]
        cfg.setdefault("Domainname", "")
        cfg.setdefault("AttachStdin", False)
        cfg.setdefault("AttachStdout", False)
        cfg.setdefault("AttachStderr", False)
        cfg.setdefault("Tty", False)
        cfg.setdefault("OpenStdin", False)
        cfg.setdefault("StdinOnce", False)
        cfg["Image"] = image_ref
        mount_plan = _plan_mounts(store, config, volumes, cid, cfg, host_config, image_config)
        cdir.mkdir(parents=True)
        RootFS(cdir).prepare()
        rec = ContainerRecord(
            id=cid,
            name=name,
            created=rfc3339(pad=True),
            path=cmd[0],
            args=cmd[1:],
            image_id=image_id,
            image_ref=image_ref,
            config=Config.from_dict(cfg),
            host_config=HostConfig.from_dict(host_config),
            mounts=mount_plan,
            endpoints_config=dict(networking.get("EndpointsConfig") or {}),
            resolv_conf_path=str(cdir / "resolv.conf"),
            hostname_path=str(cdir / "hostname"),
            hosts_path=str(cdir / "hosts"),
            log_path=str(cdir / "ctr.log"),
            graph_driver={
                "Name": "overlay2",
                "Data": {
                    "LowerDir": ":".join(str(p) for p in images.lowerdirs(image_id)),
                    "MergedDir": str(cdir / "merged"),
                    "UpperDir": str(cdir / "upper"),
                    "WorkDir": str(cdir / "work"),
                },
            },
        )
        rec.network.networks = networks.planned_networks(
            rec.host_config.network_mode, rec.endpoints_config
        )
        c = Container(rec)
        store.add(c)
    except BaseException:
        store.release_name(name)
        shutil.rmtree(cdir, ignore_errors=True)
        volumes.release(cid)
        raise
    return c


def _validate_links(store: ContainerStore, host_config: dict[str, Any]) -> None:
    for link in host_config.get("Links") or []:
        target = link.split(":", 1)[0].lstrip("/")
        try:
            store.get(target)
        except NotFound:
            raise InvalidParameter(
                f"could not get container for {target}: No such container: {target}"
            ) from None


def _plan_mounts(
    store: ContainerStore,
    config: ContainerConfig,
    volumes: VolumeService,
    cid: str,
    cfg: dict[str, Any],
    host_config: dict[str, Any],
    image_config: dict[str, Any],
) -> list[PlannedMount]:
    from .mounts import plan_mounts

    def volumes_from(ref: str) -> list[PlannedMount]:
        return list(store.get(ref).record.mounts)

    return plan_mounts(
        cfg,
        host_config,
        image_config.get("Volumes"),
        volumes,
        volumes_from,
        ref=cid,
        daemon_root=str(config.data_root),
    )
