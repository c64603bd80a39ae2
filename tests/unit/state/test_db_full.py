"""state/db: a write the disk cannot hold fails with dockerd's ENOSPC wording and leaves
the database usable (the failed transaction is rolled back)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from dockyard.state.db import Database, DiskFull


def test_a_full_database_raises_enospc_and_stays_usable(tmp_path: Path) -> None:
    db = Database(tmp_path / "dockyard.db")
    pages = db.query("PRAGMA page_count")[0][0]
    db.query(f"PRAGMA max_page_count={pages + 2}")  # SQLite's own "disk is full"
    with pytest.raises(DiskFull) as err:
        with db.transaction() as cur:
            for i in range(200):
                cur.execute(
                    "INSERT INTO kv(ns, key, doc) VALUES (?, ?, ?)", ("t", str(i), "x" * 4000)
                )
    assert err.value.errno == errno.ENOSPC
    assert str(err.value) == f"write {tmp_path / 'dockyard.db'}: no space left on device"
    db.kv_put("t", "small", {"ok": True})  # the next transaction begins and commits
    assert db.kv_get("t", "small") == {"ok": True}
    assert db.query("SELECT COUNT(*) FROM kv WHERE key != 'small' AND ns='t'")[0][0] == 0
