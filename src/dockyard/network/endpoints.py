"""Sandboxes (a container's network namespace), endpoints (its interface on a network)
and published ports."""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dockyard.errors import Conflict, Forbidden, InvalidParameter

from . import bridge as br
from . import netns, views
from .leftovers import expire_departing
from .netconfig import mtu_option, new_id

log = logging.getLogger(__name__)

# The network service's name of the default host address for published ports.
HOST_BINDING = "com.docker.network.bridge.host_binding_ipv4"


def link_local_addresses(ips: list[str]) -> list[tuple[str, int]]:
    """--link-local-ip values as (address, prefix length): Docker puts them in the
    link-local ranges' masks (/16 for IPv4, /64 for IPv6)."""
    out = []
    for ip in ips:
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            raise InvalidParameter(f"invalid link-local IP address: {ip}") from None
        out.append((str(addr), 16 if addr.version == 4 else 64))
    return out


class Endpoints:
    """Mixed into NetworkManager: works on its state (cfg, lock, store, ipam, ports, dns,
    networks, endpoints, sandboxes, published) under its lock."""

    def create_sandbox(self, container_id: str, path: str | None = None) -> str:
        """The container's network namespace: a new one pinned under exec_root/netns, or
        an existing one (`path`, e.g. another container's for --network container:X).
        Returns the path to put in the OCI spec."""
        with self.lock:
            if container_id in self.sandboxes:
                return self.sandboxes[container_id]["path"]
        owned = path is None
        if path is None:
            # Outside the lock (unless the caller holds it): the kernel takes its time to
            # make a namespace, and other containers' starts need the lock meanwhile. Only
            # this container's start (under its own lock) asks for this path.
            path = str(self.cfg.netns_dir / container_id[:64])
            if not netns.exists(path):
                with contextlib.suppress(FileNotFoundError):
                    Path(path).unlink()
                netns.create(path)
        with self.lock:
            self.sandboxes[container_id] = {"path": path, "owned": owned}
            self._save()
            return path

    def plumb(self, container_id: str) -> None:
        """The kernel work connect(defer=True) left for the container's new namespace
        (veth pairs, addresses, routes), outside the lock: the container service runs it
        while the runtime creates the container, which must not start before it is done."""
        with self.lock:
            work = self._plumbing.pop(container_id, [])
        for fn in work:
            fn()

    def _plumb_veth(self, key: str, ep: dict[str, Any], attach: Callable[[], str]) -> None:
        """Make the veth pair, then record its host end. Not before: a daemon killed while
        the pair is half made (host end on the bridge, peer not yet in the namespace) must
        leave a veth no record names, which restore's leftover scan removes; a record naming
        it would keep it, and the namespace's deletion does not take a peer never moved in."""
        name = attach()
        with self.lock:
            if self.endpoints.get(key) is ep:
                ep["host_veth"] = name
                self.endpoints.touch(key)
                self._save()

    def sandbox_path(self, container_id: str) -> str | None:
        sb = self.sandboxes.get(container_id)
        return sb["path"] if sb else None

    def release_sandbox(self, container_id: str) -> None:
        """Container stopped: unpublish, disconnect from every network, drop the netns."""
        with self.lock:
            if not self._holds_anything(container_id):
                # Removing a stopped container asks again: no state write (a comparison of
                # every endpoint's JSON) for nothing.
                self._container_dns.pop(container_id, None)
                return
            self.unpublish_ports(container_id)
            sb = self.sandboxes.get(container_id)
            # Deleting a veth waits for the kernel (~20 ms); a namespace we drop anyway takes
            # its veths with it, asynchronously.
            owned = bool(sb and sb["owned"] and netns.exists(sb["path"]))
            for key, e in list(self.endpoints.items()):
                if e["cid"] == container_id:
                    self._detach(key, e, kernel=not owned)
            sb = self.sandboxes.pop(container_id, None)
            self._plumbing.pop(container_id, None)
            self._container_dns.pop(container_id, None)
            if sb and sb["owned"]:
                netns.delete(sb["path"])
            self._save()

    def _holds_anything(self, container_id: str) -> bool:
        return (
            container_id in self.sandboxes
            or container_id in self.published
            or any(e["cid"] == container_id for e in self.endpoints.values())
        )

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
        link_local: list[str] | None = None,
        ip6: str | None = None,
        defer: bool = False,
    ) -> dict[str, Any]:
        """Attach a container to a network; returns Docker's EndpointSettings.

        `links` are "container:alias" (EndpointSettings.Links); `link_local` are extra
        addresses (IPAMConfig.LinkLocalIPs); `ip6` an IPv6 address asked for (--ip6). The sandbox is created on demand. For
        host/none the result carries no address. `defer` (a namespace made for this start,
        nothing in it yet): the endpoint is recorded, its kernel side waits for plumb()."""
        name = name.lstrip("/")
        if mac and not re.fullmatch(r"([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}", mac):
            raise InvalidParameter(f"invalid MAC address: {mac}")
        local_addrs = link_local_addresses(link_local or [])
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
                "endpoint_id": new_id(),
                "ip": "",
                "prefixlen": 0,
                "gateway": "",
                "mac": "",
                "ifname": "",
                "host_veth": "",
                "aliases": list(aliases or []),
                "links": list(links or []),
                "requested_ip": ip or "",
                "requested_ip6": ip6 or "",
                "ip6": "",
                "prefixlen6": 0,
                "gateway6": "",
                "link_local": list(link_local or []),
                "hostname": hostname or container_id[:12],
            }
            if bridged:
                path = self.create_sandbox(container_id)
                alloc6 = self.ipam.networks6.get(rec["Id"])
                if ip6 and alloc6 is None:
                    raise InvalidParameter(
                        "user specified IP address is supported only when connecting to networks "
                        "with user configured subnets"
                    )
                addr = self.ipam.allocate(rec["Id"], ip)
                alloc = self.ipam.networks[rec["Id"]]
                addr6 = None
                if alloc6 is not None:
                    try:
                        addr6 = alloc6.allocate(ip6)
                    except BaseException:
                        self.ipam.release(rec["Id"], str(addr))
                        raise
                    local_addrs = [(str(addr6), alloc6.subnet.prefixlen), *local_addrs]
                # an internal network never gives the default route (no way out)
                first = not rec["Internal"] and not any(
                    e["cid"] == container_id and e.get("default_route")
                    for e in self.endpoints.values()
                )
                try:
                    ifname = self._next_ifname(container_id) if defer else br.next_ifname(path)
                    mac = (mac or br.mac_for(addr)).lower()
                    veth = br.veth_name()
                    attach = functools.partial(
                        br.attach,
                        path,
                        rec["bridge"],
                        ifname,
                        str(addr),
                        alloc.subnet.prefixlen,
                        str(alloc.gateway) if first else None,
                        mac,
                        mtu_option(rec["Options"], self.cfg.mtu),
                        local_addrs,
                        str(alloc6.gateway) if first and alloc6 is not None else None,
                        veth,
                    )
                    if defer:
                        self._plumbing.setdefault(container_id, []).append(
                            functools.partial(self._plumb_veth, key, ep, attach)
                        )
                    else:
                        ep["host_veth"] = attach()
                except BaseException:
                    self.ipam.release(rec["Id"], str(addr))
                    if addr6 is not None and alloc6 is not None:
                        alloc6.release(addr6)
                    raise
                ep.update(
                    ip=str(addr),
                    prefixlen=alloc.subnet.prefixlen,
                    gateway=str(alloc.gateway),
                    mac=mac,
                    ifname=ifname,
                    default_route=first,
                )
                if addr6 is not None and alloc6 is not None:
                    ep.update(
                        ip6=str(addr6),
                        prefixlen6=alloc6.subnet.prefixlen,
                        gateway6=str(alloc6.gateway),
                    )
            elif rec["Driver"] == "null":
                up = functools.partial(br.loopback_up, self.create_sandbox(container_id))
                if defer:  # attach() does it otherwise
                    self._plumbing.setdefault(container_id, []).append(up)
                else:
                    up()
            self.endpoints[key] = ep
            self._save()  # the ruleset depends on networks and ports only: nothing to apply
            return self._endpoint_settings(rec, ep)

    def _next_ifname(self, container_id: str) -> str:
        """eth0, eth1, ...: the first name none of the container's endpoints has (what
        bridge.next_ifname finds in a namespace made for this start, without entering it)."""
        taken = {e["ifname"] for e in self.endpoints.values() if e["cid"] == container_id}
        i = 0
        while f"eth{i}" in taken:
            i += 1
        return f"eth{i}"

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
                    self.ports.forward(p["proto"], p["host_ip"], p["host_port"], (heir["ip"], p["container_port"]))
                else:
                    self.ports.release(p["proto"], p["host_ip"], p["host_port"])
                    self.published[container_id].remove(p)
            self._save()
            if moved:
                self._sync_firewall()

    def _move_gateway(self, old: dict[str, Any]) -> dict[str, Any] | None:
        """The endpoint holding the default route left: give the route to another one."""
        heirs = [
            e
            for e in self.endpoints.values()
            if e["cid"] == old["cid"] and e["ip"] and not self.networks[e["network_id"]]["Internal"]
        ]
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
        self.endpoints.touch(f"{heir['cid']}/{heir['network_id']}")  # reached by iteration
        return heir

    def _detach(self, key: str, ep: dict[str, Any], kernel: bool = True) -> None:
        sb = self.sandboxes.get(ep["cid"])
        if kernel and (ep["host_veth"] or ep["ifname"]):
            try:
                br.detach(sb["path"] if sb else None, ep["ifname"], ep["host_veth"])
            except OSError as exc:
                log.warning("detaching %s: %s", key, exc)
        elif ep["host_veth"]:
            self._note_departing(ep["host_veth"])
        if ep["ip"]:
            self.ipam.release(ep["network_id"], ep["ip"])
        alloc6 = self.ipam.networks6.get(ep["network_id"])
        if ep.get("ip6") and alloc6 is not None:
            alloc6.release(ep["ip6"])
        self.endpoints.pop(key, None)

    def _note_departing(self, host_veth: str) -> None:
        """Its peer's namespace is being dropped: the kernel removes the pair shortly."""
        if len(self.departing) >= 256:  # read only by restore and `system check`: stay short
            expire_departing(self.departing)
        self.departing[host_veth] = time.monotonic()

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
                        # no address asked for: the network's default (Docker's option)
                        host_ip = b.get("HostIp") or rec["Options"].get(HOST_BINDING, "")
                        if ":" in host_ip and proto != "tcp":
                            continue  # IPv6 host addresses: TCP only (our proxy's)
                        hport = self._reserve(ep, proto, host_ip, b.get("HostPort") or "")
                        pairs = [(host_ip or "0.0.0.0", hport)]
                        every = not b.get("HostIp") and host_ip in ("", "0.0.0.0")
                        if every and proto == "tcp" and self.ipv6_ports:
                            # as docker-proxy: every address means IPv6's as well, same port
                            try:
                                pairs.append(("::", self.ports.reserve(proto, "::", str(hport))))
                            except Conflict as exc:
                                log.info("no [::]:%d for %s: %s", hport, ep["name"], exc.message)
                        for ip, port in pairs:
                            made.append(
                                {
                                    "proto": proto,
                                    "host_ip": ip,
                                    "host_port": port,
                                    "container_port": int(cport),
                                    "container_ip": ep["ip"],
                                    "bridge": rec["bridge"],
                                }
                            )
                            self.ports.forward(proto, ip, port, (ep["ip"], int(cport)))
                            result.setdefault(port_proto, []).append({"HostIp": ip, "HostPort": str(port)})
            except BaseException:
                for p in made:
                    self.ports.release(p["proto"], p["host_ip"], p["host_port"])
                raise
            self.published.setdefault(container_id, []).extend(made)
            self._save()
            self._sync_firewall()
            return result

    def _reserve(self, ep: dict[str, Any], proto: str, host_ip: str, spec: str) -> int:
        try:
            return self.ports.reserve(proto, host_ip, spec)
        except Conflict as exc:
            raise Conflict(
                f"driver failed programming external connectivity on endpoint "
                f"{ep['name']} ({ep['endpoint_id']}): {exc.message}"
            ) from None

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
