"""Who is called what: the name tables behind the embedded DNS and /etc/hosts links.

Pure functions over the manager's records: `networks` {id: record}, `endpoints` a list of
endpoint records ({"cid", "name", "network_id", "ip", "aliases", "links", "hostname"}).
"""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]


def ip_of(endpoints: list[Record], name: str, network_id: str) -> str | None:
    """Address of a container (by name or id prefix) on a network."""
    for e in endpoints:
        if e["network_id"] == network_id and (e["name"] == name or e["cid"].startswith(name)):
            return e["ip"] or None
    return None


def link_entries(endpoints: list[Record], own: list[Record]) -> list[tuple[str, str, str]]:
    """(ip, alias, name) for the --link entries of a container's endpoints `own`."""
    out = []
    for e in own:
        for link in e["links"]:
            target, _, alias = link.partition(":")
            target = target.lstrip("/")
            alias = (alias or target).split("/")[-1]
            ip = ip_of(endpoints, target, e["network_id"])
            if ip:
                out.append((ip, alias, target))
    return out


def lookup(
    networks: dict[str, Record], endpoints: list[Record], net_id: str, src: str, qname: str
) -> list[str] | None:
    """A query `qname` from `src` to the resolver of network `net_id`: addresses, or
    None when the name is not ours (then it is forwarded)."""
    rec = networks.get(net_id)
    if rec is None or not rec["user"]:
        return None
    asker = next((e for e in endpoints if e["network_id"] == net_id and e["ip"] == src), None)
    mine = [e for e in endpoints if asker and e["cid"] == asker["cid"]]
    # --link aliases are visible to the linking container only
    for e in mine:
        for link in e["links"]:
            target, _, alias = link.partition(":")
            if qname == (alias or target).lower():
                ip = ip_of(endpoints, target.lstrip("/"), e["network_id"])
                if ip:
                    return [ip]
    # Docker resolves names on every user network the asking container is on, the
    # resolver's own network first; "name.network" means that network only
    nets = [net_id] + [
        e["network_id"]
        for e in mine
        if e["network_id"] != net_id and networks.get(e["network_id"], {}).get("user")
    ]
    for nid in nets:
        name = qname
        suffix = "." + networks[nid]["Name"].lower()
        if name.endswith(suffix):
            name = name[: -len(suffix)]
        found: list[str] = []
        for e in endpoints:
            if e["network_id"] != nid or not e["ip"]:
                continue
            names = {e["name"].lower(), e["cid"][:12], e["hostname"].lower()}
            names.update(a.lower() for a in e["aliases"])
            if name in names and e["ip"] not in found:
                found.append(e["ip"])
        if found:
            return found
    return None


def reverse(
    networks: dict[str, Record], endpoints: list[Record], net_id: str, ip: str
) -> list[str] | None:
    """PTR: "name.network" for a container address on a user network."""
    rec = networks.get(net_id)
    if rec is None or not rec["user"]:
        return None
    for e in endpoints:
        if e["network_id"] == net_id and e["ip"] == ip:
            return [f"{e['name']}.{rec['Name']}"]
    return None
