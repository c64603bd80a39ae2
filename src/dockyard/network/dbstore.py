"""The network state on the daemon's database (the StateStore of store.py)."""

from __future__ import annotations

import logging
from typing import Any

from ..state.db import Database
from . import store

log = logging.getLogger(__name__)


class DatabaseStore:
    """NetworkManager's StateStore on the daemon database: a namespace of the kv table per
    table of rows."""

    OLD = "network"  # before rows: one document per table, rewritten whole on each change

    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def _ns(table: str) -> str:
        return f"network/{table}"

    def load(self) -> dict[str, dict[str, Any]]:
        old = self.db.kv_items(self.OLD)
        if old:
            return self._upgrade(old)
        return {t: self.db.kv_items(self._ns(t)) for t in store.TABLES}

    def _upgrade(self, old: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """A data root of an older dockyard: its documents become rows, in one transaction
        (rows an even newer daemon left before a downgrade give way to the old documents)."""
        tables = store.from_whole_documents(old)
        changes: list[tuple[str, str, Any]] = [
            (self._ns(t), k, None) for t in store.TABLES for k in self.db.kv_items(self._ns(t))
        ]
        changes += [(self._ns(t), k, d) for t, rows in tables.items() for k, d in rows.items()]
        changes += [(self.OLD, k, None) for k in old]
        self.db.kv_apply(changes)
        log.info("network state: one row per record now (%d endpoints)", len(tables["endpoints"]))
        return tables

    def apply(self, changes: list[store.Change]) -> None:
        self.db.kv_apply([(self._ns(t), k, d) for t, k, d in changes])
