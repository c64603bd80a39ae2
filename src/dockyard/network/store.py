"""The persistence the network library needs from its caller: rows of JSON documents in a
few tables (one row per network, subnet, allocated address, endpoint, sandbox and
container's published ports), changed in batches that are written all or nothing.

A container's start or stop changes a handful of rows, so its write costs the same with
ten containers on a network as with a thousand."""

from __future__ import annotations

import copy
import json
from typing import Any, Protocol

# networks: id -> record; ipam: subnet key (net id, or "v6/<id>") -> the subnet without
# its addresses; addresses: "<subnet key> <ip>" -> true; endpoints: "<cid>/<net id>" ->
# record; sandboxes: cid -> {"path", "owned", "dns"}; ports: cid -> [port records].
TABLES = ("networks", "ipam", "addresses", "endpoints", "sandboxes", "ports")

# (table, key, document or None to delete the row)
Change = tuple[str, str, Any]


class StateStore(Protocol):
    def load(self) -> dict[str, dict[str, Any]]:
        """Every table's rows: table -> key -> document."""
        ...

    def apply(self, changes: list[Change]) -> None:
        """Write every change, or none of them."""
        ...


class MemoryStore:
    """For tests: documents are copied so callers cannot mutate what was stored."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, Any]] = {t: {} for t in TABLES}

    def load(self) -> dict[str, dict[str, Any]]:
        return copy.deepcopy(self.tables)

    def apply(self, changes: list[Change]) -> None:
        for table, key, doc in changes:
            if doc is None:
                self.tables[table].pop(key, None)
            else:
                self.tables[table][key] = json.loads(json.dumps(doc))


def address_key(subnet_key: str, ip: str) -> str:
    return f"{subnet_key} {ip}"


def from_whole_documents(old: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The rows of state kept in the old format: one document per table ("networks",
    "ipam", "endpoints", "sandboxes", "ports"), rewritten whole on every change."""
    tables: dict[str, dict[str, Any]] = {t: {} for t in TABLES}
    for table in ("networks", "endpoints", "sandboxes", "ports"):
        tables[table] = dict(old.get(table) or {})
    for subnet_key, alloc in (old.get("ipam") or {}).items():
        meta = {k: v for k, v in alloc.items() if k not in ("allocated", "last")}
        for ip in alloc.get("allocated") or []:
            tables["addresses"][address_key(subnet_key, ip)] = True
        tables["ipam"][subnet_key] = meta
    return tables
