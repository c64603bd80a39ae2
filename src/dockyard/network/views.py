"""Docker's JSON shapes for networks and endpoints, and network list filters.

Pure functions over the manager's records (plain dicts), so the API shapes are in one
place and testable without a kernel.
"""

from __future__ import annotations

from typing import Any

from ..common import apishapes

Record = dict[str, Any]

FILTERS = ("name", "id", "driver", "type", "label", "dangling", "scope", "until")


def network(rec: Record, endpoints: list[Record], with_containers: bool) -> Record:
    """GET /networks/{id} (with Containers) or an entry of GET /networks (without)."""
    containers = {}
    if with_containers:
        for e in endpoints:
            if e["network_id"] == rec["Id"]:
                containers[e["cid"]] = {
                    "Name": e["name"],
                    "EndpointID": e["endpoint_id"],
                    "MacAddress": e["mac"],
                    "IPv4Address": f"{e['ip']}/{e['prefixlen']}" if e["ip"] else "",
                    "IPv6Address": f"{e['ip6']}/{e['prefixlen6']}" if e.get("ip6") else "",
                }
    return {
        "Name": rec["Name"],
        "Id": rec["Id"],
        "Created": rec["Created"],
        "Scope": "local",
        "Driver": rec["Driver"],
        "EnableIPv6": bool(rec.get("EnableIPv6")),
        "IPAM": {
            "Driver": rec["IPAM"]["Driver"],
            "Options": rec["IPAM"]["Options"],
            "Config": [dict(c) for c in rec["ipam_config"]],
        },
        "Internal": rec["Internal"],
        "Attachable": rec["Attachable"],
        "Ingress": False,
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": False,
        "Containers": containers,
        "Options": dict(rec["Options"]),
        "Labels": dict(rec["Labels"]),
    }


def planned_endpoint(cfg: Record) -> Record:
    """EndpointSettings of a network a container is to join but is not connected to (yet):
    what was asked for (IPAMConfig, Links, Aliases), the rest empty."""
    ep = apishapes.endpoint_settings(
        IPAMConfig=cfg.get("IPAMConfig"), Links=cfg.get("Links"), Aliases=cfg.get("Aliases")
    )
    del ep["GwPriority"]  # API 1.48; we serve 1.45
    return ep


def endpoint_settings(rec: Record, ep: Record) -> Record:
    """Docker's EndpointSettings (NetworkSettings.Networks[name]) of a connected endpoint."""
    dns_names = None
    if rec["user"]:
        dns_names = [ep["name"], *ep["aliases"], ep["cid"][:12]]
        if ep["hostname"] not in dns_names:
            dns_names.append(ep["hostname"])
    requested: Record = {"IPv4Address": ep["requested_ip"]} if ep["requested_ip"] else {}
    if ep.get("requested_ip6"):
        requested["IPv6Address"] = ep["requested_ip6"]
    if ep.get("link_local"):
        requested["LinkLocalIPs"] = list(ep["link_local"])
    return {
        **planned_endpoint({}),
        "IPAMConfig": requested or None,
        "Links": ep["links"] or None,
        "Aliases": ep["aliases"] or None,
        "MacAddress": ep["mac"],
        "NetworkID": rec["Id"],
        "EndpointID": ep["endpoint_id"],
        "Gateway": "" if rec["Internal"] else ep["gateway"],  # no route out, as Docker
        "IPAddress": ep["ip"],
        "IPPrefixLen": ep["prefixlen"],
        "IPv6Gateway": "" if rec["Internal"] else ep.get("gateway6", ""),
        "GlobalIPv6Address": ep.get("ip6", ""),
        "GlobalIPv6PrefixLen": ep.get("prefixlen6", 0),
        "DNSNames": dns_names,
    }


def matches(rec: Record, filters: dict[str, list[str]], in_use: bool) -> bool:
    """Docker's network list/prune filters; raises ValueError for an unknown one."""
    for key, values in filters.items():
        if key not in FILTERS:
            raise ValueError(f"invalid filter '{key}'")
        if not values:
            continue
        if key == "scope" and "local" not in values:
            return False
        if key == "until" and not any(rec["Created"] <= v for v in values):
            return False
        if key == "name" and not any(v in rec["Name"] for v in values):
            return False
        if key == "id" and not any(rec["Id"].startswith(v) for v in values):
            return False
        if key == "driver" and rec["Driver"] not in values:
            return False
        if key == "type" and ("builtin" if rec["predefined"] else "custom") not in values:
            return False
        if key == "label":
            for v in values:
                k, _, val = v.partition("=")
                if k not in rec["Labels"] or ("=" in v and rec["Labels"][k] != val):
                    return False
        if key == "dangling" and (values[0] in ("1", "true")) == (in_use or rec["predefined"]):
            return False
    return True
