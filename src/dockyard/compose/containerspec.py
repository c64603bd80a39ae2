"""A service to the body of POST /containers/create, as Docker Compose v2 builds it: names,
labels, mounts, ports, networks, limits. Pure: what it needs from the daemon (the image ID,
the container a `service:x` reference points at) comes in as arguments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..common import apishapes as shapes
from . import labels as L
from .confighash import config_hash
from .errors import ComposeError
from .project import Project
from .units import parse_duration

ServiceContainer = Callable[[str], str]  # service name -> a container of it (name or ID)


class Overrides:
    """What `run` changes in a service's container."""

    def __init__(
        self,
        command: list[str] | None = None,
        entrypoint: list[str] | None = None,
        environment: dict[str, str | None] | None = None,
        ports: list[dict[str, Any]] | None = None,
        volumes: list[dict[str, Any]] | None = None,
        user: str | None = None,
        workdir: str | None = None,
        tty: bool | None = None,
        stdin_open: bool | None = None,
        labels: dict[str, str] | None = None,
    ) -> None:
        self.command = command
        self.entrypoint = entrypoint
        self.environment = environment if environment is not None else {}
        self.ports = ports
        self.volumes = volumes if volumes is not None else []
        self.user = user
        self.workdir = workdir
        self.tty = tty
        self.stdin_open = stdin_open
        self.labels = labels if labels is not None else {}


def container_name(project: Project, service: str, number: int) -> str:
    svc = project.services.get(service) or {}
    return svc.get("container_name") or f"{project.name}-{service}-{number}"


def compose_labels(
    project: Project, service: str, number: int, oneoff: bool, image_id: str
) -> dict[str, str]:
    svc = project.services[service]
    deps = ",".join(
        f"{dep}:{spec.get('condition', 'service_started')}:{str(bool(spec.get('restart'))).lower()}"
        for dep, spec in (svc.get("depends_on") or {}).items()
    )
    out = {
        L.CONFIG_HASH: config_hash(svc),
        L.CONTAINER_NUMBER: str(number),
        L.DEPENDS_ON: deps,
        L.IMAGE: image_id,
        L.ONEOFF: "True" if oneoff else "False",
        L.PROJECT: project.name,
        L.CONFIG_FILES: ",".join(project.config_files),
        L.WORKING_DIR: project.working_dir,
        L.SERVICE: service,
        L.VERSION: L.COMPOSE_VERSION,
    }
    env_file = f"{project.working_dir}/.env"
    out[L.ENVIRONMENT_FILE] = env_file
    return out


def _ns(value: str | None) -> int:
    return parse_duration(value) if value else 0


def healthcheck(check: dict[str, Any] | None) -> dict[str, Any] | None:
    if not check:
        return None
    if check.get("disable"):
        return {"Test": ["NONE"]}
    out: dict[str, Any] = {}
    if check.get("test"):
        out["Test"] = check["test"]
    for key, api in (
        ("interval", "Interval"),
        ("timeout", "Timeout"),
        ("start_period", "StartPeriod"),
        ("start_interval", "StartInterval"),
    ):
        if check.get(key):
            out[api] = _ns(check[key])
    if check.get("retries") is not None:
        out["Retries"] = int(check["retries"])
    return out


def restart_policy(svc: dict[str, Any]) -> dict[str, Any]:
    text = svc.get("restart")
    if not text:
        policy = ((svc.get("deploy") or {}).get("restart_policy")) or {}
        condition = {"any": "always", "none": "no", "on-failure": "on-failure"}.get(
            policy.get("condition", ""), "no"
        )
        return {"Name": condition, "MaximumRetryCount": int(policy.get("max_attempts") or 0)}
    name, _, count = text.partition(":")
    return {"Name": name, "MaximumRetryCount": int(count or 0)}


def _ports(ports: list[dict[str, Any]], expose: list[str]) -> tuple[dict, dict]:
    exposed: dict[str, dict] = {}
    bindings: dict[str, list[dict[str, str]]] = {}
    for port in ports:
        key = f"{port['target']}/{port.get('protocol', 'tcp')}"
        exposed[key] = {}
        bindings.setdefault(key, []).append(
            {"HostIp": port.get("host_ip", ""), "HostPort": str(port.get("published", ""))}
        )
    for item in expose:
        number, _, proto = item.partition("/")
        start, _, end = number.partition("-")
        for p in range(int(start), int(end or start) + 1):
            exposed[f"{p}/{proto or 'tcp'}"] = {}
    return exposed, bindings


