"""NetworkManager: the network service the container service calls.

Synchronous and thread-safe (one lock); it is meant to be called from worker threads,
never from the daemon's event loop thread itself (DNS listeners run on that loop and are
started from here with run_coroutine_threadsafe).

Kernel objects are named from the config so a test daemon never meets an installed one:
bridges `<bridge>` (default network) and `<bridge_prefix><network id>` (user networks,
cut to 15 characters), nft table `<nft_table>`, namespaces under `<exec_root>/netns/`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from ipaddress import IPv4Interface, IPv4Network
from pathlib import Path
from typing import Any

from dockyard.errors import Conflict, Forbidden, InvalidParameter, NotFound

from . import bridge as br
from . import dockercompat, names, netns, nftables, sandbox, views
from .dns import DnsServer, LoopThread
from .ipam import DEFAULT_POOLS, Ipam, host_routes, podman_subnets
from .portmap import PortReserver
from .store import KVStore

log = logging.getLogger(__name__)

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


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _opt_true(options: dict[str, str], key: str) -> bool:
    return str(options.get(key, "true")).lower() not in ("false", "0", "no")


def _mtu(options: dict[str, str], default: int) -> int:
    try:
        return int(options.get("com.docker.network.driver.mtu") or default)
    except ValueError:
        raise InvalidParameter(
            f"invalid value for com.docker.network.driver.mtu: {options.get('com.docker.network.driver.mtu')}"
        ) from None


def _new_id() -> str:
    return secrets.token_hex(32)


class NetworkManager:
    def __init__(
        self,
        config: NetworkConfig,
        store: KVStore,
        loop: Any = None,
        routes: Any = None,
    ) -> None:
        self.cfg = config
        self._check_names()
        self.store = store
        self.lock = threading.RLock()
        self.ipam = Ipam(config.pools, routes or self._foreign_routes)
        self.ports = PortReserver(config.port_range)
        self.host_resolv = sandbox.read_host_resolv(config.resolv_conf)
        upstreams = config.dns_upstreams
        if upstreams is None:
            upstreams = [(ns, 53) for ns in self.host_resolv.nameservers]
        self.dns = DnsServer(self._dns_lookup, self._dns_reverse, upstreams, self._dns_upstreams)
        self._container_dns: dict[str, list[str]] = {}  # cid -> its --dns servers
        self._loop = LoopThread(loop)
        self.networks: dict[str, dict[str, Any]] = {}
        self.endpoints: dict[str, dict[str, Any]] = {}  # "<cid>/<netid>" -> record
        self.sandboxes: dict[str, dict[str, Any]] = {}  # cid -> {"path", "owned"}
        self.published: dict[str, list[dict[str, Any]]] = {}  # cid -> port records
        self._compat_bridges: list[str] | None = None
        self._written: dict[str, str] = {}  # key -> JSON last written to the store
        self._dns_ports: dict[str, int] = {}  # network id -> port our DNS listens on
        self._load()
        self._ensure_predefined()
        self._watchdog_stop = threading.Event()
        self._watchdog: threading.Thread | None = None

    def _check_names(self) -> None:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,63}", self.cfg.nft_table):
            raise InvalidParameter(f"invalid nftables table name: {self.cfg.nft_table!r}")
        for name in (self.cfg.bridge, self.cfg.bridge_prefix + "x"):
            if not re.fullmatch(r"[A-Za-z0-9_.-]{1,15}", name):
                raise InvalidParameter(f"invalid interface name: {name!r}")

    # ------------------------------------------------------------------ persistence

    def _load(self) -> None:
        self.networks = self.store.get("networks") or {}
        self.ipam.load(self.store.get("ipam") or {})
        self.endpoints = self.store.get("endpoints") or {}
        self.sandboxes = self.store.get("sandboxes") or {}
        self.published = self.store.get("ports") or {}

    def _save(self) -> None:
        """Write the keys whose content changed since the last write (each is a DB write)."""
        for key, value in (
            ("networks", self.networks),
            ("ipam", self.ipam.to_dict()),
            ("endpoints", self.endpoints),
            ("sandboxes", self.sandboxes),
            ("ports", self.published),
        ):
            text = json.dumps(value, sort_keys=True)
            if self._written.get(key) != text:
                self.store.put(key, value)
                self._written[key] = text

    def _own_subnets(self) -> dict[str, set[IPv4Network]]:
        """Bridge name -> the subnets our networks have on it."""
        out: dict[str, set[IPv4Network]] = {}
        for n in self.networks.values():
            alloc = self.ipam.networks.get(n["Id"])
            if n.get("bridge") and alloc is not None:
                out.setdefault(n["bridge"], set()).add(alloc.subnet)
        return out

    def _foreign_routes(self) -> list[IPv4Network]:
        """Subnets in use on the host by anyone else (other daemons, Docker, Podman, the
        host): every route except our own networks' on their own bridges. A stray address
        someone put on one of our bridges counts as foreign too."""
        ours = self._own_subnets()
        try:
            from pyroute2 import IPRoute

            out = []
            with IPRoute() as ipr:
                names = {x["index"]: x.get_attr("IFLA_IFNAME") for x in ipr.get_links()}
                for r in ipr.get_routes(family=2, table=254):
                    dst, plen = r.get_attr("RTA_DST"), r["dst_len"]
                    if not plen or not dst:
                        continue
                    net = IPv4Network(f"{dst}/{plen}", strict=False)
                    if net in ours.get(names.get(r.get_attr("RTA_OIF")) or "", set()):
                        continue
                    out.append(net)
            return out + podman_subnets()
        except OSError:
            return host_routes() + podman_subnets()

    def remove_stray_addresses(self) -> dict[str, list[str]]:
        """`system check --repair`: take the stray addresses off our bridges."""
        with self.lock:
            stray = self.stray_addresses()
            for bridge, addrs in stray.items():
                for addr in addrs:
                    br.delete_address(bridge, addr)
            return stray

    def stray_addresses(self) -> dict[str, list[str]]:
        """Addresses on our bridges that belong to none of our networks (another daemon's
        gateway, an operator's mistake): bridge -> ["a.b.c.d/len", ...]."""
        out: dict[str, list[str]] = {}
        for bridge, subnets in self._own_subnets().items():
            for addr in br.addresses(bridge):
                if IPv4Interface(addr).network not in subnets:
                    out.setdefault(bridge, []).append(addr)
        return out

    # ------------------------------------------------------------------ networks

    def _ensure_predefined(self) -> None:
        with self.lock:
            have = {n["Name"] for n in self.networks.values() if n.get("predefined")}
            for name in PREDEFINED:
                if name not in have:
                    self._create(name, "bridge" if name == "bridge" else name, predefined=True)
            self._save()

    def _create(
        self,
        name: str,
        driver: str,
        *,
        predefined: bool = False,
        internal: bool = False,
        attachable: bool = False,
        ipam: dict[str, Any] | None = None,
        options: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        net_id = _new_id()
        options = dict(options or {})
        rec: dict[str, Any] = {
            "Name": name,
            "Id": net_id,
            "Created": _now(),
            "Scope": "local",
            "Driver": {"null": "null", "none": "null"}.get(driver, driver),
            "EnableIPv6": False,
            "Internal": internal,
            "Attachable": attachable,
            "Ingress": False,
            "ConfigFrom": {"Network": ""},
            "ConfigOnly": False,
            "Options": options,
            "Labels": dict(labels or {}),
            "predefined": predefined,
            "user": not predefined,  # user-defined bridge networks get DNS by name
            "bridge": "",
            "ipam_config": [],
        }
        ipam_driver = (ipam or {}).get("Driver") or "default"
        if rec["Driver"] == "bridge":
            cfg = ((ipam or {}).get("Config") or [{}])[0]
            subnet = cfg.get("Subnet") or (self.cfg.default_subnet if predefined else None)
            alloc = self.ipam.create(net_id, subnet, cfg.get("Gateway"), cfg.get("IPRange"))
            entry = {"Subnet": str(alloc.subnet), "Gateway": str(alloc.gateway)}
            if cfg.get("IPRange"):
                entry["IPRange"] = cfg["IPRange"]
            rec["ipam_config"] = [entry]
            if predefined:
                rec["bridge"] = self.cfg.bridge
                rec["Options"] = {
                    "com.docker.network.bridge.default_bridge": "true",
                    "com.docker.network.bridge.enable_icc": "true",
                    "com.docker.network.bridge.enable_ip_masquerade": "true",
                    "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
                    "com.docker.network.bridge.name": self.cfg.bridge,
                    "com.docker.network.driver.mtu": str(self.cfg.mtu),
                }
            else:
                rec["bridge"] = (
                    options.get("com.docker.network.bridge.name")
                    or (self.cfg.bridge_prefix + net_id)[:IFNAMSIZ]
                )
        rec["IPAM"] = {
            "Driver": ipam_driver,
            "Options": (ipam or {}).get("Options"),
            "Config": rec["ipam_config"],
        }
        self.networks[net_id] = rec
        return rec

    def _find(self, ref: str) -> dict[str, Any]:
        for n in self.networks.values():
            if n["Name"] == ref:
                return n
        if ref in self.networks:
            return self.networks[ref]
        matches = [n for i, n in self.networks.items() if ref and i.startswith(ref)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise NotFound(
                f"network {ref} is ambiguous ({len(matches)} matches found based on ID prefix)"
            )
        raise NotFound(f"network {ref} not found")

    def create_network(
        self,
        name: str,
        driver: str = "bridge",
        internal: bool = False,
        attachable: bool = False,
        ipam: dict[str, Any] | None = None,
        options: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
        enable_ipv6: bool = False,
    ) -> dict[str, Any]:
        """POST /networks/create; returns {"Id": ..., "Warning": ""}."""
        driver = driver or "bridge"
        if not name:
            raise InvalidParameter("network name must not be empty")
        if name in PREDEFINED:
            raise Forbidden(f"{name} is a pre-defined network and cannot be created")
        if driver != "bridge":
            raise NotFound(f'plugin "{driver}" not found')
        if enable_ipv6:
            raise InvalidParameter("IPv6 networks are not supported by dockyard yet")
        with self.lock:
            if any(n["Name"] == name for n in self.networks.values()):
                raise Conflict(f"network with name {name} already exists")
            rec = self._create(
                name,
                driver,
                internal=internal,
                attachable=attachable,
                ipam=ipam,
                options=options,
                labels=labels,
            )
            try:
                self._bring_up(rec)
            except BaseException:
                self.networks.pop(rec["Id"], None)
                self.ipam.remove(rec["Id"])
                if rec.get("bridge_created"):
                    with contextlib.suppress(Exception):
                        br.delete_link(rec["bridge"])
                raise
            self._save()
            self._sync_firewall()
            return {"Id": rec["Id"], "Warning": ""}

    def _bring_up(self, rec: dict[str, Any]) -> None:
        """Kernel side of a bridge network: bridge, gateway address, DNS listener."""
        if rec["Driver"] != "bridge":
            return
        alloc = self.ipam.networks[rec["Id"]]
        br.enable_forwarding()
        mtu = _mtu(rec["Options"], self.cfg.mtu)
        try:
            created = br.ensure_bridge(
                rec["bridge"], str(alloc.gateway), alloc.subnet.prefixlen, mtu
            )
        except OSError as exc:
            raise Conflict(f"cannot use bridge {rec['bridge']}: {exc.strerror or exc}") from None
        if created:
            rec["bridge_created"] = True
        rec.setdefault("bridge_created", False)
        if rec["user"] or (rec["predefined"] and self._default_bridge_needs_dns()):
            gw = str(alloc.gateway)
            try:
                port = self._loop.run(self.dns.start_listener(rec["Id"], gw, self.cfg.dns_port))
            except OSError as exc:
                # something else holds port 53 on every address (e.g. a dnsmasq): listen on
                # a free port and let nftables redirect the containers' port 53 to it
                log.warning("DNS on %s:%s: %s; using another port", gw, self.cfg.dns_port, exc)
                port = self._loop.run(self.dns.start_listener(rec["Id"], gw, 0))
            self._dns_ports[rec["Id"]] = port

    def _default_bridge_needs_dns(self) -> bool:
        # only a forwarder, for hosts whose resolvers are all loopback (e.g. systemd-resolved)
        return not self.cfg.dns and not self.host_resolv.reachable and bool(self.dns.upstreams)

    def remove_network(self, ref: str) -> None:
        with self.lock:
            rec = self._find(ref)
            if rec["predefined"]:
                raise Forbidden(f"{rec['Name']} is a pre-defined network and cannot be removed")
            if any(e["network_id"] == rec["Id"] for e in self.endpoints.values()):
                raise Forbidden(
                    f"error while removing network: network {rec['Name']} id {rec['Id']} "
                    "has active endpoints"
                )
            self._tear_down_network(rec)
            del self.networks[rec["Id"]]
            self.ipam.remove(rec["Id"])
            self._save()
            self._sync_firewall()

    def _tear_down_network(self, rec: dict[str, Any]) -> None:
        if rec["Driver"] != "bridge":
            return
        with contextlib.suppress(Exception):
            self._loop.run(self.dns.stop_listener(rec["Id"]))
        self._dns_ports.pop(rec["Id"], None)
        if rec.get("bridge_created", True):  # a bridge the user brought stays
            br.delete_link(rec["bridge"])

    def inspect_network(self, ref: str, verbose: bool = False) -> dict[str, Any]:
        with self.lock:
            return self._render(self._find(ref), with_containers=True)

    def list_networks(self, filters: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
        """GET /networks (Containers is empty in lists, as in Docker)."""
        with self.lock:
            out = []
            for rec in self.networks.values():
                if self._matches(rec, filters or {}):
                    out.append(self._render(rec, with_containers=False))
            return out

    def _matches(self, rec: dict[str, Any], filters: dict[str, list[str]]) -> bool:
        in_use = any(e["network_id"] == rec["Id"] for e in self.endpoints.values())
        try:
            return views.matches(rec, filters, in_use)
        except ValueError as exc:
            raise InvalidParameter(str(exc)) from None

    def _render(self, rec: dict[str, Any], with_containers: bool) -> dict[str, Any]:
        return views.network(rec, list(self.endpoints.values()), with_containers)

    def prune_networks(self, filters: dict[str, list[str]] | None = None) -> list[str]:
        """POST /networks/prune: user networks without endpoints; returns their names."""
        removed = []
        with self.lock:
            for rec in list(self.networks.values()):
                if rec["predefined"] or not self._matches(rec, filters or {}):
                    continue
                if any(e["network_id"] == rec["Id"] for e in self.endpoints.values()):
                    continue
                self.remove_network(rec["Id"])
                removed.append(rec["Name"])
        return removed

    # ------------------------------------------------------------------ sandboxes

    def create_sandbox(self, container_id: str, path: str | None = None) -> str:
        """The container's network namespace: a new one pinned under exec_root/netns, or
        an existing one (`path`, e.g. another container's for --network container:X).
        Returns the path to put in the OCI spec."""
        with self.lock:
            if container_id in self.sandboxes:
                return self.sandboxes[container_id]["path"]
            if path is None:
                path = str(self.cfg.netns_dir / container_id[:64])
                if not netns.exists(path):
                    with contextlib.suppress(FileNotFoundError):
                        Path(path).unlink()
                    netns.create(path)
                owned = True
            else:
                owned = False
            self.sandboxes[container_id] = {"path": path, "owned": owned}
            self._save()
            return path

    def sandbox_path(self, container_id: str) -> str | None:
        sb = self.sandboxes.get(container_id)
        return sb["path"] if sb else None

    def release_sandbox(self, container_id: str) -> None:
        """Container stopped: unpublish, disconnect from every network, drop the netns."""
        with self.lock:
            self.unpublish_ports(container_id)
            sb = self.sandboxes.get(container_id)
            # Deleting a veth waits for the kernel (~20 ms); a namespace we drop anyway takes
            # its veths with it, asynchronously.
            owned = bool(sb and sb["owned"] and netns.exists(sb["path"]))
            for key, e in list(self.endpoints.items()):
                if e["cid"] == container_id:
                    self._detach(key, e, kernel=not owned)
            sb = self.sandboxes.pop(container_id, None)
            self._container_dns.pop(container_id, None)
            if sb and sb["owned"]:
                netns.delete(sb["path"])
            self._save()

    # ------------------------------------------------------------------ endpoints

    def connect(
        self,
        container_id: str,
        name: str,
        network: str,
        aliases: list[str] | None = None,
        ip: str | None = None,
        links: list[str] | None = None,
        hostname: str | None = None,
        mac: str | None = None,
    ) -> dict[str, Any]:
        """Attach a container to a network; returns Docker's EndpointSettings.

        `links` are "container:alias" (EndpointSettings.Links). The sandbox is created
        on demand. For host/none the result carries no address."""
        name = name.lstrip("/")
        if mac and not re.fullmatch(r"([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}", mac):
            raise InvalidParameter(f"invalid MAC address: {mac}")
        with self.lock:
            rec = self._find(network)
            key = f"{container_id}/{rec['Id']}"
            if key in self.endpoints:
                raise Forbidden(
                    f"endpoint with name {name} already exists in network {rec['Name']}"
                )
            bridged = rec["Driver"] == "bridge"
            if ip and not (bridged and self.ipam.networks[rec["Id"]].user_subnet):
                raise InvalidParameter(
                    "user specified IP address is supported only when connecting to networks "
                    "with user configured subnets"
                )
            if aliases and not rec["user"]:
                raise InvalidParameter(
                    "network-scoped alias is supported only for containers in user defined networks"
                )
            if rec["Driver"] in ("host", "null") and any(
                e["cid"] == container_id for e in self.endpoints.values()
            ):
                raise Forbidden(
                    f"container cannot be disconnected from host network or connected to {rec['Name']} network"
                    if rec["Driver"] == "host"
                    else "container cannot be connected to multiple networks with one of the networks in private (none) mode"
                )
            ep: dict[str, Any] = {
                "cid": container_id,
                "name": name,
                "network_id": rec["Id"],
                "endpoint_id": _new_id(),
                "ip": "",
                "prefixlen": 0,
                "gateway": "",
                "mac": "",
                "ifname": "",
                "host_veth": "",
                "aliases": list(aliases or []),
                "links": list(links or []),
                "requested_ip": ip or "",
                "hostname": hostname or container_id[:12],
            }
            if bridged:
                path = self.create_sandbox(container_id)
                addr = self.ipam.allocate(rec["Id"], ip)
                alloc = self.ipam.networks[rec["Id"]]
                first = not any(
                    e["cid"] == container_id and e["gateway"] for e in self.endpoints.values()
                )
                try:
                    ifname = br.next_ifname(path)
                    mac = (mac or br.mac_for(addr)).lower()
                    ep["host_veth"] = br.attach(
                        path,
                        rec["bridge"],
                        ifname,
                        str(addr),
                        alloc.subnet.prefixlen,
                        str(alloc.gateway) if first else None,
                        mac,
                        _mtu(rec["Options"], self.cfg.mtu),
                    )
                except BaseException:
                    self.ipam.release(rec["Id"], str(addr))
                    raise
                ep.update(
                    ip=str(addr),
                    prefixlen=alloc.subnet.prefixlen,
                    gateway=str(alloc.gateway),
                    mac=mac,
                    ifname=ifname,
                    default_route=first,
                )
            elif rec["Driver"] == "null":
                br.loopback_up(self.create_sandbox(container_id))  # attach() does it otherwise
            self.endpoints[key] = ep
            self._save()  # the ruleset depends on networks and ports only: nothing to apply
            return self._endpoint_settings(rec, ep)

    def _endpoint_settings(self, rec: dict[str, Any], ep: dict[str, Any]) -> dict[str, Any]:
        return views.endpoint_settings(rec, ep)

    def endpoint(self, container_id: str, network: str) -> dict[str, Any] | None:
        """Current EndpointSettings of a container on a network (None if not connected)."""
        with self.lock:
            rec = self._find(network)
            ep = self.endpoints.get(f"{container_id}/{rec['Id']}")
            return self._endpoint_settings(rec, ep) if ep else None

    def disconnect(self, container_id: str, network: str, force: bool = False) -> None:
        with self.lock:
            rec = self._find(network)
            key = f"{container_id}/{rec['Id']}"
            ep = self.endpoints.get(key)
            if ep is None:
                if force:
                    return
                raise Forbidden(
                    f"container {container_id} is not connected to network {rec['Name']}"
                )
            moved = [
                p for p in self.published.get(container_id, []) if p["container_ip"] == ep["ip"]
            ]
            self._detach(key, ep)
            heir = self._move_gateway(ep) if ep.get("default_route") else None
            for p in moved:
                if heir is not None and not self.networks[heir["network_id"]]["Internal"]:
                    # like Docker, published ports follow the endpoint with the gateway
                    p["container_ip"] = heir["ip"]
                    p["bridge"] = self.networks[heir["network_id"]]["bridge"]
                else:
                    self.ports.release(p["proto"], p["host_ip"], p["host_port"])
                    self.published[container_id].remove(p)
            self._save()
            if moved:
                self._sync_firewall()

    def _move_gateway(self, old: dict[str, Any]) -> dict[str, Any] | None:
        """The endpoint holding the default route left: give the route to another one."""
        heirs = [e for e in self.endpoints.values() if e["cid"] == old["cid"] and e["ip"]]
        sb = self.sandboxes.get(old["cid"])
        if not heirs or sb is None:
            return None
        heir = heirs[0]
        try:
            br.set_default_route(sb["path"], heir["ifname"], heir["gateway"])
        except OSError as exc:
            log.warning("default route for %s: %s", old["cid"][:12], exc)
            return None
        heir["default_route"] = True
        return heir

    def _detach(self, key: str, ep: dict[str, Any], kernel: bool = True) -> None:
        sb = self.sandboxes.get(ep["cid"])
        if kernel and (ep["host_veth"] or ep["ifname"]):
            try:
                br.detach(sb["path"] if sb else None, ep["ifname"], ep["host_veth"])
            except OSError as exc:
                log.warning("detaching %s: %s", key, exc)
        if ep["ip"]:
            self.ipam.release(ep["network_id"], ep["ip"])
        self.endpoints.pop(key, None)

    # ------------------------------------------------------------------ ports

    def publish_ports(
        self, container_id: str, port_bindings: dict[str, list[dict[str, str]] | None]
    ) -> dict[str, list[dict[str, str]]]:
        """Publish HostConfig.PortBindings; returns NetworkSettings.Ports-style bindings
        with the host ports actually chosen. All or nothing."""
        with self.lock:
            target = self._publish_target(container_id)
            if target is None:  # host/none networking: nothing to forward
                return {}
            ep, rec = target
            if rec["Internal"]:
                return {}
            made: list[dict[str, Any]] = []
            result: dict[str, list[dict[str, str]]] = {}
            try:
                for port_proto, bindings in (port_bindings or {}).items():
                    cport, _, proto = port_proto.partition("/")
                    proto = proto or "tcp"
                    for b in bindings or [{"HostIp": "", "HostPort": ""}]:
                        host_ip = b.get("HostIp") or ""
                        if ":" in host_ip:
                            continue  # IPv6 host addresses: not supported yet
                        try:
                            hport = self.ports.reserve(proto, host_ip, b.get("HostPort") or "")
                        except Conflict as exc:
                            raise Conflict(
                                f"driver failed programming external connectivity on endpoint "
                                f"{ep['name']} ({ep['endpoint_id']}): {exc.message}"
                            ) from None
                        made.append(
                            {
                                "proto": proto,
                                "host_ip": host_ip or "0.0.0.0",
                                "host_port": hport,
                                "container_port": int(cport),
                                "container_ip": ep["ip"],
                                "bridge": rec["bridge"],
                            }
                        )
                        result.setdefault(port_proto, []).append(
                            {"HostIp": host_ip or "0.0.0.0", "HostPort": str(hport)}
                        )
            except BaseException:
                for p in made:
                    self.ports.release(p["proto"], p["host_ip"], p["host_port"])
                raise
            self.published.setdefault(container_id, []).extend(made)
            self._save()
            self._sync_firewall()
            return result

    def _publish_target(self, container_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """Ports go to the endpoint that holds the default route, like Docker."""
        eps = [e for e in self.endpoints.values() if e["cid"] == container_id and e["ip"]]
        eps.sort(key=lambda e: not e.get("default_route"))
        for e in eps:
            return e, self.networks[e["network_id"]]
        return None

    def unpublish_ports(self, container_id: str) -> None:
        with self.lock:
            ports = self.published.pop(container_id, [])
            for p in ports:
                self.ports.release(p["proto"], p["host_ip"], p["host_port"])
            if ports:
                self._save()
                self._sync_firewall()

    def port_bindings(self, container_id: str) -> dict[str, list[dict[str, str]]]:
        """NetworkSettings.Ports entries currently in force."""
        out: dict[str, list[dict[str, str]]] = {}
        for p in self.published.get(container_id, []):
            out.setdefault(f"{p['container_port']}/{p['proto']}", []).append(
                {"HostIp": p["host_ip"], "HostPort": str(p["host_port"])}
            )
        return out

    # ------------------------------------------------------------------ sandbox files

    def sandbox_files(
        self,
        container_id: str,
        hostname: str,
        domainname: str = "",
        extra_hosts: list[str] | None = None,
        dns: list[str] | None = None,
        dns_search: list[str] | None = None,
        dns_options: list[str] | None = None,
        host_network: bool = False,
    ) -> dict[str, str]:
        """{"hosts", "resolv.conf", "hostname"} contents for the container."""
        with self.lock:
            if dns:
                self._container_dns[container_id] = list(dns)
            else:
                self._container_dns.pop(container_id, None)
            if container_id in self.sandboxes:  # persisted: the DNS server needs it after restarts
                self.sandboxes[container_id]["dns"] = list(dns or [])
                self._save()
            eps = [e for e in self.endpoints.values() if e["cid"] == container_id]
            eps.sort(key=lambda e: not e.get("default_route"))
            own_ip = next((e["ip"] for e in eps if e["ip"]), None)
            default_gw = self._default_gateway()
            hosts = sandbox.hosts_file(
                hostname,
                own_ip,
                domainname,
                sandbox.parse_extra_hosts(extra_hosts or [], default_gw),
                self._link_entries(eps),
            )
            return {
                "hosts": hosts,
                "resolv.conf": self._resolv_for(eps, dns, dns_search, dns_options, host_network),
                "hostname": sandbox.hostname_file(hostname),
            }

    def _default_gateway(self) -> str | None:
        for rec in self.networks.values():
            if rec["predefined"] and rec["Driver"] == "bridge":
                return str(self.ipam.networks[rec["Id"]].gateway)
        return None

    def _link_entries(self, eps: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
        return names.link_entries(list(self.endpoints.values()), eps)

    def _ip_of(self, name: str, network_id: str) -> str | None:
        return names.ip_of(list(self.endpoints.values()), name, network_id)

    def _resolv_for(
        self,
        eps: list[dict[str, Any]],
        dns: list[str] | None,
        search: list[str] | None,
        options: list[str] | None,
        host_network: bool,
    ) -> str:
        search = search or self.host_resolv.search
        options = options or self.host_resolv.options
        if host_network:
            return sandbox.resolv_conf(self.host_resolv.nameservers, search, options)
        user = [e for e in eps if self.networks[e["network_id"]]["user"] and e["ip"]]
        if user:
            # our DNS on the network's gateway; it forwards --dns-less names upstream
            return sandbox.resolv_conf([user[0]["gateway"]], search, ["ndots:0", *options])
        servers = dns or self.cfg.dns or self.host_resolv.reachable
        if not servers:
            bridged = [e for e in eps if e["ip"]]
            servers = (
                [bridged[0]["gateway"]] if bridged and self._default_bridge_needs_dns() else []
            )
        return sandbox.resolv_conf(servers or sandbox.FALLBACK_NAMESERVERS, search, options)

    # ------------------------------------------------------------------ DNS tables

    def _dns_upstreams(self, net_id: str, src: str) -> list[tuple[str, int]] | None:
        """Like Docker: no way out from internal networks; a container's --dns servers
        replace the host's."""
        rec = self.networks.get(net_id)
        if rec is not None and rec["Internal"]:
            return []
        for e in list(self.endpoints.values()):
            if e["network_id"] == net_id and e["ip"] == src:
                sb = self.sandboxes.get(e["cid"]) or {}
                servers = sb.get("dns") or self._container_dns.get(e["cid"]) or self.cfg.dns
                if servers:
                    return [(ns, 53) for ns in servers]
                break
        return None

    def _dns_lookup(self, net_id: str, src: str, qname: str) -> list[str] | None:
        return names.lookup(self.networks, list(self.endpoints.values()), net_id, src, qname)

    def _dns_reverse(self, net_id: str, ip: str) -> list[str] | None:
        return names.reverse(self.networks, list(self.endpoints.values()), net_id, ip)

    # ------------------------------------------------------------------ firewall

    def _sync_firewall(self, force_compat: bool = False) -> None:
        nets, bridges = [], []
        for rec in self.networks.values():
            if rec["Driver"] != "bridge":
                continue
            alloc = self.ipam.networks[rec["Id"]]
            nets.append(
                nftables.NetRules(
                    rec["bridge"],
                    str(alloc.subnet),
                    str(alloc.gateway),
                    rec["Internal"],
                    self._dns_ports.get(rec["Id"], 53),
                    _opt_true(rec["Options"], "com.docker.network.bridge.enable_icc"),
                    _opt_true(rec["Options"], "com.docker.network.bridge.enable_ip_masquerade"),
                )
            )
            bridges.append(rec["bridge"])
        ports = [
            nftables.PortRule(
                p["proto"],
                p["host_ip"],
                p["host_port"],
                p["container_ip"],
                p["container_port"],
                p["bridge"],
            )
            for plist in self.published.values()
            for p in plist
        ]
        nftables.apply(nftables.Ruleset(self.cfg.nft_table, nets, ports))
        # DOCKER-USER costs several iptables runs: only when our set of bridges changed
        if self.cfg.docker_compat and (force_compat or bridges != self._compat_bridges):
            self._compat_bridges = bridges
            try:
                dockercompat.sync(bridges, self._compat_tag)
            except OSError as exc:
                log.warning("DOCKER-USER rules: %s", exc)

    @property
    def _compat_tag(self) -> str:
        return f"dockyard:{self.cfg.nft_table}"

    def reconcile(self) -> None:
        """Re-assert firewall state (e.g. periodically, or after Docker restarted)."""
        with self.lock:
            self._sync_firewall(force_compat=True)

    def _start_watchdog(self) -> None:
        if self.cfg.watchdog_interval <= 0 or self._watchdog is not None:
            return

        def loop() -> None:
            while not self._watchdog_stop.wait(self.cfg.watchdog_interval):
                try:
                    with self.lock:
                        if not nftables.exists(self.cfg.nft_table):
                            log.warning("nft table %s vanished: restoring it", self.cfg.nft_table)
                        self._sync_firewall(force_compat=True)
                except Exception as exc:  # keep watching
                    log.warning("network watchdog: %s", exc)

        self._watchdog_stop.clear()
        self._watchdog = threading.Thread(target=loop, name="net-watchdog", daemon=True)
        self._watchdog.start()

    def _stop_watchdog(self) -> None:
        self._watchdog_stop.set()
        if self._watchdog is not None:
            self._watchdog.join(5)
            self._watchdog = None

    # ------------------------------------------------------------------ lifecycle

    def restore(self, running: set[str] | None = None) -> None:
        """After a daemon restart: bridges, DNS listeners, port reservations and rules
        for the containers still running; the rest of the recorded state is released.
        `running` None keeps every container whose namespace still exists."""
        with self.lock:
            for rec in self.networks.values():
                try:
                    self._bring_up(rec)
                except Exception as exc:  # one broken network must not stop the daemon
                    log.error("network %s: %s", rec["Name"], exc)
            for cid, sb in list(self.sandboxes.items()):
                alive = netns.exists(sb["path"]) and (running is None or cid in running)
                if not alive:
                    self.release_sandbox(cid)
            for e in self.endpoints.values():
                rec = self.networks.get(e["network_id"])
                if e["host_veth"] and rec and rec["bridge"]:
                    try:
                        br.ensure_port(e["host_veth"], rec["bridge"])
                    except OSError as exc:
                        log.warning("re-plugging %s: %s", e["host_veth"], exc)
            for cid in list(self.published):
                if cid not in self.sandboxes:
                    self.unpublish_ports(cid)
                    continue
                for p in self.published[cid]:
                    self.ports.adopt(p["proto"], p["host_ip"], p["host_port"])
            self._save()
            self._sync_firewall()
            for bridge, addrs in self.stray_addresses().items():
                log.warning(
                    "bridge %s has addresses that belong to none of this daemon's networks: "
                    "%s (left alone: `dockyard system check --repair` removes them)",
                    bridge,
                    ", ".join(addrs),
                )
        self._start_watchdog()

    def close(self) -> None:
        """Daemon shutdown with live restore: stop serving, leave kernel state alone."""
        self._stop_watchdog()
        with self.lock:
            with contextlib.suppress(Exception):
                self._loop.run(self.dns.close())
            self.ports.release_all()
            self._loop.stop()

    def teardown(self) -> None:
        """Remove everything of ours: endpoints, namespaces, bridges, rules, state."""
        self._stop_watchdog()
        with self.lock:
            for cid in list(self.sandboxes):
                with contextlib.suppress(Exception):
                    self.release_sandbox(cid)
            for key, e in list(self.endpoints.items()):
                self._detach(key, e)
            for rec in self.networks.values():
                with contextlib.suppress(Exception):
                    self._tear_down_network(rec)
            with contextlib.suppress(Exception):
                self._loop.run(self.dns.close())
            self.ports.release_all()
            nftables.remove(self.cfg.nft_table)
            if self.cfg.docker_compat:
                dockercompat.cleanup(self._compat_tag)
            netns.release_dir(str(self.cfg.netns_dir))
            for key in ("networks", "ipam", "endpoints", "sandboxes", "ports"):
                self.store.delete(key)
            self._written.clear()
            self.networks, self.endpoints, self.sandboxes, self.published = {}, {}, {}, {}
            self.ipam.load({})
            self._loop.stop()
