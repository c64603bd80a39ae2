"""IPv4 address management: subnet pools like Docker's default-address-pools and
per-network address allocation.

State is plain data (to_dict/from_dict) the caller persists, so allocations survive
daemon restarts. Allocation is libnetwork's default (not its serial mode): the lowest free
address, so containers get .2, .3, ... and a released address is the next one handed out,
as dockerd 20.10 does on the default bridge and on user networks.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from pathlib import Path
from typing import Any

from dockyard.errors import Conflict, Forbidden, InvalidParameter

from .store import Change, address_key

DEFAULT_POOLS: list[dict[str, Any]] = [
    {"base": "172.17.0.0/16", "size": 16},
    {"base": "172.18.0.0/16", "size": 16},
    {"base": "172.19.0.0/16", "size": 16},
    {"base": "172.20.0.0/14", "size": 16},
    {"base": "172.24.0.0/14", "size": 16},
    {"base": "172.28.0.0/14", "size": 16},
    {"base": "192.168.0.0/16", "size": 20},
]

ERR_OVERLAP = "Pool overlaps with other one on this address space"
ERR_NO_POOL = (
    "could not find an available, non-overlapping IPv4 address pool among the defaults "
    "to assign to the network"
)
ERR_IN_USE = "Address already in use"


def parse_subnet(text: str) -> IPv4Network:
    """Docker refuses a subnet with host bits set and tells the right one."""
    try:
        iface = ipaddress.ip_interface(text)
    except ValueError:
        raise InvalidParameter(f"Invalid subnet {text} : invalid CIDR address: {text}") from None
    if "/" not in text:
        raise InvalidParameter(f"Invalid subnet {text} : invalid CIDR address: {text}")
    if not isinstance(iface, ipaddress.IPv4Interface):
        raise InvalidParameter(f"invalid subnet {text}: IPv6 is not supported")
    if iface.ip != iface.network.network_address:
        raise InvalidParameter(
            f"invalid network config:\ninvalid subnet {text}: it should be {iface.network}"
        )
    return iface.network


def _parse_ip(text: str, what: str) -> IPv4Address:
    try:
        return IPv4Address(text)
    except ValueError:
        raise InvalidParameter(f"invalid {what}: {text}") from None


def host_routes() -> list[IPv4Network]:
    """Destinations of the host's IPv4 routes (main table), default route excluded."""
    from .netlink import IPRoute

    out = []
    with IPRoute() as ipr:
        for r in ipr.get_routes(family=2, table=254):
            plen = r["dst_len"]
            dst = r.get_attr("RTA_DST")
            if plen and dst:
                out.append(IPv4Network(f"{dst}/{plen}", strict=False))
    return out


PODMAN_NETWORKS = "/etc/containers/networks"


def podman_subnets(directory: str = PODMAN_NETWORKS) -> list[IPv4Network]:
    """Subnets of Podman's (netavark) networks: their bridges exist only while a container
    runs, so the host's routes do not show them all the time."""
    out = []
    for path in sorted(Path(directory).glob("*.json")):
        try:
            doc = json.loads(path.read_text())
            for entry in doc.get("subnets") or []:
                net = ipaddress.ip_network(entry["subnet"], strict=False)
                if isinstance(net, IPv4Network):
                    out.append(net)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
    return out


Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address


def parse_subnet6(text: str) -> IPv6Network:
    """An IPv6 subnet (--subnet with --ipv6), checked as parse_subnet checks IPv4 ones."""
    try:
        iface = ipaddress.ip_interface(text)
    except ValueError:
        raise InvalidParameter(f"invalid CIDR address: {text}") from None
    if "/" not in text or not isinstance(iface, ipaddress.IPv6Interface):
        raise InvalidParameter(f"invalid CIDR address: {text}")
    if iface.ip != iface.network.network_address:
        raise InvalidParameter(
            f"invalid network config:\ninvalid subnet {text}: it should be {iface.network}"
        )
    return iface.network


