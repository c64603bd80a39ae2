"""The network state in the daemon's database, and the upgrade of the old format."""

from __future__ import annotations

from dockyard.network.dbstore import DatabaseStore
from dockyard.network.store import TABLES
from dockyard.state.db import Database

EP = {"cid": "c1", "network_id": "n1", "ip": "10.1.0.2"}
OLD = {
    "networks": {"n1": {"Id": "n1", "Name": "app"}},
    "ipam": {
        "n1": {
            "subnet": "10.1.0.0/24",
            "gateway": "10.1.0.1",
            "ip_range": "",
            "user_subnet": False,
            "allocated": ["10.1.0.2", "10.1.0.3"],
            "last": "10.1.0.3",
        }
    },
    "endpoints": {"c1/n1": EP},
    "sandboxes": {"c1": {"path": "/run/x/netns/c1", "owned": True}},
    "ports": {"c1": []},
}


def test_old_documents_become_rows_once(tmp_path):
    db = Database(tmp_path / "meta.db")
    db.kv_put("network/endpoints", "stale/n9", {"left": "by a newer daemon"})
    for key, doc in OLD.items():
        db.kv_put("network", key, doc)
    tables = DatabaseStore(db).load()
    assert tables["endpoints"] == {"c1/n1": EP}
    assert tables["ipam"]["n1"] == {
        "subnet": "10.1.0.0/24",
        "gateway": "10.1.0.1",
        "ip_range": "",
        "user_subnet": False,
    }
    assert set(tables["addresses"]) == {"n1 10.1.0.2", "n1 10.1.0.3"}
    assert db.kv_items("network") == {}
    again = DatabaseStore(db).load()  # from the rows now
    assert again == tables and set(again) == set(TABLES)
    db.close()


def test_changes_are_written_together(tmp_path):
    db = Database(tmp_path / "meta.db")
    store = DatabaseStore(db)
    store.apply([("endpoints", "c1/n1", EP), ("addresses", "n1 10.1.0.2", True)])
    store.apply([("endpoints", "c1/n1", None), ("sandboxes", "c1", {"path": "p"})])
    tables = store.load()
    assert tables["endpoints"] == {} and tables["sandboxes"] == {"c1": {"path": "p"}}
    assert tables["addresses"] == {"n1 10.1.0.2": True}
    db.close()
