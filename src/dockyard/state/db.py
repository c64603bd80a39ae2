"""Metadata in SQLite (WAL): one connection, serialised by a lock, schema by migrations.

Records are JSON documents keyed by id with a few indexed columns: the daemon's services own
the shapes, the database only guarantees atomic, durable writes.
"""

from __future__ import annotations

import errno
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Each entry migrates the schema from version i to i+1; never edit a released entry.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE containers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        doc TEXT NOT NULL
    );
    CREATE TABLE images (
        id TEXT PRIMARY KEY,
        doc TEXT NOT NULL
    );
    CREATE TABLE tags (
        ref TEXT PRIMARY KEY,
        image_id TEXT NOT NULL
    );
    CREATE INDEX tags_image ON tags(image_id);
    CREATE TABLE layers (
        chain_id TEXT PRIMARY KEY,
        doc TEXT NOT NULL
    );
    CREATE TABLE kv (
        ns TEXT NOT NULL,
        key TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (ns, key)
    );
    """,
]


class DiskFull(OSError):
    """SQLite could not write the database: its disk is full. Worded as dockerd words it."""

    def __init__(self, path: Path) -> None:
        super().__init__(errno.ENOSPC, "no space left on device", str(path))

    def __str__(self) -> str:
        return f"write {self.filename}: {self.strerror}"


class Database:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=30
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL with WAL survives process kills; only power loss may drop the last commit.
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def _migrate(self) -> None:
        with self.transaction() as cur:
            version = cur.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise RuntimeError(
                    f"database {self.path} has schema {version}, newer than this dockyard knows"
                )
            for i in range(version, len(MIGRATIONS)):
                for stmt in MIGRATIONS[i].split(";"):
                    if stmt.strip():
                        cur.execute(stmt)
                cur.execute(f"PRAGMA user_version={i + 1}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        """A write transaction; a failed COMMIT (a full disk) rolls back too, so the next
        transaction can begin."""
        with self._lock:
            cur = self._conn.cursor()
            try:
                cur.execute("BEGIN IMMEDIATE")
                try:
                    yield cur
                    cur.execute("COMMIT")
                except BaseException:
                    if self._conn.in_transaction:
                        cur.execute("ROLLBACK")
                    raise
            except sqlite3.OperationalError as exc:
                if "disk is full" in str(exc):
                    raise DiskFull(self.path) from exc
                raise

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- generic key/value documents for small services (networks, daemon state) ---
    def kv_get(self, ns: str, key: str) -> Any:
        rows = self.query("SELECT doc FROM kv WHERE ns=? AND key=?", (ns, key))
        return json.loads(rows[0][0]) if rows else None

    def kv_put(self, ns: str, key: str, doc: Any) -> None:
        with self.transaction() as cur:
            cur.execute(
                "INSERT OR REPLACE INTO kv(ns, key, doc) VALUES (?, ?, ?)",
                (ns, key, json.dumps(doc)),
            )

    def kv_delete(self, ns: str, key: str) -> None:
        with self.transaction() as cur:
            cur.execute("DELETE FROM kv WHERE ns=? AND key=?", (ns, key))

    def kv_apply(self, changes: Iterable[tuple[str, str, Any]]) -> None:
        """(ns, key, doc) puts and, where doc is None, deletes: all in one transaction."""
        with self.transaction() as cur:
            for ns, key, doc in changes:
                if doc is None:
                    cur.execute("DELETE FROM kv WHERE ns=? AND key=?", (ns, key))
                else:
                    cur.execute(
                        "INSERT OR REPLACE INTO kv(ns, key, doc) VALUES (?, ?, ?)",
                        (ns, key, json.dumps(doc)),
                    )

    def kv_items(self, ns: str) -> dict[str, Any]:
        rows = self.query("SELECT key, doc FROM kv WHERE ns=?", (ns,))
        return {k: json.loads(d) for k, d in rows}
