"""The project as `docker compose config` prints it: Compose v2's key order (its model's field
order; mappings sorted by key; `x-` extensions last), `$` written as `$$` so the output reads
back unchanged, YAML or JSON."""

from __future__ import annotations

import json
from typing import Any

from .project import Project

_ORDER: dict[str, list[str]] = {
    "service": (
        "profiles annotations attach build develop blkio_config cap_add cap_drop cgroup_parent "
        "cgroup cpu_count cpu_percent cpu_period cpu_quota cpu_rt_period cpu_rt_runtime cpus "
        "cpuset cpu_shares command configs container_name credential_spec depends_on deploy "
        "device_cgroup_rules devices dns dns_opt dns_search dockerfile domainname entrypoint "
        "provider environment env_file expose extends external_links extra_hosts group_add gpus "
        "hostname healthcheck image init ipc isolation labels label_file links logging "
        "log_driver log_opt mem_limit mem_reservation memswap_limit mem_swappiness mac_address "
        "models net network_mode networks oom_kill_disable oom_score_adj pid pids_limit "
        "platform ports privileged pull_policy read_only restart runtime scale secrets "
        "security_opt shm_size stdin_open stop_grace_period stop_signal storage_opt sysctls "
        "tmpfs tty ulimits use_api_socket user userns_mode uts volume_driver volumes "
        "volumes_from working_dir pre_start post_start pre_stop"
    ).split(),
    "build": (
        "context dockerfile dockerfile_inline entitlements args provenance sbom ssh labels "
        "cache_from cache_to no_cache no_cache_filter additional_contexts pull extra_hosts "
        "isolation network target secrets shm_size tags ulimits platforms privileged"
    ).split(),
    "deploy": (
        "mode replicas labels update_config rollback_config resources restart_policy "
        "placement endpoint_mode"
    ).split(),
    "resources": ["limits", "reservations"],
    "resource": ["cpus", "memory", "pids", "devices", "generic_resources"],
    "healthcheck": "test timeout interval retries start_period start_interval disable".split(),
    "port": "name mode host_ip target published protocol app_protocol".split(),
    "volume_mount": "type source target read_only consistency bind volume tmpfs image".split(),
    "bind": ["selinux", "propagation", "create_host_path", "recursive"],
    "volume_opts": ["labels", "nocopy", "subpath"],
    "tmpfs": ["size", "mode"],
    "dependency": ["condition", "restart", "required"],
    "service_network": (
        "aliases driver_opts gw_priority interface_name ipv4_address ipv6_address "
        "link_local_ips mac_address priority"
    ).split(),
    "file_ref": ["source", "target", "uid", "gid", "mode"],
    "device": ["source", "target", "permissions"],
    "ulimit": ["single", "soft", "hard"],
    "logging": ["driver", "options"],
    "extends": ["file", "service"],
    "network": (
        "name driver driver_opts ipam external internal attachable labels enable_ipv4 enable_ipv6"
    ).split(),
    "ipam": ["driver", "config", "options"],
    "ipam_pool": ["subnet", "gateway", "ip_range", "aux_addresses"],
    "volume": ["name", "driver", "driver_opts", "external", "labels"],
    "file_object": (
        "name file environment content external labels driver driver_opts template_driver"
    ).split(),
    "restart_policy": ["condition", "delay", "max_attempts", "window"],
}

