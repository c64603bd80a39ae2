"""Pods as `kube play` made them: the containers sharing one `io.dockyard.kube.pod` label,
one of them the infra container holding the namespaces."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..client.api import APIError
from . import names

if TYPE_CHECKING:
    from ..client.engine import Engine


@dataclass
class Pod:
    name: str
    infra: dict[str, Any] | None = None  # the container summary (GET /containers/json)
    members: list[dict[str, Any]] = field(default_factory=list)

    @property
    def owner(self) -> str:
        return _labels(self.infra or (self.members or [{}])[0]).get(names.OWNER, "")

    @property
    def status(self) -> str:
        """Podman's words: Running, Exited, Created, or Degraded when they differ."""
        states = {c.get("State") for c in self.members} or {(self.infra or {}).get("State")}
        if states == {"running"}:
            return "Running"
        if states <= {"exited", "dead"}:
            return "Exited"
        if states == {"created"}:
            return "Created"
        return "Degraded"

    @property
    def created(self) -> int:
        return int((self.infra or (self.members or [{}])[0]).get("Created") or 0)


def _labels(summary: dict[str, Any]) -> dict[str, str]:
    return summary.get("Labels") or {}


def list_pods(engine: Engine) -> list[Pod]:
    pods: dict[str, Pod] = {}
    for c in engine.containers.list(all=True, filters={"label": [names.POD]}):
        name = _labels(c).get(names.POD, "")
        pod = pods.setdefault(name, Pod(name))
        if _labels(c).get(names.INFRA) == "true":
            pod.infra = c
        else:
            pod.members.append(c)
    for pod in pods.values():
        pod.members.sort(key=lambda c: c.get("Names", [""])[0])
    return sorted(pods.values(), key=lambda p: p.name)


def find(engine: Engine, name: str) -> Pod:
    for pod in list_pods(engine):
        if pod.name == name:
            return pod
    raise APIError(404, f"no such pod: {name}")


def inspect(engine: Engine, pod: Pod) -> dict[str, Any]:
    infra = engine.containers.inspect(pod.infra["Id"]) if pod.infra else {}
    return {
        "Name": pod.name,
        "Owner": pod.owner,
        "State": pod.status,
        "Hostname": (infra.get("Config") or {}).get("Hostname", ""),
        "InfraContainerID": infra.get("Id", ""),
        "Labels": {
            k: v
            for k, v in ((infra.get("Config") or {}).get("Labels") or {}).items()
            if not k.startswith("io.dockyard.kube.")
        },
        "Networks": sorted((infra.get("NetworkSettings") or {}).get("Networks") or {}),
        "Ports": (infra.get("HostConfig") or {}).get("PortBindings") or {},
        "Containers": [
            {
                "Id": c["Id"],
                "Name": c.get("Names", ["/"])[0].lstrip("/"),
                "State": c.get("State", ""),
            }
            for c in ([pod.infra] if pod.infra else []) + pod.members
        ],
    }


def remove(engine: Engine, pod: Pod, force: bool) -> None:
    running = [c for c in pod.members if c.get("State") == "running"]
    if running and not force:
        raise APIError(
            409,
            f"pod {pod.name} has running containers; stop them or use --force to remove",
        )
    for c in [*pod.members, *([pod.infra] if pod.infra else [])]:
        engine.containers.remove(c["Id"], force=True, volumes=True)
    volumes = engine.volumes.list(filters={"label": [names.POD]}).get("Volumes") or []
    for v in volumes:  # the pod's emptyDir volumes
        if (v.get("Labels") or {}).get(names.POD) == pod.name:
            engine.volumes.remove(v["Name"], force=True)


def container_name(summary: dict[str, Any]) -> str:
    """The container's name inside its pod (the manifest's name)."""
    return _labels(summary).get(names.CONTAINER) or summary.get("Names", ["/"])[0].lstrip("/")
