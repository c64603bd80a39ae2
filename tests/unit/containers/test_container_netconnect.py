"""containers/netconnect: a container's networks change under its lock, in its own record,
through the network service's public calls (a fake here)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from dockyard.containers import netconnect
from dockyard.containers.record import Container, ContainerRecord, State
from dockyard.containers.store import ContainerStore
from dockyard.errors import InvalidParameter, NotFound
from dockyard.network.attachment import Attachment
from dockyard.network.options import ConnectOptions, DisconnectOptions
from dockyard.state.db import Database

NET = {"Id": "n" * 64, "Name": "front", "Driver": "bridge"}


class FakeNetworks:
    def __init__(self, store: ContainerStore) -> None:
        self.store = store
        self.calls: list[tuple[str, bool]] = []  # (call, container lock held)

    def _held(self, cid: str) -> bool:
        lock = self.store.get(cid).lock
        # An RLock held by this thread can be taken again without blocking; by no one, too:
        # tell them apart by whether another thread can take it.
        got: list[bool] = []

        def probe() -> None:
            got.append(lock.acquire(blocking=False))
            if got[0]:
                lock.release()

        t = threading.Thread(target=probe)
        t.start()
        t.join()
        return not got[0]

    def network(self, ref: str) -> dict[str, Any]:
        if ref not in (NET["Id"], NET["Name"]):
            raise NotFound(f"network {ref} not found")
        return NET

    def join(self, att: Attachment, network: str, cfg: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("join", self._held(att.id)))
        return {"NetworkID": NET["Id"], "IPAddress": "10.0.0.2", "Aliases": cfg.get("Aliases")}

    def planned_endpoint(self, network: str, cfg: dict[str, Any]) -> dict[str, Any]:
        return {"NetworkID": "", "IPAddress": "", "Aliases": cfg.get("Aliases")}

    def leave(self, cid: str, network: str, force: bool) -> None:
        self.calls.append(("leave", self._held(cid)))

    def refresh_etc(self, att: Attachment) -> None:
        self.calls.append(("refresh_etc", self._held(att.id)))


@pytest.fixture
def env(tmp_path: Path) -> tuple[ContainerStore, FakeNetworks, list[tuple]]:
    store = ContainerStore(Database(tmp_path / "dockyard.db"), tmp_path / "containers")
    for cid, name, running in (("a" * 64, "up", True), ("b" * 64, "down", False)):
        store.reserve_name(name, cid)
        rec = ContainerRecord(id=cid, name=name, state=State(running=running))
        rec.network.networks = {"bridge": {}}
        store.add(Container(rec))
    events: list[tuple] = []
    return store, FakeNetworks(store), events


def test_connect_running_joins_under_the_lock_and_saves(env: Any, tmp_path: Path) -> None:
    store, nets, events = env
    opts = ConnectOptions(container="up", endpoint_config={"Aliases": ["web"]})
    netconnect.connect(store, nets, lambda *e: events.append(e), "front", opts)
    assert nets.calls == [("join", True), ("refresh_etc", True)]
    saved = ContainerStore(store.db, tmp_path / "containers").get("up")
    assert saved.network.networks["front"]["IPAddress"] == "10.0.0.2"
    assert events == [
        (
            "network",
            "connect",
            NET["Id"],
            {"container": "a" * 64, "name": "front", "type": "bridge"},
        )
    ]
    with pytest.raises(InvalidParameter, match="already exists in network front"):
        netconnect.connect(store, nets, lambda *e: None, "front", opts)


def test_connect_stopped_records_a_planned_endpoint(env: Any) -> None:
    store, nets, _ = env
    netconnect.connect(store, nets, lambda *e: None, "front", ConnectOptions(container="down"))
    assert nets.calls == []
    assert store.get("down").network.networks["front"]["IPAddress"] == ""


def test_disconnect(env: Any) -> None:
    store, nets, events = env
    netconnect.connect(store, nets, lambda *e: None, "front", ConnectOptions(container="up"))
    nets.calls.clear()
    netconnect.disconnect(
        store, nets, lambda *e: events.append(e), "front", DisconnectOptions(container="up")
    )
    assert nets.calls == [("leave", True), ("refresh_etc", True)]
    assert "front" not in store.get("up").network.networks
    assert events[0][:2] == ("network", "disconnect")
    with pytest.raises(InvalidParameter, match="is not connected to network front"):
        netconnect.disconnect(store, nets, lambda *e: None, "front", DisconnectOptions("up"))
    with pytest.raises(NotFound):
        netconnect.disconnect(store, nets, lambda *e: None, "front", DisconnectOptions("gone"))
    netconnect.disconnect(  # force: a missing container is not an error
        store, nets, lambda *e: None, "front", DisconnectOptions("gone", force=True)
    )