def _mounts(
    project: Project, svc: dict[str, Any], anonymous: dict[str, str]
) -> tuple[list[str], list[dict[str, Any]]]:
    binds: list[str] = []
    mounts: list[dict[str, Any]] = []
    for vol in svc.get("volumes") or []:
        kind, target = vol.get("type"), vol["target"]
        ro = bool(vol.get("read_only"))
        if kind == "bind":
            opts = ["ro"] if ro else []
            bind = vol.get("bind") or {}
            opts += [bind[k] for k in ("selinux", "propagation") if bind.get(k)]
            binds.append(f"{vol['source']}:{target}" + (f":{','.join(opts)}" if opts else ""))
        elif kind == "volume":
            source = vol.get("source")
            name = project.volumes[source]["name"] if source else anonymous.get(target, "")
            mount: dict[str, Any] = {"Type": "volume", "Source": name, "Target": target}
            if ro:
                mount["ReadOnly"] = True
            if (vol.get("volume") or {}).get("nocopy"):
                mount["VolumeOptions"] = {"NoCopy": True}
            mounts.append(mount)
        elif kind == "tmpfs":
            mount = {"Type": "tmpfs", "Target": target}
            tmpfs = vol.get("tmpfs") or {}
            opts = {}
            if tmpfs.get("size"):
                opts["SizeBytes"] = int(tmpfs["size"])
            if tmpfs.get("mode"):
                opts["Mode"] = int(tmpfs["mode"])
            if opts:
                mount["TmpfsOptions"] = opts
            mounts.append(mount)
        else:
            raise ComposeError(f"unsupported volume type {kind!r} for {target}")
    for kind, default_dir in (("secrets", "/run/secrets"), ("configs", "")):
        for ref in svc.get(kind) or []:
            res = getattr(project, kind)[ref["source"]]
            if not res.get("file"):
                raise ComposeError(
                    f"{kind[:-1]} {ref['source']!r}: only file-based {kind} are supported"
                )
            target = ref.get("target") or f"{default_dir}/{ref['source']}"
            binds.append(f"{res['file']}:{target}:ro")
    return binds, mounts


def _resolve_mode(value: str, container_of: ServiceContainer) -> str:
    if value.startswith("service:"):
        return f"container:{container_of(value[len('service:') :])}"
    return value


def _volumes_from(items: list[str], container_of: ServiceContainer) -> list[str] | None:
    out = []
    for item in items:
        if item.startswith("container:"):
            out.append(item[len("container:") :])
            continue
        name, sep, mode = item.partition(":")
        out.append(container_of(name) + (f":{mode}" if sep else ""))
    return out or None


def network_order(svc: dict[str, Any]) -> list[str]:
    """The service's networks, the primary (highest priority, then name) first."""
    nets = svc.get("networks") or {}
    return sorted(nets, key=lambda n: (-int((nets[n] or {}).get("priority", 0)), n))


def endpoint(project: Project, service: str, net: str, links: list[str]) -> dict[str, Any]:
    cfg = (project.services[service].get("networks") or {}).get(net) or {}
    fields: dict[str, Any] = {"Aliases": [service, *(cfg.get("aliases") or [])]}
    ipam = {}
    if cfg.get("ipv4_address"):
        ipam["IPv4Address"] = cfg["ipv4_address"]
    if cfg.get("ipv6_address"):
        ipam["IPv6Address"] = cfg["ipv6_address"]
    if ipam:
        fields["IPAMConfig"] = ipam
    if links:
        fields["Links"] = links
    if cfg.get("mac_address"):
        fields["MacAddress"] = cfg["mac_address"]
    return shapes.endpoint_settings(**fields)


def links(project: Project, svc: dict[str, Any], container_of: ServiceContainer) -> list[str]:
    out = []
    for link in svc.get("links") or []:
        target, _, alias = link.partition(":")
        name = container_of(target)
        out.append(f"{name}:{alias or target}")
    out += list(svc.get("external_links") or [])
    return out


