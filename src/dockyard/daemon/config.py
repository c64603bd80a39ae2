"""daemon.json with Docker's key names; unknown keys and bad values refuse the start."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_CONFIG_FILE = Path("/etc/dockyard/daemon.json")
DEFAULT_SOCKET = "unix:///run/dockyard.sock"
# The unix socket's group (dockerd's is "docker"): its members use the API without sudo.
DEFAULT_SOCKET_GROUP = "dockyard"


class ConfigError(ValueError):
    pass


@dataclass
class DaemonConfig:
    data_root: Path = Path("/var/lib/dockyard")
    exec_root: Path = Path("/run/dockyard")
    hosts: list[str] = field(default_factory=lambda: [DEFAULT_SOCKET])
    pidfile: Path | None = None
    registry_mirrors: list[str] = field(default_factory=list)
    insecure_registries: list[str] = field(default_factory=list)
    default_address_pools: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"base": "172.17.0.0/16", "size": 16},
            {"base": "172.18.0.0/16", "size": 16},
            {"base": "172.19.0.0/16", "size": 16},
            {"base": "172.20.0.0/14", "size": 16},
            {"base": "172.24.0.0/14", "size": 16},
            {"base": "172.28.0.0/14", "size": 16},
            {"base": "192.168.0.0/16", "size": 20},
        ]
    )
    # What clients see; the file itself is conmon's k8s-file, read with json-file semantics.
    log_driver: str = "json-file"
    log_opts: dict[str, str] = field(default_factory=dict)
    live_restore: bool = True
    default_runtime: str = "runc"
    runtimes: dict[str, dict[str, Any]] = field(default_factory=dict)
    storage_driver: str = "overlay2"
    debug: bool = False
    log_level: str = "info"
    # None: not given. An explicit False is Docker's opt-in to TCP without client certificates.
    tls: bool | None = None
    tlsverify: bool | None = None
    tlscacert: str | None = None
    tlscert: str | None = None
    tlskey: str | None = None
    group: str = DEFAULT_SOCKET_GROUP
    # dockyard's own names for the kernel objects it owns, so that test daemons never collide.
    bridge: str = "dockyard0"
    bridge_prefix: str = "dy-"
    nft_table: str = "dockyard"
    dns: list[str] = field(default_factory=list)
    mtu: int = 1500
    # "builtin" (the default profile), "unconfined" or the path of a profile file
    seccomp_profile: str = "builtin"
    # that file's text, read and checked when the configuration is validated (dockerd too
    # reads it once, at start)
    seccomp_profile_text: str | None = field(default=None, repr=False)

    @property
    def default_seccomp(self) -> str:
        """The containers' default profile: "builtin", "unconfined" or a profile's text."""
        return self.seccomp_profile_text or self.seccomp_profile

    @property
    def runtime_paths(self) -> dict[str, str]:
        paths = {"runc": "/usr/sbin/runc", "crun": "/usr/bin/crun"}
        for name, spec in self.runtimes.items():
            paths[name] = spec["path"]
        return paths


def _expect(key: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ConfigError(f"invalid value for daemon configuration key {key!r}: expected {names}")
    return value


def _str_list(key: str, value: Any) -> list[str]:
    _expect(key, value, list)
    for item in value:
        _expect(key, item, str)
    return list(value)


def _str_dict(key: str, value: Any) -> dict[str, str]:
    _expect(key, value, dict)
    for item in value.values():
        _expect(key, item, str)
    return dict(value)


def _pools(key: str, value: Any) -> list[dict[str, Any]]:
    import ipaddress

    _expect(key, value, list)
    out = []
    for pool in value:
        _expect(key, pool, dict)
        if set(pool) - {"base", "size"} or "base" not in pool:
            raise ConfigError(f"invalid value for daemon configuration key {key!r}: {pool}")
        try:
            net = ipaddress.ip_network(pool["base"])
        except ValueError as exc:
            raise ConfigError(
                f"invalid value for daemon configuration key {key!r}: {exc}"
            ) from None
        size = _expect(key, pool.get("size", 24), int)
        if not net.prefixlen <= size <= 30:
            raise ConfigError(
                f"invalid value for daemon configuration key {key!r}: size {size} "
                f"does not fit {pool['base']}"
            )
        out.append({"base": str(net), "size": size})
    return out


def _runtimes(key: str, value: Any) -> dict[str, dict[str, Any]]:
    _expect(key, value, dict)
    for name, spec in value.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
            raise ConfigError(f"invalid value for daemon configuration key {key!r}: {name}")
    return value


_LOG_LEVELS = {"debug", "info", "warn", "error", "fatal"}

# daemon.json key -> (attribute, validator)
_KEYS: dict[str, tuple[str, Any]] = {
    "data-root": ("data_root", lambda k, v: Path(_expect(k, v, str))),
    "exec-root": ("exec_root", lambda k, v: Path(_expect(k, v, str))),
    "hosts": ("hosts", _str_list),
    "pidfile": ("pidfile", lambda k, v: Path(_expect(k, v, str))),
    "registry-mirrors": ("registry_mirrors", _str_list),
    "insecure-registries": ("insecure_registries", _str_list),
    "default-address-pools": ("default_address_pools", _pools),
    "log-driver": ("log_driver", lambda k, v: _expect(k, v, str)),
    "log-opts": ("log_opts", _str_dict),
    "live-restore": ("live_restore", lambda k, v: _expect(k, v, bool)),
    "default-runtime": ("default_runtime", lambda k, v: _expect(k, v, str)),
    "runtimes": ("runtimes", _runtimes),
    "storage-driver": ("storage_driver", lambda k, v: _expect(k, v, str)),
    "debug": ("debug", lambda k, v: _expect(k, v, bool)),
    "log-level": ("log_level", lambda k, v: _expect(k, v, str)),
    "tls": ("tls", lambda k, v: _expect(k, v, bool)),
    "tlsverify": ("tlsverify", lambda k, v: _expect(k, v, bool)),
    "tlscacert": ("tlscacert", lambda k, v: _expect(k, v, str)),
    "tlscert": ("tlscert", lambda k, v: _expect(k, v, str)),
    "tlskey": ("tlskey", lambda k, v: _expect(k, v, str)),
    "group": ("group", lambda k, v: _expect(k, v, str)),
    "bridge": ("bridge", lambda k, v: _expect(k, v, str)),
    "bridge-prefix": ("bridge_prefix", lambda k, v: _expect(k, v, str)),
    "nft-table": ("nft_table", lambda k, v: _expect(k, v, str)),
    "dns": ("dns", _str_list),
    "mtu": ("mtu", lambda k, v: _expect(k, v, int)),
    "seccomp-profile": ("seccomp_profile", lambda k, v: _expect(k, v, str)),
}


def apply(config: DaemonConfig, doc: dict[str, Any], origin: str) -> DaemonConfig:
    for key, value in doc.items():
        if key not in _KEYS:
            raise ConfigError(f"{origin}: unknown daemon configuration key {key!r}")
        attr, validate_value = _KEYS[key]
        setattr(config, attr, validate_value(key, value))
    return validate(config, origin)


_NFT_TABLE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_IFNAME = re.compile(r"[A-Za-z0-9_.-]{1,15}")


def validate(config: DaemonConfig, origin: str) -> DaemonConfig:
    """The whole configuration, daemon.json and flags merged: run before anything else."""
    if config.log_level not in _LOG_LEVELS:
        raise ConfigError(f"{origin}: invalid value for 'log-level': {config.log_level!r}")
    if config.storage_driver not in ("overlay2", "overlay"):
        raise ConfigError(
            f"{origin}: invalid value for 'storage-driver': {config.storage_driver!r} "
            "(only overlay2 is supported)"
        )
    if config.log_driver not in ("k8s-file", "json-file", "local"):
        raise ConfigError(f"{origin}: invalid value for 'log-driver': {config.log_driver!r}")
    if config.default_runtime not in config.runtime_paths:
        raise ConfigError(f"{origin}: unknown default-runtime {config.default_runtime!r}")
    for host in config.hosts:
        if not host.startswith(("unix://", "tcp://", "fd://")):
            raise ConfigError(f"{origin}: invalid value for 'hosts': {host!r}")
        if host.startswith("tcp://") and not (config.tlsverify or insecure_tcp(config)):
            raise ConfigError(
                f"{origin}: 'hosts' has {host} but TCP is only served with TLS and client "
                "certificates (set tlsverify, tlscacert, tlscert, tlskey); to serve it "
                "without them anyway (root access for anyone who reaches the port), say so "
                "explicitly with --tls=false or --tlsverify=false"
            )
    if config.tlsverify and not config.tlscacert:
        # Without a CA of its own the system store would vouch for client certificates:
        # any certificate a public CA issued would get root access to the API.
        raise ConfigError(
            f"{origin}: 'tlsverify' needs 'tlscacert' (the CA that signs client certificates)"
        )
    _validate_names(config, origin)
    _validate_paths(config, origin)
    _load_seccomp_profile(config, origin)
    return config


def insecure_tcp(config: DaemonConfig) -> bool:
    """Docker's explicit opt-in to TCP without client verification: tls or tlsverify set
    to false (in daemon.json or as --tls=false / --tlsverify=false)."""
    return config.tls is False or config.tlsverify is False


def _validate_names(config: DaemonConfig, origin: str) -> None:
    if not config.group or ":" in config.group or "\n" in config.group:
        raise ConfigError(f"{origin}: invalid value for 'group': {config.group!r}")
    if not _NFT_TABLE.fullmatch(config.nft_table):
        raise ConfigError(f"{origin}: invalid value for 'nft-table': {config.nft_table!r}")
    for key, name in (("bridge", config.bridge), ("bridge-prefix", config.bridge_prefix + "x")):
        if not _IFNAME.fullmatch(name):
            raise ConfigError(
                f"{origin}: invalid value for {key!r}: {name!r} is not a valid interface name "
                "(at most 15 letters, digits, '_', '.', '-')"
            )
    if config.bridge.startswith(config.bridge_prefix):
        raise ConfigError(
            f"{origin}: 'bridge' {config.bridge!r} starts with 'bridge-prefix' "
            f"{config.bridge_prefix!r}: it would be taken for a user network's bridge"
        )


def _validate_paths(config: DaemonConfig, origin: str) -> None:
    for key, path in (("data-root", config.data_root), ("exec-root", config.exec_root)):
        if not path.is_absolute():
            raise ConfigError(f"{origin}: {key!r} must be an absolute path: {str(path)!r}")
    data, exe = config.data_root.resolve(), config.exec_root.resolve()
    if data == exe or data in exe.parents or exe in data.parents:
        raise ConfigError(
            f"{origin}: 'data-root' {str(data)!r} and 'exec-root' {str(exe)!r} must not "
            "contain each other"
        )
    if config.pidfile is not None and not config.pidfile.is_absolute():
        raise ConfigError(f"{origin}: 'pidfile' must be an absolute path")


def _load_seccomp_profile(config: DaemonConfig, origin: str) -> None:
    """Read and check a profile file now: a bad one refuses the start, never a container's."""
    config.seccomp_profile_text = None
    if config.seccomp_profile in ("", "builtin", "unconfined"):
        config.seccomp_profile = config.seccomp_profile or "builtin"
        return
    # Imported only for a profile file: a daemon with the builtin one listens sooner.
    from ..runtime.errors import SpecError
    from ..runtime.seccomp import convert_profile

    path = config.seccomp_profile
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(
            f"{origin}: opening seccomp profile ({path}) failed: "
            f"open {path}: {reason[:1].lower()}{reason[1:]}"
        ) from None
    try:
        text = data.decode()
        convert_profile(text, [])
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{origin}: invalid seccomp profile ({path}): Decoding seccomp profile failed: {exc}"
        ) from None
    except SpecError as exc:
        raise ConfigError(f"{origin}: invalid seccomp profile ({path}): {exc}") from None
    config.seccomp_profile_text = text


def load(path: Path | None) -> DaemonConfig:
    config = DaemonConfig()
    if path is None or not path.exists():
        return apply(config, {}, "defaults")
    try:
        doc = json.loads(path.read_text() or "{}")
    except ValueError as exc:
        raise ConfigError(f"{path}: invalid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: the configuration must be a JSON object")
    return apply(config, doc, str(path))
