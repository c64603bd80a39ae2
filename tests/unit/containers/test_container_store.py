"""containers/store: records as rows of the `containers` table, names unique, lookups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockyard.common.timefmt import ZERO_TIME
from dockyard.containers.store import Container, ContainerStore
from dockyard.errors import Conflict, InvalidParameter, NotFound
from dockyard.state.db import Database


def _doc(cid: str, name: str) -> dict:
    return {
        "Id": cid,
        "Name": "/" + name,
        "Created": "2026-01-02T03:04:05.000000001Z",
        "State": {"Status": "exited", "Running": False, "StartedAt": ZERO_TIME},
        "Config": {"Image": "busybox"},
        "HostConfig": {},
        "_ManuallyStopped": True,
    }


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database(tmp_path / "dockyard.db")


def test_rows_written_by_an_older_daemon_load_unchanged(db: Database, tmp_path: Path) -> None:
    doc = _doc("a" * 64, "old")
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO containers(id, name, doc) VALUES (?, ?, ?)",
            (doc["Id"], "old", json.dumps(doc)),
        )
    store = ContainerStore(db, tmp_path / "containers")
    c = store.get("old")
    assert c.doc == doc and c.manually_stopped
    assert store.get("/old") is c and store.get("aaaa") is c
    assert store.dir(c.id) == tmp_path / "containers" / c.id


def test_add_rename_delete_round_trip(db: Database, tmp_path: Path) -> None:
    store = ContainerStore(db, tmp_path / "containers")
    cid = "b" * 64
    name = store.reserve_name("web", cid)
    with pytest.raises(Conflict):
        store.reserve_name("web", "c" * 64)
    store.add(Container(_doc(cid, name)))
    assert store.rename(store.get("web"), "api") == "web"
    with pytest.raises(InvalidParameter):
        store.rename(store.get("api"), "api")
    again = ContainerStore(db, tmp_path / "containers")  # a restarted daemon
    assert again.get("api").id == cid
    with pytest.raises(NotFound):
        again.get("web")
    again.delete(again.get("api"))
    assert again.find(cid) is None and ContainerStore(db, tmp_path / "c2").all() == []


def test_ambiguous_prefix_and_random_names(db: Database, tmp_path: Path) -> None:
    store = ContainerStore(db, tmp_path / "containers")
    for cid in ("ab" + "0" * 62, "ac" + "0" * 62):
        store.add(Container(_doc(cid, store.reserve_name(None, cid))))
    with pytest.raises(InvalidParameter, match="multiple IDs"):
        store.get("a")
    assert len({c.name for c in store.all()}) == 2
