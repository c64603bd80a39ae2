"""Kernel objects of the bridge driver: bridges, veth pairs, addresses, sysctls.

Everything goes through pyroute2's IPRoute; work inside a container's namespace uses a
netlink socket opened while the calling thread is switched into it (netns.entered).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from ipaddress import IPv4Address

from . import netns
from .linkioctl import if_index, set_up
from .netlink import IPRoute, NetlinkError

IFA_F_NODAD = 0x02


def mac_for(ip: str | IPv4Address) -> str:
    """Docker's MAC for an IPv4 endpoint: 02:42 followed by the four address bytes."""
    b = IPv4Address(str(ip)).packed
    return "02:42:" + ":".join(f"{x:02x}" for x in b)


def write_sysctl(path: str, value: str) -> None:
    with open(f"/proc/sys/{path}", "w") as f:
        f.write(value)


def enable_forwarding() -> None:
    write_sysctl("net/ipv4/ip_forward", "1")


def link_index(ipr: IPRoute, name: str) -> int | None:
    found = ipr.link_lookup(ifname=name)
    return found[0] if found else None


def ensure_bridge(name: str, gateway: str, prefixlen: int, mtu: int = 1500) -> bool:
    """Create (or adopt an existing bridge) `name` with the gateway address, up;
    idempotent. Returns whether we created it (only those are ours to delete)."""
    created = False
    with IPRoute() as ipr:
        idx = link_index(ipr, name)
        if idx is None:
            with contextlib.suppress(NetlinkError):
                ipr.link("add", ifname=name, kind="bridge", mtu=mtu)
                created = True
            idx = link_index(ipr, name)
            if idx is None:
                raise OSError(f"could not create bridge {name}")
            if created:
                # A bridge without a set MAC takes its lowest port's: it would change as
                # containers come and go, and their cached gateway MAC would go stale.
                ipr.link("set", index=idx, address=mac_for(gateway))
        else:
            link = ipr.get_links(idx)[0]
            info = link.get_attr("IFLA_LINKINFO")
            kind = info.get_attr("IFLA_INFO_KIND") if info else None
            if kind != "bridge":  # never take over e.g. eth0
                raise OSError(errno.EEXIST, f"{name} exists and is not a bridge")
        have = {
            (a.get_attr("IFA_ADDRESS"), a["prefixlen"]) for a in ipr.get_addr(index=idx, family=2)
        }
        if (gateway, prefixlen) not in have:
            ipr.addr("add", index=idx, address=gateway, prefixlen=prefixlen)
        ipr.link("set", index=idx, state="up")
    # Publishing on 127.0.0.1 DNATs locally generated packets with a loopback source out
    # of this bridge; the kernel drops those as martians unless route_localnet is set.
    write_sysctl(f"net/ipv4/conf/{name}/route_localnet", "1")
    with contextlib.suppress(OSError):  # IPv6 only on --ipv6 networks (enable_ipv6)
        write_sysctl(f"net/ipv6/conf/{name}/disable_ipv6", "1")
    return created


def enable_ipv6(name: str, gateway: str, prefixlen: int) -> None:
    """IPv6 on a bridge of an --ipv6 network: its gateway address, and forwarding."""
    write_sysctl(f"net/ipv6/conf/{name}/disable_ipv6", "0")
    write_sysctl("net/ipv6/conf/all/forwarding", "1")
    with IPRoute() as ipr:
        idx = link_index(ipr, name)
        have = {
            (a.get_attr("IFA_ADDRESS"), a["prefixlen"]) for a in ipr.get_addr(index=idx, family=10)
        }
        if (gateway, prefixlen) not in have:
            ipr.addr("add", index=idx, address=gateway, prefixlen=prefixlen, flags=IFA_F_NODAD)


def delete_link(name: str) -> None:
    with IPRoute() as ipr:
        idx = link_index(ipr, name)
        if idx is not None:
            with contextlib.suppress(NetlinkError):
                ipr.link("del", index=idx)


def addresses(name: str) -> list[str]:
    """IPv4 addresses of a link as "a.b.c.d/len" ([] if it does not exist)."""
    with IPRoute() as ipr:
        idx = link_index(ipr, name)
        if idx is None:
            return []
        return [
            f"{a.get_attr('IFA_ADDRESS')}/{a['prefixlen']}"
            for a in ipr.get_addr(index=idx, family=2)
        ]


def delete_address(name: str, address: str) -> None:
    """Remove "a.b.c.d/len" from a link (gone already: nothing to do)."""
    ip, _, plen = address.partition("/")
    with IPRoute() as ipr:
        idx = link_index(ipr, name)
        if idx is not None:
            with contextlib.suppress(NetlinkError):
                ipr.addr("del", index=idx, address=ip, prefixlen=int(plen))


