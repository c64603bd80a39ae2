"""Names: a container's /etc/hosts and resolv.conf contents and the embedded DNS's tables."""

from __future__ import annotations

import logging
from typing import Any

from . import names, sandbox

log = logging.getLogger(__name__)


class Resolution:
    """Mixed into NetworkManager: works on its state (cfg, lock, store, ipam, ports, dns,
    networks, endpoints, sandboxes, published) under its lock."""

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
