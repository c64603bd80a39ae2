"""A container's typed record: what the daemon knows of one container, as attributes.

Each part loads from (and dumps to) the Docker-shaped JSON the daemon has always stored, so
a daemon upgraded in place reads its old rows; keys a part does not model are kept as they
came (`other`) and written back unchanged. The inspect JSON is rendered from these parts in
containers/views.py.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ..common.timefmt import ZERO_TIME
from ..network.attachment import Attachment
from .mounts import PlannedMount

T = TypeVar("T")

# (JSON key, attribute) of a part, in Docker's order.
Keys = tuple[tuple[str, str], ...]


def load_keys(d: dict[str, Any], keys: Keys) -> dict[str, Any]:
    """The constructor arguments for the keys `d` has."""
    return {attr: d[key] for key, attr in keys if key in d}


def dump_keys(obj: object, keys: Keys) -> dict[str, Any]:
    return {key: getattr(obj, attr) for key, attr in keys}


_STATE_KEYS: Keys = (
    ("Status", "status"),
    ("Running", "running"),
    ("Paused", "paused"),
    ("Restarting", "restarting"),
    ("OOMKilled", "oom_killed"),
    ("Dead", "dead"),
    ("Pid", "pid"),
    ("ExitCode", "exit_code"),
    ("Error", "error"),
    ("StartedAt", "started_at"),
    ("FinishedAt", "finished_at"),
)


@dataclass
class State:
    """Docker's container State. `health` is State.Health (None: no health check)."""

    status: str = "created"
    running: bool = False
    paused: bool = False
    restarting: bool = False
    oom_killed: bool = False
    dead: bool = False
    pid: int = 0
    exit_code: int = 0
    error: str = ""
    started_at: str = ZERO_TIME
    finished_at: str = ZERO_TIME
    health: dict[str, Any] | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> State:
        return cls(**load_keys(d, _STATE_KEYS), health=d.get("Health"))

    def to_dict(self) -> dict[str, Any]:
        out = dump_keys(self, _STATE_KEYS)
        if self.health is not None:
            out["Health"] = self.health
        return out

    def started(self, pid: int, at: str) -> None:
        self.status, self.running, self.paused, self.restarting = "running", True, False, False
        self.oom_killed, self.dead, self.pid, self.exit_code = False, False, pid, 0
        self.error, self.started_at, self.finished_at = "", at, ZERO_TIME

    def start_failed(self, exit_code: int, message: str) -> None:
        self.status = "created" if self.status == "created" else "exited"
        self.running, self.pid, self.exit_code, self.error = False, 0, exit_code, message

    def exited(self, code: int, oom: bool, at: str) -> None:
        self.status, self.running, self.paused, self.restarting = "exited", False, False, False
        self.oom_killed, self.pid, self.exit_code, self.finished_at = oom, 0, code, at

    def stop_restarting(self) -> None:
        self.restarting = False
        self.status = "exited"


_CONFIG_KEYS: Keys = (
    ("Hostname", "hostname"),
    ("Domainname", "domainname"),
    ("User", "user"),
    ("AttachStdin", "attach_stdin"),
    ("AttachStdout", "attach_stdout"),
    ("AttachStderr", "attach_stderr"),
    ("ExposedPorts", "exposed_ports"),
    ("Tty", "tty"),
    ("OpenStdin", "open_stdin"),
    ("StdinOnce", "stdin_once"),
    ("Env", "env"),
    ("Cmd", "cmd"),
    ("Image", "image"),
    ("Volumes", "volumes"),
    ("WorkingDir", "working_dir"),
    ("Entrypoint", "entrypoint"),
    ("Labels", "labels"),
)
# Docker leaves these out of the JSON when they are unset.
_CONFIG_OPTIONAL: Keys = (
    ("Healthcheck", "healthcheck"),
    ("MacAddress", "mac_address"),
    ("StopSignal", "stop_signal"),
    ("StopTimeout", "stop_timeout"),
)


