"""The merged document to a Project with Compose v2's defaults and checks: absolute paths,
env files folded into `environment`, links/network_mode/volumes_from as dependencies,
the default network, resource names, profiles, and the errors Compose reports."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from . import dotenv
from .errors import ComposeError, invalid_project
from .graph import check_cycles
from .paths import resolve_file_resources, resolve_service_paths
from .project import EnvFile, Project

_RESOURCES = ("networks", "volumes", "secrets", "configs")


def project(
    doc: dict[str, Any],
    name: str,
    project_dir: str,
    env: Mapping[str, str],
    profiles: list[str],
    config_files: list[str],
) -> Project:
    services: dict[str, dict[str, Any]] = {}
    disabled: dict[str, dict[str, Any]] = {}
    env_files: dict[str, list[EnvFile]] = {}
    for svc_name, svc in (doc.get("services") or {}).items():
        svc = resolve_service_paths(svc, project_dir, env)
        svc, files = _service(svc_name, svc, env)
        if files:
            env_files[svc_name] = files
        active = not svc.get("profiles") or "*" in profiles or set(svc["profiles"]) & set(profiles)
        (services if active else disabled)[svc_name] = svc
    _check_dependencies(services)
    check_cycles({n: list(s.get("depends_on", {})) for n, s in services.items()})
    resources = {kind: dict(doc.get(kind) or {}) for kind in _RESOURCES}
    if any("default" in (s.get("networks") or {}) for s in services.values()):
        resources["networks"].setdefault("default", {})
    for kind in ("secrets", "configs"):
        resources[kind] = resolve_file_resources(resources[kind], project_dir, env)
    used = _used_resources(services)
    for kind in _RESOURCES:
        resources[kind] = {
            key: _named(name, key, res)
            for key, res in sorted(resources[kind].items())
            if key in used[kind]
        }
    _check_references(services, resources)
    extensions = {k: v for k, v in doc.items() if k.startswith("x-")}
    return Project(
        name=name,
        working_dir=project_dir,
        services=dict(sorted(services.items())),
        networks=resources["networks"],
        volumes=resources["volumes"],
        secrets=resources["secrets"],
        configs=resources["configs"],
        extensions=extensions,
        disabled=disabled,
        config_files=config_files,
        environment=dict(env),
        profiles=profiles,
        env_files={n: f for n, f in env_files.items() if n in services},
    )


def _service(
    name: str, svc: dict[str, Any], env: Mapping[str, str]
) -> tuple[dict[str, Any], list[EnvFile]]:
    """The normalized service, and the env files folded into its `environment`."""
    svc = dict(svc)
    svc.pop("extends", None)
    if not svc.get("image") and not svc.get("build") and not svc.get("provider"):
        raise invalid_project(
            f'service "{name}" has neither an image nor a build context specified'
        )
    files: list[EnvFile] = []
    if "env_file" in svc:
        environment: dict[str, str | None] = {}
        for item in svc.pop("env_file"):
            path = item["path"]
            if not os.path.exists(path):
                if item.get("required", True):
                    raise ComposeError(
                        f"env file {path} not found: stat {path}: no such file or directory"
                    )
                continue
            try:
                values = dotenv.read_files([path], env)
            except dotenv.DotenvError as exc:
                raise ComposeError(str(exc)) from None
            files.append(EnvFile(path, values))
            environment.update(values)
        environment.update(svc.get("environment") or {})
        if environment:
            svc["environment"] = environment
    if svc.get("environment"):
        svc["environment"] = {
            k: (env.get(k) if v is None else v) for k, v in svc["environment"].items()
        }
    if isinstance(svc.get("build"), dict):
        build = svc["build"]
        if not build.get("dockerfile") and not build.get("dockerfile_inline"):
            build["dockerfile"] = "Dockerfile"
        if "args" in build:
            args = {k: (env.get(k) if v is None else v) for k, v in build["args"].items()}
            build["args"] = {k: v for k, v in args.items() if v is not None}
            if not build["args"]:
                del build["args"]
        svc["build"] = _ordered_build(build)
    depends = dict(svc.get("depends_on") or {})
    implied = [link.split(":")[0] for link in svc.get("links") or []]
    mode = svc.get("network_mode") or ""
    if mode.startswith("service:"):
        implied.append(mode[len("service:") :])
    for source in svc.get("volumes_from") or []:
        if not source.startswith("container:"):
            implied.append(source.split(":")[0])
    for dep in implied:
        depends.setdefault(dep, {"condition": "service_started", "restart": True, "required": True})
    if depends:
        svc["depends_on"] = depends
    if not mode and not svc.get("networks"):
        svc["networks"] = {"default": None}
    return svc, files


def _ordered_build(build: dict[str, Any]) -> dict[str, Any]:
    first = {k: build[k] for k in ("context", "dockerfile") if k in build}
    return {**first, **{k: v for k, v in build.items() if k not in first}}


def _check_dependencies(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        for dep, spec in (svc.get("depends_on") or {}).items():
            if dep in services or not spec.get("required", True):
                continue
            raise invalid_project(f'service "{name}" depends on undefined service "{dep}"')
        for dep in list(svc.get("depends_on") or {}):
            if dep not in services:
                del svc["depends_on"][dep]


def _used_resources(services: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {kind: set() for kind in _RESOURCES}
    for svc in services.values():
        used["networks"].update(svc.get("networks") or {})
        for vol in svc.get("volumes") or []:
            if vol.get("type") == "volume" and vol.get("source"):
                used["volumes"].add(vol["source"])
        for kind in ("secrets", "configs"):
            used[kind].update(item["source"] for item in svc.get(kind) or [])
    return used


def _named(project: str, key: str, res: dict[str, Any]) -> dict[str, Any]:
    res = dict(res)
    if res.get("name"):
        return {"name": res.pop("name"), **res}
    if res.get("external"):
        return {"name": key, **res}
    return {"name": f"{project}_{key}", **res}


def _check_references(services: dict[str, dict[str, Any]], resources: dict[str, dict]) -> None:
    for name, svc in services.items():
        for net in svc.get("networks") or {}:
            if net not in resources["networks"]:
                raise ComposeError(
                    f"service {name!r} refers to undefined network {net}: invalid compose project"
                )
        for vol in svc.get("volumes") or []:
            src = vol.get("source")
            if vol.get("type") == "volume" and src and src not in resources["volumes"]:
                raise ComposeError(
                    f'service "{name}" refers to undefined volume {src}: invalid compose project'
                )
        for kind in ("secrets", "configs"):
            for item in svc.get(kind) or []:
                if item["source"] not in resources[kind]:
                    raise ComposeError(
                        f'service "{name}" refers to undefined {kind[:-1]} {item["source"]}: '
                        "invalid compose project"
                    )
