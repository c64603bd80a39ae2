"""A loaded compose project (compose/loader's Project, in canonical long form) ->
application records.

Pure: the project is read by the compose loader; secret and config files are read here
through `read_file` so tests can hand their contents in.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Protocol

from ..common.ports import parse_expose
from ..common.timefmt import parse_go_duration
from . import names
from .spec import Application, ConfigData, Container, Health, Mount, Port, Workload


class EnvFileLike(Protocol):
    path: str
    values: dict[str, str]


class ProjectLike(Protocol):
    name: str
    services: dict[str, dict[str, Any]]
    secrets: dict[str, dict[str, Any]]
    configs: dict[str, dict[str, Any]]
    environment: dict[str, str]
    env_files: dict[str, list[EnvFileLike]]  # service -> its env files, in order


def _seconds(value: Any, default: float) -> float:
    if value is None:
        return default
    return parse_go_duration(str(value)) / 1_000_000_000


def _health(svc: dict[str, Any]) -> Health | None:
    check = svc.get("healthcheck") or {}
    test = check.get("test")
    if not test or check.get("disable") or test[0] == "NONE":
        return None
    return Health(
        test=list(test),
        interval=_seconds(check.get("interval"), 30.0),
        timeout=_seconds(check.get("timeout"), 30.0),
        retries=int(check.get("retries") or 3),
        start_period=_seconds(check.get("start_period"), 0.0),
    )


def _ports(svc: dict[str, Any]) -> list[Port]:
    out = []
    for p in svc.get("ports") or []:
        published = str(p.get("published") or "")
        host = int(published) if published.isdigit() else None
        out.append(Port(int(p["target"]), str(p.get("protocol") or "tcp").upper(), host))
    for spec in parse_expose([str(e) for e in svc.get("expose") or []]):
        number, _, proto = spec.partition("/")
        out.append(Port(int(number), proto.upper()))
    return out


def _mounts(svc: dict[str, Any], project: ProjectLike) -> list[Mount]:
    out = []
    for v in svc.get("volumes") or []:
        kind, target, ro = v.get("type", "volume"), v["target"], bool(v.get("read_only"))
        if kind == "volume":
            source = v.get("source") or ""
            out.append(Mount("volume" if source else "anonymous", target, source, ro))
        elif kind == "bind":
            out.append(Mount("bind", target, v.get("source", ""), ro))
        elif kind == "tmpfs":
            size = (v.get("tmpfs") or {}).get("size")
            out.append(Mount("tmpfs", target, size=int(size) if size else None))
    for path in svc.get("tmpfs") or []:
        out.append(Mount("tmpfs", path.split(":", 1)[0]))
    for kind, default_dir in (("secrets", "/run/secrets"), ("configs", "")):
        for obj in svc.get(kind) or []:
            source = obj["source"]
            target = obj.get("target") or f"{default_dir}/{source}"
            name = names.dns_label(f"{project.name}-{source}")
            out.append(Mount(kind[:-1], target, name, read_only=True, sub_path=source))
    return out


def _restart(svc: dict[str, Any]) -> tuple[str, int]:
    policy = str(svc.get("restart") or "")
    name, _, count = policy.partition(":")
    return name, int(count) if count.isdigit() else 0


def _resources(svc: dict[str, Any]) -> tuple[int, int]:
    limits = ((svc.get("deploy") or {}).get("resources") or {}).get("limits") or {}
    memory = int(limits.get("memory") or svc.get("mem_limit") or 0)
    cpus = float(limits.get("cpus") or svc.get("cpus") or 0)
    return memory, int(cpus * 1_000_000_000)


def _image(name: str, svc: dict[str, Any], project: ProjectLike, warnings: list[str]) -> str:
    if svc.get("image"):
        return str(svc["image"])
    warnings.append(
        f"{name}: built locally as {project.name}-{name}; a cluster pulls it only from a "
        "registry (--registry)"
    )
    return f"{project.name}-{name}"


def _env(
    name: str, svc: dict[str, Any], project: ProjectLike, maps: dict[str, str]
) -> tuple[dict[str, str], list[str]]:
    """`env` entries and `envFrom` ConfigMaps: what the service's env files gave (the loader
    folded them into `environment`) comes from their ConfigMaps, in the files' order as
    Kubernetes lets the last source win; `env` keeps the rest, and wins over envFrom as
    `environment` wins over env_file."""
    files = project.env_files.get(name, [])
    from_files: dict[str, str] = {}
    for f in files:
        from_files.update(f.values)
    env = {
        k: str(v)
        for k, v in (svc.get("environment") or {}).items()
        if v is not None and from_files.get(k) != v
    }
    return env, [maps[f.path] for f in files]


def _env_file_maps(project: ProjectLike, taken: set[str]) -> dict[str, str]:
    """Each env file's ConfigMap name (one per file, shared by the services reading it)."""
    out: dict[str, str] = {}
    for files in project.env_files.values():
        for f in files:
            if f.path in out:
                continue
            stem = os.path.basename(f.path).removesuffix(".env").lstrip(".")
            base = names.dns_label(f"{project.name}-{stem}-env" if stem else f"{project.name}-env")
            name, n = base, 1
            while name in taken:
                n += 1
                name = f"{base[:60]}-{n}"
            taken.add(name)
            out[f.path] = name
    return out