@dataclass
class Config:
    """Docker's container Config (the image's config merged with the create request)."""

    hostname: str = ""
    domainname: str = ""
    user: str = ""
    attach_stdin: bool = False
    attach_stdout: bool = False
    attach_stderr: bool = False
    exposed_ports: dict[str, Any] | None = None
    tty: bool = False
    open_stdin: bool = False
    stdin_once: bool = False
    env: list[str] = field(default_factory=list)
    cmd: list[str] | None = None
    image: str = ""
    volumes: dict[str, Any] | None = None
    working_dir: str = ""
    entrypoint: list[str] | None = None
    labels: dict[str, str] = field(default_factory=dict)
    healthcheck: dict[str, Any] | None = None
    mac_address: str | None = None
    stop_signal: str | None = None
    stop_timeout: int | None = None
    other: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Config:
        return cls(**_load_part(d, _CONFIG_KEYS + _CONFIG_OPTIONAL))

    def to_dict(self) -> dict[str, Any]:
        out = dump_keys(self, _CONFIG_KEYS)
        if not out["ExposedPorts"]:
            del out["ExposedPorts"]  # Go's omitempty
        out.update({k: v for k, v in dump_keys(self, _CONFIG_OPTIONAL).items() if v is not None})
        return {**out, **self.other}

    @property
    def command(self) -> list[str]:
        return list(self.entrypoint or []) + list(self.cmd or [])


@dataclass
class RestartPolicy:
    name: str = "no"
    maximum_retry_count: int = 0


@dataclass
class LogConfig:
    type: str = "json-file"
    config: dict[str, str] = field(default_factory=dict)


_HOST_CONFIG_KEYS: Keys = (
    ("NetworkMode", "network_mode"),
    ("PortBindings", "port_bindings"),
    ("AutoRemove", "auto_remove"),
    ("Dns", "dns"),
    ("DnsOptions", "dns_options"),
    ("DnsSearch", "dns_search"),
    ("ExtraHosts", "extra_hosts"),
    ("Links", "links"),
    ("PublishAllPorts", "publish_all_ports"),
    ("ReadonlyRootfs", "readonly_rootfs"),
    ("Runtime", "runtime"),
    ("CgroupParent", "cgroup_parent"),
)


