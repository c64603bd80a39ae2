"""Networks: create, bring up, remove, list and inspect; the host's subnets kept apart
(ours on our bridges, everyone else's) and stray addresses on our bridges."""

from __future__ import annotations

import contextlib
import logging
from ipaddress import IPv4Interface, IPv4Network
from typing import Any

from dockyard.errors import Conflict, Forbidden, InvalidParameter, NotFound

from . import bridge as br
from . import views
from .ipam import host_routes, podman_subnets
from .netconfig import IFNAMSIZ, PREDEFINED, mtu_option, new_id, now

log = logging.getLogger(__name__)


class NetworkTable:
    """Mixed into NetworkManager: works on its state (cfg, lock, store, ipam, ports, dns,
    networks, endpoints, sandboxes, published) under its lock."""

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
        host): every route except our own networks' on their own bridges (a stray address
        someone put on one of our bridges counts as foreign too), and Podman's networks."""
        return self._routes_elsewhere() + podman_subnets()

    def _routes_elsewhere(self) -> list[IPv4Network]:
        """The host's routes, except our own networks' on their own bridges."""
        ours = self._own_subnets()
        try:
            from .netlink import IPRoute

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
            return out
        except OSError:
            return host_routes()

    def _check_subnet_free(self, rec: dict[str, Any]) -> None:
        """At restore: a network whose subnet someone else took meanwhile (after a reboot,
        another daemon started first) is not brought up, so that theirs keeps working."""
        alloc = self.ipam.networks.get(rec["Id"])
        if rec["Driver"] != "bridge" or alloc is None:
            return
        for route in self._host_routes():
            if route.overlaps(alloc.subnet):
                raise Conflict(
                    f"subnet {alloc.subnet} is in use on the host (route to {route}); "
                    "the network is left down"
                )

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
        enable_ipv6: bool = False,
    ) -> dict[str, Any]:
        net_id = new_id()
        options = dict(options or {})
        rec: dict[str, Any] = {
            "Name": name,
            "Id": net_id,
            "Created": now(),
            "Scope": "local",
            "Driver": {"null": "null", "none": "null"}.get(driver, driver),
            "EnableIPv6": enable_ipv6,
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
            configs = (ipam or {}).get("Config") or []
            v6 = [c for c in configs if ":" in (c.get("Subnet") or "")]
            if v6 and not enable_ipv6:
                raise InvalidParameter("IPv6 subnet specified without enabling IPv6 (use --ipv6)")
            cfg = next((c for c in configs if c not in v6), {})
            subnet = cfg.get("Subnet") or (self.cfg.default_subnet if predefined else None)
            alloc = self.ipam.create(net_id, subnet, cfg.get("Gateway"), cfg.get("IPRange"))
            entry = {"Subnet": str(alloc.subnet), "Gateway": str(alloc.gateway)}
            if cfg.get("IPRange"):
                entry["IPRange"] = cfg["IPRange"]
            rec["ipam_config"] = [entry]
            if enable_ipv6:
                want = v6[0] if v6 else {}
                alloc6 = self.ipam.create6(net_id, want.get("Subnet"), want.get("Gateway"))
                rec["ipam_config"].append(
                    {"Subnet": str(alloc6.subnet), "Gateway": str(alloc6.gateway)}
                )
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
                enable_ipv6=enable_ipv6,
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
        mtu = mtu_option(rec["Options"], self.cfg.mtu)
        try:
            created = br.ensure_bridge(
                rec["bridge"], str(alloc.gateway), alloc.subnet.prefixlen, mtu
            )
        except OSError as exc:
            raise Conflict(f"cannot use bridge {rec['bridge']}: {exc.strerror or exc}") from None
        if created:
            rec["bridge_created"] = True
        alloc6 = self.ipam.networks6.get(rec["Id"])
        if alloc6 is not None:
            br.enable_ipv6(rec["bridge"], str(alloc6.gateway), alloc6.subnet.prefixlen)
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

    def inspect_network(
        self, ref: str, verbose: bool = False, with_containers: bool = True
    ) -> dict[str, Any]:
        with self.lock:
            return self._render(self._find(ref), with_containers=with_containers)

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
