"""Kernel and state objects of this daemon's networks that no container owns any more: what
a crash between two steps of a start or a stop leaves (a pinned namespace nobody records,
a veth on our bridge with no endpoint, an address allocated to no endpoint, port rules of a
container without a sandbox, a missing nft table). Found at restore and by `system check`;
each comes with the fix that releases it.

Works on a NetworkManager's state, under its lock."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from typing import Any

from . import bridge as br
from . import netns, nftables
from .netlink import IPRoute

# (resource, problem, fix)
Leftover = tuple[str, str, Callable[[], None]]

# How long a veth whose peer's namespace was dropped may take to go: the kernel tears a
# namespace down in a work queue, tens of milliseconds later on a busy host.
DEPARTING_GRACE = 2.0


def find(mgr: Any, table: bool = True) -> list[Leftover]:
    """Everything without an owner; `table`: also whether the nft table exists (at restore
    it is written afterwards anyway)."""
    found = [*_namespaces(mgr), *_veths(mgr), *_addresses(mgr), *_port_rules(mgr)]
    return found + _table(mgr) if table else found


def _namespaces(mgr: Any) -> list[Leftover]:
    directory = str(mgr.cfg.netns_dir)
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    owned = {sb["path"] for sb in mgr.sandboxes.values()}
    out: list[Leftover] = []
    for name in sorted(names):
        path = os.path.join(directory, name)
        if path not in owned:
            out.append(
                (f"netns {name}", "no container owns this network namespace", _drop_ns(path))
            )
    return out


def _drop_ns(path: str) -> Callable[[], None]:
    def fix() -> None:
        if netns.exists(path):
            netns.delete(path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)

    return fix


def _veths(mgr: Any) -> list[Leftover]:
    bridges = {rec["bridge"] for rec in mgr.networks.values() if rec.get("bridge")}
    known = {e["host_veth"] for e in mgr.endpoints.values() if e.get("host_veth")}
    unowned = {n: m for n, m in _bridge_ports(bridges).items() if n not in known}
    _await_departing(mgr.departing, unowned)
    return [
        (f"veth {name}", f"plugged into {master} but no endpoint owns it", _drop_link(name))
        for name, master in unowned.items()
    ]


def _await_departing(departing: dict[str, float], unowned: dict[str, str]) -> None:
    """Leave out of `unowned` the veths that go within their grace: their peers' namespaces
    were dropped (Endpoints._detach without kernel work) and are being torn down."""
    for name in [n for n in departing if n not in unowned]:
        del departing[name]  # gone already
    expire_departing(departing)
    while departing:
        for name in [n for n in departing if not os.path.exists(f"/sys/class/net/{n}")]:
            del departing[name]
            unowned.pop(name, None)
        expire_departing(departing)
        if departing:
            time.sleep(0.01)


def expire_departing(departing: dict[str, float]) -> None:
    """Drop the veths past their grace: staying, no longer on their way out."""
    now = time.monotonic()
    for name in [n for n, since in departing.items() if now - since > DEPARTING_GRACE]:
        del departing[name]


def _drop_link(name: str) -> Callable[[], None]:
    return lambda: br.delete_link(name)


def _bridge_ports(bridges: set[str]) -> dict[str, str]:
    """Interfaces whose master is one of `bridges`: name -> bridge (one netlink dump)."""
    with IPRoute() as ipr:
        links = ipr.get_links()
    by_index = {link["index"]: link.get_attr("IFLA_IFNAME") for link in links}
    out = {}
    for link in links:
        master = by_index.get(link.get_attr("IFLA_MASTER"))
        if master in bridges:
            out[link.get_attr("IFLA_IFNAME")] = master
    return out


def _addresses(mgr: Any) -> list[Leftover]:
    used: dict[str, set[str]] = {}
    for e in mgr.endpoints.values():
        if e.get("ip"):
            used.setdefault(e["network_id"], set()).add(e["ip"])
    out: list[Leftover] = []
    for net_id, alloc in mgr.ipam.networks.items():
        rec = mgr.networks.get(net_id)
        name = rec["Name"] if rec else net_id[:12]
        for ip in sorted(str(a) for a in alloc.allocated):
            if ip not in used.get(net_id, set()):
                out.append(
                    (
                        f"network {name}",
                        f"address {ip} is allocated to no endpoint",
                        _release_ip(mgr, net_id, ip),
                    )
                )
    return out


def _release_ip(mgr: Any, net_id: str, ip: str) -> Callable[[], None]:
    def fix() -> None:
        with mgr.lock:
            mgr.ipam.release(net_id, ip)
            mgr.commit()

    return fix


def _port_rules(mgr: Any) -> list[Leftover]:
    out: list[Leftover] = []
    for cid in sorted(mgr.published):
        if cid not in mgr.sandboxes and mgr.published[cid]:
            out.append(
                (
                    f"container {cid[:12]}",
                    "port rules remain but the container has no network namespace",
                    _unpublish(mgr, cid),
                )
            )
    return out


def _unpublish(mgr: Any, cid: str) -> Callable[[], None]:
    return lambda: mgr.unpublish_ports(cid)


def _table(mgr: Any) -> list[Leftover]:
    if nftables.exists(mgr.cfg.nft_table):
        return []

    return [(f"nft table {mgr.cfg.nft_table}", "missing", mgr.commit)]