@dataclass
class Allocation:
    """Addresses of one network's subnet (IPv4, or IPv6 for an --ipv6 network)."""

    subnet: Network
    gateway: Address | None
    ip_range: Network | None = None
    user_subnet: bool = False  # --ip is only allowed on user-configured subnets
    allocated: set[Address] = field(default_factory=set)
    # addresses allocated or released since the state was last written
    dirty: set[str] = field(default_factory=set, compare=False, repr=False)

    def _address(self, value: int | str) -> Address:
        return type(self.subnet.network_address)(value)

    def _usable(self) -> tuple[int, int]:
        net = self.ip_range or self.subnet
        first, last = int(net.network_address), int(net.broadcast_address)
        if net.prefixlen < 31:
            first, last = first + 1, last - 1
        # never hand out the subnet's own network/broadcast address either
        first = max(first, int(self.subnet.network_address) + 1)
        last = min(last, int(self.subnet.broadcast_address) - 1)
        return first, last

    def allocate(self, requested: str | None = None) -> IPv4Address:
        if requested:
            try:
                ip = self._address(requested)
            except ValueError:
                raise InvalidParameter(f"invalid IP address: {requested}") from None
            if ip not in self.subnet:
                raise InvalidParameter(
                    f"Invalid address {ip}: It does not belong to any of this network's subnets"
                )
            if ip in self.allocated or ip == self.gateway:
                raise Conflict(ERR_IN_USE)
            self.allocated.add(ip)
            self.dirty.add(str(ip))
            return ip
        first, last = self._usable()
        for n in range(first, last + 1):
            ip = self._address(n)
            if ip not in self.allocated and ip != self.gateway:
                self.allocated.add(ip)
                self.dirty.add(str(ip))
                return ip
        family = "IPv4" if self.subnet.version == 4 else "IPv6"
        raise Forbidden(f"no available {family} addresses on this network's address pools")

    def release(self, ip: str | Address) -> None:
        addr = self._address(str(ip))
        self.allocated.discard(addr)
        self.dirty.add(str(addr))

    def holds(self, ip: str) -> bool:
        return self._address(ip) in self.allocated

    def meta(self) -> dict[str, Any]:
        """The subnet without its addresses (those are rows of their own)."""
        return {
            "subnet": str(self.subnet),
            "gateway": str(self.gateway) if self.gateway else "",
            "ip_range": str(self.ip_range) if self.ip_range else "",
            "user_subnet": self.user_subnet,
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.meta(), "allocated": sorted(str(a) for a in self.allocated)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Allocation:
        ip, net = ipaddress.ip_address, ipaddress.ip_network
        return cls(
            subnet=net(d["subnet"]),
            gateway=ip(d["gateway"]) if d.get("gateway") else None,
            ip_range=net(d["ip_range"]) if d.get("ip_range") else None,
            user_subnet=bool(d.get("user_subnet")),
            allocated={ip(a) for a in d.get("allocated", [])},
        )


class Ipam:
    """Subnets per network id, chosen from pools so they overlap neither another
    network nor any host route."""

    def __init__(
        self,
        pools: Iterable[dict[str, Any]] = DEFAULT_POOLS,
        routes: Callable[[], list[IPv4Network]] = host_routes,
    ) -> None:
        self.pools = [(IPv4Network(p["base"]), int(p.get("size", 24))) for p in pools]
        self.routes = routes
        self.networks: dict[str, Allocation] = {}
        self.networks6: dict[str, Allocation] = {}  # the IPv6 subnets of --ipv6 networks
        # since the state was last written: subnet keys created or removed, and the
        # addresses of removed subnets (their rows go too)
        self._dirty: set[str] = set()
        self._dropped: dict[str, set[str]] = {}

    def _overlaps_network(self, subnet: IPv4Network) -> bool:
        return any(a.subnet.overlaps(subnet) for a in self.networks.values())

    def _pick_subnet(self) -> IPv4Network:
        routes = self.routes()
        for base, size in self.pools:
            for candidate in base.subnets(new_prefix=size):
                if self._overlaps_network(candidate):
                    continue
                if any(r.overlaps(candidate) for r in routes):
                    continue
                return candidate
        raise Forbidden(ERR_NO_POOL)

    def create(
        self,
        net_id: str,
        subnet: str | None = None,
        gateway: str | None = None,
        ip_range: str | None = None,
    ) -> Allocation:
        """Reserve a subnet for a network (the given one or the next free from the pools)."""
        if net_id in self.networks:
            return self.networks[net_id]
        if subnet:
            net = parse_subnet(subnet)
            if self._overlaps_network(net):
                raise Forbidden(ERR_OVERLAP)
        else:
            if gateway or ip_range:
                # Docker needs --subnet with these
                raise InvalidParameter("ip-range and gateway require a subnet to be specified")
            net = self._pick_subnet()
        rng = None
        if ip_range:
            rng = parse_subnet(ip_range)
            if not rng.subnet_of(net):
                raise InvalidParameter(f"no matching subnet for range {ip_range}")
        if gateway:
            gw = _parse_ip(gateway, "gateway")
            if gw not in net:
                raise InvalidParameter(f"no matching subnet for gateway {gateway}")
        else:
            gw = IPv4Address(int((rng or net).network_address) + 1)
        alloc = Allocation(subnet=net, gateway=gw, ip_range=rng, user_subnet=bool(subnet))
        self.networks[net_id] = alloc
        self._dirty.add(net_id)
        return alloc

    def create6(
        self, net_id: str, subnet: str | None = None, gateway: str | None = None
    ) -> Allocation:
        """The IPv6 subnet of an --ipv6 network: the given one, or a unique-local /64
        derived from the network id (Docker also hands out ULA /64s by default)."""
        if net_id in self.networks6:
            return self.networks6[net_id]
        if subnet:
            net = parse_subnet6(subnet)
        else:
            net = IPv6Network(f"fd{net_id[:2]}:{net_id[2:6]}:{net_id[6:10]}::/64")
        if any(a.subnet.overlaps(net) for a in self.networks6.values()):
            raise Forbidden(ERR_OVERLAP)
        gw = IPv6Address(int(net.network_address) + 1)
        if gateway:
            try:
                gw = IPv6Address(gateway)
            except ValueError:
                raise InvalidParameter(f"invalid gateway: {gateway}") from None
            if gw not in net:
                raise InvalidParameter(f"no matching subnet for gateway {gateway}")
        alloc = Allocation(subnet=net, gateway=gw, user_subnet=bool(subnet))
        self.networks6[net_id] = alloc
        self._dirty.add(V6 + net_id)
        return alloc

    def remove(self, net_id: str) -> None:
        for key, alloc in (
            (net_id, self.networks.pop(net_id, None)),
            (V6 + net_id, self.networks6.pop(net_id, None)),
        ):
            if alloc is not None:
                self._dirty.add(key)
                gone = self._dropped.setdefault(key, set())
                gone.update(alloc.dirty, (str(a) for a in alloc.allocated))

    def allocate(self, net_id: str, requested: str | None = None) -> IPv4Address:
        return self.networks[net_id].allocate(requested)

    def release(self, net_id: str, ip: str) -> None:
        if net_id in self.networks and ip:
            self.networks[net_id].release(ip)

    def to_dict(self) -> dict[str, Any]:
        out = {k: v.to_dict() for k, v in self.networks.items()}
        out.update({V6 + k: v.to_dict() for k, v in self.networks6.items()})
        return out

    def load(self, data: dict[str, Any]) -> None:
        self.networks = {k: Allocation.from_dict(v) for k, v in data.items() if "/" not in k}
        self.networks6 = {
            k[len(V6) :]: Allocation.from_dict(v) for k, v in data.items() if k.startswith(V6)
        }
        self._dirty, self._dropped = set(), {}

    # ------------------------------------------------------------------ persisted rows

    def _by_key(self) -> dict[str, Allocation]:
        return {**self.networks, **{V6 + k: v for k, v in self.networks6.items()}}

    def load_rows(self, subnets: dict[str, Any], addresses: dict[str, Any]) -> None:
        """From the "ipam" and "addresses" tables (store.py); addresses of no subnet are
        dropped at the next write."""
        by_subnet: dict[str, list[str]] = {}
        for row in addresses:
            key, _, ip = row.rpartition(" ")
            by_subnet.setdefault(key, []).append(ip)
        self.load({k: {**meta, "allocated": by_subnet.get(k, [])} for k, meta in subnets.items()})
        self._dropped = {k: set(ips) for k, ips in by_subnet.items() if k not in subnets}

    def pending(self) -> list[Change]:
        """The rows changed since `written()`: O(what changed), never O(addresses)."""
        allocs = self._by_key()
        out: list[Change] = []
        for key in self._dirty:
            alloc = allocs.get(key)
            out.append(("ipam", key, alloc.meta() if alloc else None))
        for key, ips in self._dropped.items():
            out.extend(("addresses", address_key(key, ip), None) for ip in ips)
        for key, alloc in allocs.items():
            for ip in alloc.dirty:
                out.append(("addresses", address_key(key, ip), True if alloc.holds(ip) else None))
        return out

    def written(self) -> None:
        """What pending() returned is stored."""
        self._dirty.clear()
        self._dropped.clear()
        for alloc in self.networks.values():
            alloc.dirty.clear()
        for alloc in self.networks6.values():
            alloc.dirty.clear()


# The key prefix of IPv6 subnets in the persisted table (ids have no "/").
V6 = "v6/"
