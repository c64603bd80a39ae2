"""A container as the network service sees it, and what wiring it up gave: plain values the
container service builds from its record and records back (the network service never holds
a container's record)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Attachment:
    id: str
    name: str
    hostname: str
    domainname: str = ""
    mac_address: str = ""
    network_mode: str = "default"
    links: list[str] = field(default_factory=list)  # HostConfig.Links ("name:alias")
    endpoints_config: dict[str, dict[str, Any]] = field(default_factory=dict)  # as created
    exposed_ports: list[str] = field(default_factory=list)  # "80/tcp", ...
    port_bindings: dict[str, Any] = field(default_factory=dict)
    publish_all_ports: bool = False
    extra_hosts: list[str] = field(default_factory=list)
    dns: list[str] = field(default_factory=list)
    dns_search: list[str] = field(default_factory=list)
    dns_options: list[str] = field(default_factory=list)
    hosts_path: str = ""
    resolv_conf_path: str = ""


@dataclass(frozen=True)
class Wiring:
    """What setup() made: the netns path for the OCI spec ("host" for the host's), and for a
    container with its own sandbox its endpoints, published ports and sandbox path."""

    netns: str | None
    networks: dict[str, dict[str, Any]] | None = None  # None: the container's stay as they are
    ports: dict[str, Any] | None = None
    sandbox_key: str = ""
