"""The network library's configuration and the small helpers its parts share."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dockyard.errors import InvalidParameter

from .ipam import DEFAULT_POOLS

PREDEFINED = ("bridge", "host", "none")
IFNAMSIZ = 15


@dataclass
class NetworkConfig:
    exec_root: Path = Path("/run/dockyard")
    bridge: str = "dockyard0"
    bridge_prefix: str = "dy-"
    nft_table: str = "dockyard"
    pools: list[dict[str, Any]] = field(default_factory=lambda: list(DEFAULT_POOLS))
    default_subnet: str | None = None  # like dockerd --bip (network form)
    mtu: int = 1500
    dns: list[str] = field(default_factory=list)  # daemon.json "dns": for every container
    dns_port: int = 53  # our DNS listens on each user network's gateway at this port
    dns_upstreams: list[tuple[str, int]] | None = None  # None: the host's resolv.conf
    resolv_conf: str = "/etc/resolv.conf"
    port_range: tuple[int, int] | None = None  # None: ip_local_port_range
    docker_compat: bool = True  # accept our bridges in Docker's DOCKER-USER chain
    # re-assert our rules this often (someone ran `nft flush ruleset`, Docker restarted...)
    watchdog_interval: float = 30.0  # seconds; 0 disables

    @property
    def netns_dir(self) -> Path:
        return self.exec_root / "netns"


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def opt_true(options: dict[str, str], key: str) -> bool:
    return str(options.get(key, "true")).lower() not in ("false", "0", "no")


def mtu_option(options: dict[str, str], default: int) -> int:
    try:
        return int(options.get("com.docker.network.driver.mtu") or default)
    except ValueError:
        raise InvalidParameter(
            f"invalid value for com.docker.network.driver.mtu: {options.get('com.docker.network.driver.mtu')}"
        ) from None


def new_id() -> str:
    return secrets.token_hex(32)