def list_links(prefixes: tuple[str, ...]) -> list[str]:
    with IPRoute() as ipr:
        names = [link.get_attr("IFLA_IFNAME") for link in ipr.get_links()]
    return [n for n in names if n and n.startswith(prefixes)]


def veth_name() -> str:
    """A new host-side veth name."""
    return "veth" + secrets.token_hex(4)[:7]


def attach(
    ns_path: str,
    bridge: str,
    ifname: str,
    ip: str,
    prefixlen: int,
    gateway: str | None,
    mac: str,
    mtu: int = 1500,
    extra: list[tuple[str, int]] | None = None,
    gateway6: str | None = None,
    host: str | None = None,
) -> str:
    """Plug the namespace into `bridge` as `ifname`; return the host-side veth name
    (`host`, or a new one).

    `gateway` set means this is the namespace's first network: default route through it.
    `extra` are more (address, prefix length) pairs for the interface (IPv6 and
    link-local addresses); `gateway6` is the IPv6 default route's, with `gateway`.
    """
    host = host or veth_name()
    with IPRoute() as ipr:
        br = if_index(bridge)
        if br is None:
            raise OSError(errno.ENODEV, f"bridge {bridge} does not exist")
        # The peer is born inside the namespace with its final name and MAC: moving or
        # renaming a link later costs a network-namespace synchronisation each time.
        fd = os.open(ns_path, os.O_RDONLY)
        try:
            peer = {"ifname": ifname, "net_ns_fd": fd, "address": mac, "mtu": mtu}
            ipr.link("add", ifname=host, kind="veth", peer=peer, master=br, mtu=mtu, state="up")
        finally:
            os.close(fd)
        # With br_netfilter, a packet DNATed back to the container that sent it
        # (hairpin) is bridged out of the port it came in by; the port must allow it.
        with contextlib.suppress(OSError):
            with open(f"/sys/class/net/{host}/brport/hairpin_mode", "w") as f:
                f.write("1")
    try:
        with netns.entered(ns_path), IPRoute() as nsr:
            set_up("lo")
            idx = if_index(ifname)
            nsr.addr("add", index=idx, address=ip, prefixlen=prefixlen)
            for address, length in extra or []:
                # no duplicate address detection: the address is usable at once
                flags = IFA_F_NODAD if ":" in address else 0
                nsr.addr("add", index=idx, address=address, prefixlen=length, flags=flags)
            set_up(ifname)
            if gateway:
                nsr.route("replace", dst="0.0.0.0/0", gateway=gateway, oif=idx)
            if gateway and gateway6:
                nsr.route("replace", dst="::/0", gateway=gateway6, oif=idx, family=10)
    except BaseException:
        delete_link(host)
        raise
    return host


def detach(ns_path: str | None, ifname: str, host_veth: str | None) -> None:
    """Remove the endpoint's veth pair (deleting one end removes both)."""
    if host_veth:
        delete_link(host_veth)
        return
    if ns_path and netns.exists(ns_path):
        with netns.entered(ns_path), IPRoute() as nsr:
            idx = link_index(nsr, ifname)
            if idx is not None:
                with contextlib.suppress(NetlinkError):
                    nsr.link("del", index=idx)


def ensure_port(host_veth: str, bridge: str) -> bool:
    """Re-plug a container's host-side veth into its bridge (e.g. the bridge was deleted
    and recreated while the daemon was down). False when the veth is gone."""
    with IPRoute() as ipr:
        idx, br = link_index(ipr, host_veth), link_index(ipr, bridge)
        if idx is None or br is None:
            return False
        if ipr.get_links(idx)[0].get_attr("IFLA_MASTER") != br:
            ipr.link("set", index=idx, master=br, state="up")
    return True


def loopback_up(ns_path: str) -> None:
    """A new namespace's lo is down; every container (even --network none) wants it up."""
    with netns.entered(ns_path):
        set_up("lo")


def set_default_route(ns_path: str, ifname: str, gateway: str) -> None:
    with netns.entered(ns_path), IPRoute() as nsr:
        idx = link_index(nsr, ifname)
        if idx is None:
            raise OSError(errno.ENODEV, f"{ifname} does not exist")
        nsr.route("replace", dst="0.0.0.0/0", gateway=gateway, oif=idx)


def next_ifname(ns_path: str) -> str:
    """eth0 for the first network, eth1 for the next, ..."""
    with netns.entered(ns_path), IPRoute() as nsr:
        names = {link.get_attr("IFLA_IFNAME") for link in nsr.get_links()}
    i = 0
    while f"eth{i}" in names:
        i += 1
    return f"eth{i}"
