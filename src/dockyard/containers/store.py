"""The container records: one row per container in the `containers` table (Docker's inspect
JSON of the record, plus its private parts), indexed in memory by id and by name, and a
directory per container under <data_root>/containers."""

from __future__ import annotations

import bisect
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InvalidParameter, NotFound
from ..fs.dirflags import spread_subdirs
from . import model, views
from .record import Container, ContainerRecord

if TYPE_CHECKING:
    from ..state.db import Database


class ContainerStore:
    """Every container record, loaded once at start; names are unique (a name is reserved
    while its container is being created)."""

    def __init__(self, db: Database, root: Path) -> None:
        self.db = db
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        # a container's files (its upper dir) land away from the last removed one's
        spread_subdirs(self.root)
        self.lock = threading.RLock()
        self._by_id: dict[str, Container] = {}
        self._names: dict[str, str] = {}
        for _id, doc in db.query("SELECT id, doc FROM containers"):
            c = Container(ContainerRecord.from_stored(json.loads(doc)))
            self._by_id[c.id] = c
            self._names[c.name] = c.id
        # Every id, sorted: an id prefix is a binary search, not a scan of every container.
        self._ids = sorted(self._by_id)

    def dir(self, cid: str) -> Path:
        return self.root / cid

    def save(self, c: Container) -> None:
        self.save_many([c])

    def save_many(self, cs: list[Container]) -> None:
        """In one transaction (one commit, not one per container)."""
        rows = [
            (c.id, c.name, json.dumps({**views.document(c.record), **c.record.private()}))
            for c in cs
        ]
        if not rows:
            return
        for c in cs:
            c.rev += 1
        with self.db.transaction() as cur:
            cur.executemany("INSERT OR REPLACE INTO containers(id, name, doc) VALUES (?, ?, ?)", rows)

    # ------------------------------------------------------------------ lookup
    def get(self, ref: str) -> Container:
        """By full id, name (with or without /), or unique id prefix — Docker's order."""
        with self.lock:
            if ref in self._by_id:
                return self._by_id[ref]
            name = ref.lstrip("/")
            if name in self._names:
                return self._by_id[self._names[name]]
            if ref:
                i = bisect.bisect_left(self._ids, ref)
                matches = [cid for cid in self._ids[i : i + 2] if cid.startswith(ref)]
                if len(matches) == 1:
                    return self._by_id[matches[0]]
                if len(matches) > 1:
                    raise InvalidParameter(f"multiple IDs found with provided prefix: {ref}")
        raise NotFound(f"No such container: {ref}")

    def find(self, cid: str) -> Container | None:
        """By full id only; None when there is no such container (any more)."""
        with self.lock:
            return self._by_id.get(cid)

    def all(self) -> list[Container]:
        with self.lock:
            return list(self._by_id.values())

    # ------------------------------------------------------------------ names
    def reserve_name(self, name: str | None, cid: str) -> str:
        """Claim `name` (a random one when None) for the container being created."""
        with self.lock:
            if name:
                name = model.validate_name(name)
                if name in self._names:
                    raise model.name_conflict(name, self._names[name])
            else:
                name = model.random_name(set(self._names))
            self._names[name] = cid
            return name

    def reserved_ids(self) -> set[str]:
        """Ids of containers being created: named, not yet recorded."""
        with self.lock:
            return {cid for cid in self._names.values() if cid not in self._by_id}

    def release_name(self, name: str) -> None:
        with self.lock:
            self._names.pop(name, None)

    def rename(self, c: Container, new_name: str) -> str:
        """Give `c` a new name and save it; returns the old one."""
        new = model.validate_name(new_name)
        with self.lock:
            if new == c.name:
                raise InvalidParameter(
                    "Renaming a container with the same name as its current name"
                )
            if new in self._names:
                raise model.name_conflict(new, self._names[new])
            old = c.name
            self._names.pop(old, None)
            self._names[new] = c.id
            c.record.name = new
            self.save(c)
        return old

    # ------------------------------------------------------------------ add / remove
    def add(self, c: Container) -> None:
        """A created container (its name was reserved): saved, then visible to lookups."""
        self.save(c)
        with self.lock:
            if c.id not in self._by_id:
                bisect.insort(self._ids, c.id)
            self._by_id[c.id] = c

    def delete(self, c: Container) -> None:
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM containers WHERE id=?", (c.id,))
        with self.lock:
            if self._by_id.pop(c.id, None) is not None:
                i = bisect.bisect_left(self._ids, c.id)
                if i < len(self._ids) and self._ids[i] == c.id:
                    del self._ids[i]
            if self._names.get(c.name) == c.id:
                self._names.pop(c.name, None)