# (struct, key) -> how the child is shaped: "name" a struct, "{name}" a mapping of them,
# "[name]" a list of them, "{}" a mapping of plain values.
_CHILDREN: dict[tuple[str, str], str] = {
    ("service", "build"): "build",
    ("service", "deploy"): "deploy",
    ("service", "healthcheck"): "healthcheck",
    ("service", "ports"): "[port]",
    ("service", "volumes"): "[volume_mount]",
    ("service", "depends_on"): "{dependency}",
    ("service", "networks"): "{service_network}",
    ("service", "secrets"): "[file_ref]",
    ("service", "configs"): "[file_ref]",
    ("service", "devices"): "[device]",
    ("service", "ulimits"): "{ulimit}",
    ("service", "logging"): "logging",
    ("service", "extends"): "extends",
    ("service", "environment"): "{}",
    ("service", "labels"): "{}",
    ("service", "annotations"): "{}",
    ("service", "sysctls"): "{}",
    ("service", "storage_opt"): "{}",
    ("build", "args"): "{}",
    ("build", "labels"): "{}",
    ("build", "ulimits"): "{ulimit}",
    ("deploy", "resources"): "resources",
    ("deploy", "labels"): "{}",
    ("deploy", "restart_policy"): "restart_policy",
    ("resources", "limits"): "resource",
    ("resources", "reservations"): "resource",
    ("volume_mount", "bind"): "bind",
    ("volume_mount", "volume"): "volume_opts",
    ("volume_mount", "tmpfs"): "tmpfs",
    ("logging", "options"): "{}",
    ("network", "ipam"): "ipam",
    ("network", "driver_opts"): "{}",
    ("network", "labels"): "{}",
    ("ipam", "config"): "[ipam_pool]",
    ("volume", "driver_opts"): "{}",
    ("volume", "labels"): "{}",
    ("file_object", "labels"): "{}",
}


def _shape(value: Any, kind: str) -> Any:
    if kind == "{}":
        return dict(sorted(value.items())) if isinstance(value, dict) else value
    if kind.startswith("{"):
        inner = kind[1:-1]
        if not isinstance(value, dict):
            return value
        return {k: _shape(v, inner) for k, v in sorted(value.items())}
    if kind.startswith("["):
        inner = kind[1:-1]
        return [_shape(v, inner) for v in value] if isinstance(value, list) else value
    if not isinstance(value, dict):
        return value
    order = _ORDER[kind]
    known = [k for k in order if k in value]
    rest = sorted(k for k in value if k not in order)
    out = {}
    for k in known + rest:
        if (kind, k) in _CHILDREN:
            out[k] = _shape(value[k], _CHILDREN[(kind, k)])
        else:
            out[k] = _sorted_maps(value[k]) if k.startswith("x-") else value[k]
    return out


def _sorted_maps(value: Any) -> Any:
    """Extension values are free-form: every mapping sorted, as Go prints a map."""
    if isinstance(value, dict):
        return {k: _sorted_maps(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_sorted_maps(v) for v in value]
    return value


def raw_model_yaml(doc: dict[str, Any]) -> str:
    from . import yamlio  # PyYAML's emitter: only when YAML is printed

    return yamlio.dump(_sorted_maps(doc))


def raw_model_json(doc: dict[str, Any]) -> str:
    return json.dumps(_sorted_maps(doc), indent=2, ensure_ascii=False)


def _escape(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {k: _escape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escape(v) for v in value]
    return value


def model(project: Project, escape: bool = True) -> dict[str, Any]:
    """The ordered document `config` prints."""
    doc: dict[str, Any] = {"name": project.name}
    doc["services"] = {n: _shape(s, "service") for n, s in sorted(project.services.items())}
    for kind, shape in (
        ("networks", "{network}"),
        ("volumes", "{volume}"),
        ("secrets", "{file_object}"),
        ("configs", "{file_object}"),
    ):
        resources = getattr(project, kind)
        if resources:
            doc[kind] = _shape(resources, shape)
    doc.update(_sorted_maps(dict(sorted(project.extensions.items()))))
    return _escape(doc) if escape else doc


def to_yaml(project: Project, escape: bool = True) -> str:
    from . import yamlio

    return yamlio.dump(model(project, escape))


def service_json(svc: dict[str, Any]) -> dict[str, Any]:
    """A service as Go's json.Marshal writes Compose's model: struct order, command and
    entrypoint always present, zero structs inside deploy, no extensions."""
    svc = _shape(svc, "service")
    if "deploy" in svc:
        svc["deploy"] = _shape({"resources": {}, "placement": {}, **svc["deploy"]}, "deploy")
    svc.setdefault("command", None)
    svc.setdefault("entrypoint", None)
    return {k: svc[k] for k in _ORDER["service"] if k in svc}


def to_json(project: Project, escape: bool = True) -> str:
    doc = model(project, escape)
    doc["services"] = {name: service_json(svc) for name, svc in doc["services"].items()}
    if doc.get("networks"):
        doc["networks"] = {
            k: _shape({"ipam": {}, **v}, "network") for k, v in doc["networks"].items()
        }
    return json.dumps(dict(sorted(doc.items())), indent=2, ensure_ascii=False)