@dataclass
class HostConfig:
    """Docker's HostConfig as the daemon acts on it; the resource and security settings the
    daemon only hands to runtime/spec stay in `other`, as Docker's JSON."""

    network_mode: str = "default"
    port_bindings: dict[str, Any] = field(default_factory=dict)
    restart_policy: RestartPolicy = field(default_factory=RestartPolicy)
    log_config: LogConfig = field(default_factory=LogConfig)
    auto_remove: bool = False
    dns: list[str] = field(default_factory=list)
    dns_options: list[str] = field(default_factory=list)
    dns_search: list[str] = field(default_factory=list)
    extra_hosts: list[str] | None = None
    links: list[str] | None = None
    publish_all_ports: bool = False
    readonly_rootfs: bool = False
    runtime: str = "runc"
    cgroup_parent: str = ""
    other: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> HostConfig:
        rest = {k: v for k, v in d.items() if k not in ("RestartPolicy", "LogConfig")}
        policy = d.get("RestartPolicy") or {}
        logc = d.get("LogConfig") or {}
        return cls(
            **_load_part(rest, _HOST_CONFIG_KEYS),
            restart_policy=RestartPolicy(
                policy.get("Name") or "no", policy.get("MaximumRetryCount") or 0
            ),
            log_config=LogConfig(logc.get("Type") or "json-file", logc.get("Config") or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        policy, logc = self.restart_policy, self.log_config
        return {
            **dump_keys(self, _HOST_CONFIG_KEYS),
            "RestartPolicy": {
                "Name": policy.name,
                "MaximumRetryCount": policy.maximum_retry_count,
            },
            "LogConfig": {"Type": logc.type, "Config": logc.config},
            **self.other,
        }


_SETTINGS_KEYS: Keys = (
    ("Bridge", "bridge"),
    ("SandboxID", "sandbox_id"),
    ("SandboxKey", "sandbox_key"),
    ("HairpinMode", "hairpin_mode"),
    ("LinkLocalIPv6Address", "link_local_ipv6_address"),
    ("LinkLocalIPv6PrefixLen", "link_local_ipv6_prefix_len"),
    ("Ports", "ports"),
    ("SecondaryIPAddresses", "secondary_ip_addresses"),
    ("SecondaryIPv6Addresses", "secondary_ipv6_addresses"),
    ("EndpointID", "endpoint_id"),
    ("Gateway", "gateway"),
    ("GlobalIPv6Address", "global_ipv6_address"),
    ("GlobalIPv6PrefixLen", "global_ipv6_prefix_len"),
    ("IPAddress", "ip_address"),
    ("IPPrefixLen", "ip_prefix_len"),
    ("IPv6Gateway", "ipv6_gateway"),
    ("MacAddress", "mac_address"),
    ("Networks", "networks"),
)
# The default bridge's endpoint fields Docker mirrors at the top of NetworkSettings.
_LEGACY = (
    ("EndpointID", "endpoint_id", ""),
    ("Gateway", "gateway", ""),
    ("IPAddress", "ip_address", ""),
    ("IPPrefixLen", "ip_prefix_len", 0),
    ("MacAddress", "mac_address", ""),
)
# What an endpoint loses when the container stops.
_ENDPOINT_CLEARED = {
    "IPAddress": "",
    "Gateway": "",
    "IPPrefixLen": 0,
    "MacAddress": "",
    "EndpointID": "",
}


@dataclass
class NetworkSettings:
    """Docker's NetworkSettings. `networks` maps a network's name to the network service's
    EndpointSettings for this container; `ports` is Docker's port map (None: exposed only)."""

    bridge: str = ""
    sandbox_id: str = ""
    sandbox_key: str = ""
    hairpin_mode: bool = False
    link_local_ipv6_address: str = ""
    link_local_ipv6_prefix_len: int = 0
    ports: dict[str, Any] = field(default_factory=dict)
    secondary_ip_addresses: list[Any] | None = None
    secondary_ipv6_addresses: list[Any] | None = None
    endpoint_id: str = ""
    gateway: str = ""
    global_ipv6_address: str = ""
    global_ipv6_prefix_len: int = 0
    ip_address: str = ""
    ip_prefix_len: int = 0
    ipv6_gateway: str = ""
    mac_address: str = ""
    networks: dict[str, dict[str, Any]] = field(default_factory=dict)
    other: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NetworkSettings:
        return cls(**_load_part(d, _SETTINGS_KEYS))

    def to_dict(self) -> dict[str, Any]:
        return {**dump_keys(self, _SETTINGS_KEYS), **self.other}

    def fill_legacy(self) -> None:
        ep = self.networks.get("bridge") or {}
        for key, attr, zero in _LEGACY:
            setattr(self, attr, ep.get(key, zero))

    def clear_endpoints(self) -> None:
        """The container stopped: its endpoints keep their configuration, not addresses."""
        self.networks = {name: {**ep, **_ENDPOINT_CLEARED} for name, ep in self.networks.items()}
        self.ports = {}
        self.fill_legacy()
        self.sandbox_key = ""


def _load_part(d: dict[str, Any], keys: Keys) -> dict[str, Any]:
    known = {key for key, _attr in keys}
    return {**load_keys(d, keys), "other": {k: v for k, v in d.items() if k not in known}}


_FILES_KEYS: Keys = (
    ("ResolvConfPath", "resolv_conf_path"),
    ("HostnamePath", "hostname_path"),
    ("HostsPath", "hosts_path"),
    ("LogPath", "log_path"),
)
_TOP_KEYS: Keys = (
    ("Id", "id"),
    ("Created", "created"),
    ("Path", "path"),
    ("Args", "args"),
    ("Image", "image_id"),
    *_FILES_KEYS,
    ("RestartCount", "restart_count"),
    ("Driver", "driver"),
    ("Platform", "platform"),
    ("MountLabel", "mount_label"),
    ("ProcessLabel", "process_label"),
    ("AppArmorProfile", "app_armor_profile"),
    ("ExecIDs", "exec_ids"),
    ("GraphDriver", "graph_driver"),
)
# Parts that are not Docker's: stored with the record, never shown.
_PRIVATE_KEYS: Keys = (
    ("_ImageRef", "image_ref"),
    ("_ManuallyStopped", "manually_stopped"),
)
_PARTS = {"Name", "State", "Config", "HostConfig", "NetworkSettings", "Mounts"}
_PRIVATE_PARTS = {"_MountPlan", "_Networking", "_WasRunningAtShutdown"}


@dataclass
class ContainerRecord:
    """Everything the daemon keeps of one container. `mounts` is the mount plan (inspect's
    Mounts are derived from it); `endpoints_config` is what create asked of networks."""

    id: str
    name: str  # without Docker's leading "/"
    created: str = ZERO_TIME
    path: str = ""
    args: list[str] = field(default_factory=list)
    image_id: str = ""
    image_ref: str = ""  # the image as the user named it
    config: Config = field(default_factory=Config)
    host_config: HostConfig = field(default_factory=HostConfig)
    state: State = field(default_factory=State)
    mounts: list[PlannedMount] = field(default_factory=list)
    network: NetworkSettings = field(default_factory=NetworkSettings)
    endpoints_config: dict[str, dict[str, Any]] = field(default_factory=dict)
    resolv_conf_path: str = ""
    hostname_path: str = ""
    hosts_path: str = ""
    log_path: str = ""
    restart_count: int = 0
    driver: str = "overlay2"
    platform: str = "linux"
    mount_label: str = ""
    process_label: str = ""
    app_armor_profile: str = ""
    exec_ids: list[str] | None = None
    graph_driver: dict[str, Any] = field(default_factory=dict)
    manually_stopped: bool = False
    was_running_at_shutdown: bool = True
    other: dict[str, Any] = field(default_factory=dict)  # keys of newer daemons, kept

    @classmethod
    def from_stored(cls, doc: dict[str, Any]) -> ContainerRecord:
        """A record from its stored JSON (the shape every daemon version has written)."""
        known = {key for key, _attr in _TOP_KEYS + _PRIVATE_KEYS} | _PARTS | _PRIVATE_PARTS
        top = load_keys(doc, _TOP_KEYS + _PRIVATE_KEYS)
        top["name"] = str(doc.get("Name") or "").lstrip("/")
        top["manually_stopped"] = bool(top.get("manually_stopped"))
        return cls(
            **top,
            config=Config.from_dict(doc.get("Config") or {}),
            host_config=HostConfig.from_dict(doc.get("HostConfig") or {}),
            state=State.from_dict(doc.get("State") or {}),
            mounts=[PlannedMount.from_dict(m) for m in doc.get("_MountPlan") or []],
            network=NetworkSettings.from_dict(doc.get("NetworkSettings") or {}),
            endpoints_config=dict((doc.get("_Networking") or {}).get("EndpointsConfig") or {}),
            was_running_at_shutdown=bool(doc.get("_WasRunningAtShutdown", True)),
            other={k: v for k, v in doc.items() if k not in known},
        )

    def mount_points(self) -> list[dict[str, Any]]:
        """Docker's inspect `Mounts` (tmpfs from HostConfig.Tmpfs are none)."""
        return [m.mount_point() for m in self.mounts if m.in_inspect]

    def top_level(self) -> dict[str, Any]:
        """Docker's top-level inspect fields (without the parts), for views.py."""
        return dump_keys(self, _TOP_KEYS)

    def private(self) -> dict[str, Any]:
        """What is stored besides the inspect document."""
        return {
            **dump_keys(self, _PRIVATE_KEYS),
            "_MountPlan": [m.to_dict() for m in self.mounts],
            "_Networking": {"EndpointsConfig": self.endpoints_config},
            "_WasRunningAtShutdown": self.was_running_at_shutdown,
        }


class _InRecord(Generic[T]):
    """An attribute of a Container that lives in its record (`c.state` is `c.record.state`)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Container, owner: type | None = None) -> T:
        return getattr(obj.record, self.name)  # type: ignore[no-any-return]

    def __set__(self, obj: Container, value: T) -> None:
        setattr(obj.record, self.name, value)


class Container:
    """One container: its record, plus the daemon's in-memory handles on it (lock, exit
    event, attach bookkeeping)."""

    def __init__(self, record: ContainerRecord) -> None:
        self.record = record
        self.lock = threading.RLock()
        self.exit_event = threading.Event()
        self.removing = False
        # Bumped when a start fails, so attach sessions waiting for the start give up.
        self.failed_starts = 0
        # Attach sessions still streaming output: --rm waits for them to drain the log.
        self.attachers = 0
        self.attach_done = threading.Condition()
        # Bumped by every save of the record: views cache what only a save changes.
        self.rev = 0
        self.summary_cache: tuple[int, str] | None = None

    id = _InRecord[str]()
    name = _InRecord[str]()
    config = _InRecord[Config]()
    host_config = _InRecord[HostConfig]()
    state = _InRecord[State]()
    network = _InRecord[NetworkSettings]()
    manually_stopped = _InRecord[bool]()

    @property
    def running(self) -> bool:
        return self.record.state.running

    def attachment(self) -> Attachment:
        """The container as the network service sees it."""
        cfg, hc, rec = self.config, self.host_config, self.record
        return Attachment(
            id=self.id,
            name=self.name,
            hostname=cfg.hostname,
            domainname=cfg.domainname or "",
            mac_address=cfg.mac_address or "",
            network_mode=hc.network_mode or "default",
            links=list(hc.links or []),
            endpoints_config=rec.endpoints_config,
            exposed_ports=list(cfg.exposed_ports or {}),
            port_bindings=dict(hc.port_bindings or {}),
            publish_all_ports=bool(hc.publish_all_ports),
            extra_hosts=list(hc.extra_hosts or []),
            dns=list(hc.dns or []),
            dns_search=list(hc.dns_search or []),
            dns_options=list(hc.dns_options or []),
            hosts_path=rec.hosts_path,
            resolv_conf_path=rec.resolv_conf_path,
        )
