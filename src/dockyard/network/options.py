"""The plain option objects of the network service's API calls (decoded by api/networks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CreateOptions:
    """POST /networks/create."""

    name: str
    driver: str = "bridge"
    internal: bool = False
    attachable: bool = False
    ipam: dict[str, Any] | None = None  # Docker's IPAM object (Driver, Config, Options)
    options: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    enable_ipv6: bool = False


@dataclass(frozen=True)
class ConnectOptions:
    """POST /networks/{id}/connect."""

    container: str
    endpoint_config: dict[str, Any] = field(default_factory=dict)  # Docker's EndpointSettings


@dataclass(frozen=True)
class DisconnectOptions:
    """POST /networks/{id}/disconnect."""

    container: str
    force: bool = False