def workload(
    name: str,
    svc: dict[str, Any],
    project: ProjectLike,
    warnings: list[str],
    env_maps: dict[str, str] | None = None,
) -> Workload:
    memory, nano_cpus = _resources(svc)
    env, env_from = _env(name, svc, project, env_maps or {})
    kube_name = names.dns_label(name)
    container = Container(
        name=kube_name,
        image=_image(name, svc, project, warnings),
        command=list(svc["entrypoint"]) if svc.get("entrypoint") is not None else None,
        args=list(svc["command"]) if svc.get("command") is not None else None,
        env=env,
        env_from=env_from,
        working_dir=svc.get("working_dir") or "",
        user=str(svc.get("user") or ""),
        ports=_ports(svc),
        memory=memory,
        nano_cpus=nano_cpus,
        cap_add=list(svc.get("cap_add") or []),
        cap_drop=list(svc.get("cap_drop") or []),
        privileged=bool(svc.get("privileged")),
        read_only=bool(svc.get("read_only")),
        mounts=_mounts(svc, project),
        health=_health(svc),
        tty=bool(svc.get("tty")),
        stdin_open=bool(svc.get("stdin_open")),
    )
    restart, retries = _restart(svc)
    replicas = (svc.get("deploy") or {}).get("replicas")
    if replicas is None:
        replicas = svc.get("scale", 1)
    grace = svc.get("stop_grace_period")
    return Workload(
        name=kube_name,
        containers=[container],
        restart=restart,
        max_retries=retries,
        replicas=int(replicas),
        stop_grace=round(_seconds(grace, 0)) if grace is not None else None,
        labels={str(k): str(v) for k, v in (svc.get("labels") or {}).items()},
        project=project.name,
        depends_on=list(svc.get("depends_on") or {}),
        hostname=str(svc.get("hostname") or ""),
    )


def _file_data(
    key: str, obj: dict[str, Any], project: ProjectLike, read_file: Callable[[str], str]
) -> str | None:
    if "content" in obj:
        return str(obj["content"])
    if obj.get("file"):
        return read_file(obj["file"])
    if obj.get("environment"):
        return project.environment.get(obj["environment"], "")
    return None  # external: the cluster has it already


def application(project: ProjectLike, read_file: Callable[[str], str] | None = None) -> Application:
    """Every service a workload; compose secrets become Secrets, configs and env files
    ConfigMaps."""
    reader = read_file or _read_text
    warnings: list[str] = []
    configs = []
    for kind, secret in (("secrets", True), ("configs", False)):
        for key, obj in getattr(project, kind).items():
            data = _file_data(key, obj, project, reader)
            if data is None:
                warnings.append(f"{kind} {key}: external; the cluster must provide it")
                continue
            name = names.dns_label(f"{project.name}-{key}")
            configs.append(ConfigData(name, {key: data}, secret=secret))
    env_maps = _env_file_maps(project, {c.name for c in configs})
    values = {f.path: f.values for files in project.env_files.values() for f in files}
    configs += [ConfigData(name, dict(values[path])) for path, name in env_maps.items()]
    workloads = [workload(n, s, project, warnings, env_maps) for n, s in project.services.items()]
    return Application(workloads=workloads, configs=configs, warnings=warnings)


def _read_text(path: str) -> str:
    with open(os.path.expanduser(path)) as f:
        return f.read()
