"""Container inspect documents (the Engine API's JSON) -> application records.

What the image already says (entrypoint, cmd, env, workdir, user, labels, health check) is
left out, so the manifest carries only what `docker run` added; the image config comes from
GET /images/{id}/json. Pure: the caller fetches both documents.
"""

from __future__ import annotations

import re
from typing import Any

from . import names
from .probes import health_from_docker
from .spec import Application, Container, Mount, Port, Workload

_ANONYMOUS = re.compile(r"^[0-9a-f]{64}$")
_COMPOSE_PROJECT = "com.docker.compose.project"
_COMPOSE_SERVICE = "com.docker.compose.service"
_COMPOSE_DEPENDS = "com.docker.compose.depends_on"
_DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _env(config: dict[str, Any], image: dict[str, Any]) -> dict[str, str]:
    inherited = set(image.get("Env") or []) | {_DEFAULT_PATH}
    out = {}
    for item in config.get("Env") or []:
        if item in inherited:
            continue
        key, _, value = item.partition("=")
        out[key] = value
    return out


def _ports(doc: dict[str, Any]) -> list[Port]:
    config, hc = doc.get("Config") or {}, doc.get("HostConfig") or {}
    out: list[Port] = []
    seen = set()
    for spec, bindings in (hc.get("PortBindings") or {}).items():
        number, _, proto = spec.partition("/")
        for b in bindings or [{}]:
            host = (b or {}).get("HostPort") or ""
            out.append(
                Port(int(number), (proto or "tcp").upper(), int(host) if host.isdigit() else None)
            )
        seen.add(spec)
    for spec in config.get("ExposedPorts") or {}:
        if spec not in seen:
            number, _, proto = spec.partition("/")
            out.append(Port(int(number), (proto or "tcp").upper()))
    return out


def _mounts(doc: dict[str, Any]) -> list[Mount]:
    out = []
    tmpfs = (doc.get("HostConfig") or {}).get("Tmpfs") or {}
    for m in doc.get("Mounts") or []:
        kind, target = m.get("Type"), m.get("Destination", "")
        read_only = not m.get("RW", True)
        if kind == "volume":
            name = m.get("Name", "")
            anonymous = bool(_ANONYMOUS.match(name))
            out.append(Mount("anonymous" if anonymous else "volume", target, name, read_only))
        elif kind == "bind":
            out.append(Mount("bind", target, m.get("Source", ""), read_only))
        elif kind == "tmpfs" and target not in tmpfs:
            out.append(Mount("tmpfs", target, read_only=read_only))
    for target, options in tmpfs.items():
        size = None
        for opt in (options or "").split(","):
            key, _, value = opt.partition("=")
            if key == "size" and value.isdigit():
                size = int(value)
        out.append(Mount("tmpfs", target, size=size))
    return out


def container_record(doc: dict[str, Any], image: dict[str, Any], name: str) -> Container:
    config, hc = doc.get("Config") or {}, doc.get("HostConfig") or {}
    entrypoint, cmd = config.get("Entrypoint"), config.get("Cmd")
    command = args = None
    if entrypoint != image.get("Entrypoint"):
        # a new entrypoint drops the image's CMD (in Docker as in Kubernetes)
        command, args = list(entrypoint or []), list(cmd) if cmd else None
    elif cmd != image.get("Cmd"):
        args = list(cmd or [])
    health = config.get("Healthcheck")
    return Container(
        name=name,
        image=config.get("Image") or doc.get("Image", ""),
        command=command,
        args=args,
        env=_env(config, image),
        working_dir=config.get("WorkingDir", "")
        if config.get("WorkingDir") != image.get("WorkingDir")
        else "",
        user=config.get("User", "") if config.get("User") != image.get("User") else "",
        ports=_ports(doc),
        memory=hc.get("Memory") or 0,
        nano_cpus=hc.get("NanoCpus") or 0,
        cap_add=list(hc.get("CapAdd") or []),
        cap_drop=list(hc.get("CapDrop") or []),
        privileged=bool(hc.get("Privileged")),
        read_only=bool(hc.get("ReadonlyRootfs")),
        mounts=_mounts(doc),
        health=health_from_docker(health) if health != image.get("Healthcheck") else None,
        tty=bool(config.get("Tty")),
        stdin_open=bool(config.get("OpenStdin")),
    )


def _own_labels(config: dict[str, Any], image: dict[str, Any]) -> dict[str, str]:
    inherited = image.get("Labels") or {}
    return {
        k: v
        for k, v in (config.get("Labels") or {}).items()
        if inherited.get(k) != v and not k.startswith(("com.docker.", "io.dockyard."))
    }


def workload_from_container(doc: dict[str, Any], image: dict[str, Any]) -> Workload:
    """One container -> one workload (a Deployment by default)."""
    config, hc = doc.get("Config") or {}, doc.get("HostConfig") or {}
    labels = config.get("Labels") or {}
    name = names.dns_label(labels.get(_COMPOSE_SERVICE) or doc.get("Name", "").lstrip("/"))
    policy = hc.get("RestartPolicy") or {}
    restart = policy.get("Name") or ""
    stop = config.get("StopTimeout")
    depends = [d.split(":", 1)[0] for d in (labels.get(_COMPOSE_DEPENDS) or "").split(",") if d]
    return Workload(
        name=name,
        containers=[container_record(doc, image, name)],
        restart="" if restart == "no" else restart,
        max_retries=policy.get("MaximumRetryCount") or 0,
        stop_grace=stop if isinstance(stop, int) else None,
        labels=_own_labels(config, image),
        project=labels.get(_COMPOSE_PROJECT, ""),
        depends_on=depends,
    )


def workload_from_pod(
    pod: str, docs: list[dict[str, Any]], images: dict[str, dict[str, Any]]
) -> Workload:
    """The containers of a pod `kube play` made (infra container left out) -> one workload."""
    infra = [d for d in docs if (d["Config"].get("Labels") or {}).get(names.INFRA) == "true"]
    members = [d for d in docs if d not in infra]
    containers = []
    for d in members:
        label = (d["Config"].get("Labels") or {}).get(names.CONTAINER)
        cname = names.dns_label(label or d.get("Name", "").lstrip("/"))
        containers.append(container_record(d, images.get(d.get("Image", ""), {}), cname))
    if infra and containers:  # the pod's ports are published on the namespace holder
        containers[0].ports = _ports(infra[0]) + containers[0].ports
    first = members[0] if members else docs[0]
    w = workload_from_container(first, images.get(first.get("Image", ""), {}))
    w.name = names.dns_label(pod)
    w.containers = containers
    w.hostname = w.name
    return w


def application(docs: list[dict[str, Any]], images: dict[str, dict[str, Any]]) -> Application:
    """Containers (each its own workload) -> an application; `images` by image ID."""
    workloads = [workload_from_container(d, images.get(d.get("Image", ""), {})) for d in docs]
    return Application(workloads=workloads)