def create_body(
    project: Project,
    service: str,
    number: int,
    image_id: str,
    container_of: ServiceContainer,
    oneoff: bool = False,
    anonymous: dict[str, str] | None = None,
    overrides: Overrides | None = None,
) -> dict[str, Any]:
    """The create body; the primary network only (the others are connected before start)."""
    svc = dict(project.services[service])
    o = overrides or Overrides()
    if o.ports is not None:
        svc["ports"] = o.ports
    if o.volumes:
        svc["volumes"] = [*(svc.get("volumes") or []), *o.volumes]
    env = {**(svc.get("environment") or {}), **o.environment}
    exposed, bindings = _ports(svc.get("ports") or [], svc.get("expose") or [])
    binds, mounts = _mounts(project, svc, anonymous or {})
    deploy = svc.get("deploy") or {}
    limits = (deploy.get("resources") or {}).get("limits") or {}
    reservations = (deploy.get("resources") or {}).get("reservations") or {}
    mode = svc.get("network_mode") or ""
    nets = network_order(svc)
    link_list = links(project, svc, container_of)
    if mode:
        network_mode = _resolve_mode(mode, container_of)
        endpoints: dict[str, Any] = {}
    else:
        primary = project.networks[nets[0]]["name"]
        network_mode = primary
        endpoints = {primary: endpoint(project, service, nets[0], [])}
    host_fields: dict[str, Any] = {
        "Binds": binds or None,
        "NetworkMode": network_mode,
        "PortBindings": bindings,
        "RestartPolicy": restart_policy(svc),
        "VolumesFrom": _volumes_from(svc.get("volumes_from") or [], container_of),
        "CapAdd": svc.get("cap_add"),
        "CapDrop": svc.get("cap_drop"),
        "Dns": svc.get("dns") or [],
        "DnsOptions": svc.get("dns_opt") or [],
        "DnsSearch": svc.get("dns_search") or [],
        "ExtraHosts": [h.replace("=", ":", 1) for h in svc.get("extra_hosts") or []] or None,
        "GroupAdd": svc.get("group_add"),
        "IpcMode": _resolve_mode(svc.get("ipc") or "", container_of),
        "PidMode": _resolve_mode(svc.get("pid") or "", container_of),
        "Links": link_list or None,
        "OomScoreAdj": int(svc.get("oom_score_adj") or 0),
        "Privileged": bool(svc.get("privileged")),
        "ReadonlyRootfs": bool(svc.get("read_only")),
        "SecurityOpt": svc.get("security_opt"),
        "ShmSize": int(svc.get("shm_size") or 0),
        "Memory": int(limits.get("memory") or svc.get("mem_limit") or 0),
        "MemoryReservation": int(reservations.get("memory") or svc.get("mem_reservation") or 0),
        "NanoCpus": int(float(limits.get("cpus") or svc.get("cpus") or 0) * 1e9),
        "PidsLimit": int(limits.get("pids") or svc.get("pids_limit") or 0),
        "CgroupParent": svc.get("cgroup_parent") or "",
        "Devices": [
            {
                "PathOnHost": d["source"],
                "PathInContainer": d.get("target") or d["source"],
                "CgroupPermissions": d.get("permissions") or "rwm",
            }
            for d in svc.get("devices") or []
        ],
        "Ulimits": [
            {"Name": name, "Soft": lim, "Hard": lim}
            if isinstance(lim, int)
            else {"Name": name, "Soft": int(lim.get("soft", 0)), "Hard": int(lim.get("hard", 0))}
            for name, lim in (svc.get("ulimits") or {}).items()
        ],
    }
    if svc.get("logging"):
        host_fields["LogConfig"] = {
            "Type": svc["logging"].get("driver") or "",
            "Config": svc["logging"].get("options") or {},
        }
    if mounts:
        host_fields["Mounts"] = mounts
    if svc.get("tmpfs"):
        host_fields["Tmpfs"] = {t.partition(":")[0]: t.partition(":")[2] for t in svc["tmpfs"]}
    if svc.get("sysctls"):
        host_fields["Sysctls"] = svc["sysctls"]
    if svc.get("init") is not None:
        host_fields["Init"] = bool(svc["init"])
    if svc.get("uts"):
        host_fields["UTSMode"] = svc["uts"]
    if svc.get("userns_mode"):
        host_fields["UsernsMode"] = svc["userns_mode"]
    service_labels = {**(svc.get("labels") or {}), **o.labels}
    body: dict[str, Any] = {
        "Hostname": svc.get("hostname") or "",
        "Domainname": svc.get("domainname") or "",
        "User": o.user if o.user is not None else svc.get("user") or "",
        "AttachStdin": False,
        "AttachStdout": False,
        "AttachStderr": False,
        "ExposedPorts": exposed or None,
        "Tty": bool(o.tty if o.tty is not None else svc.get("tty")),
        "OpenStdin": bool(o.stdin_open if o.stdin_open is not None else svc.get("stdin_open")),
        "StdinOnce": False,
        "Env": [f"{k}={v}" for k, v in env.items() if v is not None],
        "Cmd": o.command if o.command is not None else svc.get("command"),
        "Image": project.image_name(service),
        "Volumes": None,
        "WorkingDir": o.workdir if o.workdir is not None else svc.get("working_dir") or "",
        "Entrypoint": o.entrypoint if o.entrypoint is not None else svc.get("entrypoint"),
        "Labels": {
            **service_labels,
            **compose_labels(project, service, number, oneoff, image_id),
        },
        "HostConfig": shapes.host_config(**host_fields),
        "NetworkingConfig": {"EndpointsConfig": endpoints},
    }
    if svc.get("stop_signal"):
        body["StopSignal"] = svc["stop_signal"]
    if svc.get("stop_grace_period"):
        body["StopTimeout"] = _ns(svc["stop_grace_period"]) // 10**9
    check = healthcheck(svc.get("healthcheck"))
    if check:
        body["Healthcheck"] = check
    if svc.get("mac_address"):
        body["MacAddress"] = svc["mac_address"]
    return body
