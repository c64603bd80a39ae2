"""containers/store: records as rows of the `containers` table, names unique, lookups."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from dockyard.common.timefmt import ZERO_TIME
from dockyard.containers import model, views
from dockyard.containers.record import Container, ContainerRecord
from dockyard.containers.store import ContainerStore
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


def _insert(db: Database, doc: dict) -> None:
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO containers(id, name, doc) VALUES (?, ?, ?)",
            (doc["Id"], doc["Name"].lstrip("/"), json.dumps(doc)),
        )


def _stored(db: Database, cid: str) -> dict:
    return json.loads(db.query("SELECT doc FROM containers WHERE id=?", (cid,))[0][0])


def test_rows_written_by_an_older_daemon_load_unchanged(db: Database, tmp_path: Path) -> None:
    doc = _doc("a" * 64, "old")
    _insert(db, doc)
    store = ContainerStore(db, tmp_path / "containers")
    c = store.get("old")
    assert c.record.created == doc["Created"] and c.config.image == "busybox"
    assert c.state.status == "exited" and not c.running and c.manually_stopped
    assert store.get("/old") is c and store.get("aaaa") is c
    assert store.dir(c.id) == tmp_path / "containers" / c.id


def test_add_rename_delete_round_trip(db: Database, tmp_path: Path) -> None:
    store = ContainerStore(db, tmp_path / "containers")
    cid = "b" * 64
    name = store.reserve_name("web", cid)
    with pytest.raises(Conflict):
        store.reserve_name("web", "c" * 64)
    store.add(Container(ContainerRecord.from_stored(_doc(cid, name))))
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
        store.add(Container(ContainerRecord.from_stored(_doc(cid, store.reserve_name(None, cid)))))
    with pytest.raises(InvalidParameter, match="multiple IDs"):
        store.get("a")
    assert len({c.name for c in store.all()}) == 2


def _old_row(cid: str) -> dict:
    """A row as the daemon wrote it before the typed record (create, start, stop)."""
    cdir = f"/var/lib/dockyard/containers/{cid}"
    plan = {
        "type": "volume", "destination": "/data", "source": "/v/_data", "name": "v",
        "driver": "local", "mode": "z", "rw": True, "propagation": "", "copy_data": False,
        "anonymous": False, "create_source": False, "tmpfs_data": "", "in_inspect": True,
        "subpath": "", "nonrecursive": False, "spec": {},
    }  # fmt: skip
    endpoint = {"NetworkID": "n" * 64, "IPAddress": "", "Aliases": ["web"], "Links": None}
    return {
        "Id": cid,
        "Created": "2026-01-02T03:04:05.000000001Z",
        "Path": "sleep",
        "Args": ["600"],
        "State": {
            "Status": "exited",
            "Running": False,
            "Paused": False,
            "Restarting": False,
            "OOMKilled": False,
            "Dead": False,
            "Pid": 0,
            "ExitCode": 137,
            "Error": "",
            "StartedAt": "2026-01-02T03:04:06.000000001Z",
            "FinishedAt": "2026-01-02T03:05:06.000000001Z",
        },  # fmt: skip
        "Image": "sha256:" + "f" * 64,
        "ResolvConfPath": f"{cdir}/resolv.conf",
        "HostnamePath": f"{cdir}/hostname",
        "HostsPath": f"{cdir}/hosts",
        "LogPath": f"{cdir}/ctr.log",
        "Name": "/legacy",
        "RestartCount": 2,
        "Driver": "overlay2",
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": None,
        "HostConfig": {
            **model.normalize_host_config(
                {"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3}}, "runc"
            ),
            "Memory": 64 * 1024 * 1024,
        },
        "GraphDriver": {"Name": "overlay2", "Data": {"UpperDir": f"{cdir}/upper"}},
        "Mounts": [
            {
                "Type": "volume",
                "Name": "v",
                "Source": "/v/_data",
                "Destination": "/data",
                "Driver": "local",
                "Mode": "z",
                "RW": True,
                "Propagation": "",
            }
        ],  # fmt: skip
        "_MountPlan": [plan],
        "Config": {
            "Hostname": "legacyhost",
            "Domainname": "",
            "User": "",
            "AttachStdin": False,
            "AttachStdout": True,
            "AttachStderr": True,
            "ExposedPorts": {"80/tcp": {}},
            "Tty": False,
            "OpenStdin": False,
            "StdinOnce": False,
            "Env": ["PATH=/bin"],
            "Cmd": ["sleep", "600"],
            "Image": "busybox",
            "Volumes": None,
            "WorkingDir": "",
            "Entrypoint": None,
            "OnBuild": None,
            "Labels": {"tier": "web"},
            "StopSignal": "SIGINT",
            "ArgsEscaped": False,
        },  # fmt: skip
        "NetworkSettings": {
            "Bridge": "",
            "SandboxID": cid,
            "SandboxKey": "",
            "HairpinMode": False,
            "LinkLocalIPv6Address": "",
            "LinkLocalIPv6PrefixLen": 0,
            "Ports": {},
            "SecondaryIPAddresses": None,
            "SecondaryIPv6Addresses": None,
            "EndpointID": "",
            "Gateway": "",
            "GlobalIPv6Address": "",
            "GlobalIPv6PrefixLen": 0,
            "IPAddress": "",
            "IPPrefixLen": 0,
            "IPv6Gateway": "",
            "MacAddress": "",
            "Networks": {"front": endpoint},
        },  # fmt: skip
        "_ImageRef": "busybox",
        "_Networking": {"EndpointsConfig": {"front": {"Aliases": ["web"]}}},
        "_ManuallyStopped": True,
    }


def test_an_upgraded_daemon_finds_its_old_containers(db: Database, tmp_path: Path) -> None:
    """A row in the old shape: typed on load, shown and saved again as it was."""
    old = _old_row("d" * 64)
    _insert(db, old)
    store = ContainerStore(db, tmp_path / "containers")
    c = store.get("legacy")
    assert c.state.exit_code == 137 and c.record.restart_count == 2 and c.manually_stopped
    assert c.host_config.restart_policy.name == "on-failure"
    assert c.host_config.restart_policy.maximum_retry_count == 3
    assert c.config.stop_signal == "SIGINT" and c.config.labels == {"tier": "web"}
    assert c.config.stop_timeout is None and c.record.image_ref == "busybox"
    assert c.record.mounts[0].name == "v" and c.network.networks["front"]["Aliases"] == ["web"]
    assert c.record.endpoints_config == {"front": {"Aliases": ["web"]}}
    shown = views.inspect(store, None, c)  # type: ignore[arg-type]
    expected = copy.deepcopy({k: v for k, v in old.items() if not k.startswith("_")})
    for key in ("Mounts", "Tmpfs", "Init"):  # Docker leaves these out when empty
        assert expected["HostConfig"].pop(key) is None
    assert shown == expected
    store.save(c)
    saved = _stored(db, c.id)
    assert {k: saved[k] for k in old} == old
    assert set(saved) - set(old) == {"_WasRunningAtShutdown"}
    again = ContainerStore(db, tmp_path / "containers").get("legacy")
    assert views.document(again.record) == views.document(c.record)


def test_save_many_writes_every_record_in_one_go(db: Database, tmp_path: Path) -> None:
    store = ContainerStore(db, tmp_path / "containers")
    ids = [c * 64 for c in "def"]
    for cid in ids:
        store.add(Container(ContainerRecord.from_stored(_doc(cid, store.reserve_name(None, cid)))))
    cs = [store.find(cid) for cid in ids]
    for c in cs:
        c.record.state.status = "running"
    store.save_many(cs)
    store.save_many([])  # nothing to write: no empty transaction either
    assert [_stored(db, cid)["State"]["Status"] for cid in ids] == ["running"] * 3


def test_summary_json_is_the_summary_and_follows_every_save(db: Database, tmp_path: Path) -> None:
    doc = _doc("c" * 64, "web")
    doc["NetworkSettings"] = {"Networks": {"none": {"NetworkID": "n1"}}}
    _insert(db, doc)
    store = ContainerStore(db, tmp_path / "containers")
    c = store.get("web")
    links = views.link_names(store.all())
    first = json.loads(views.summary_json(c, links))
    assert first == views.summary(store, None, c, links=links)  # type: ignore[arg-type]
    assert first["Names"] == ["/web"] and first["NetworkSettings"]["Networks"]["none"]
    # A change shows once the record is saved (the stable part is cached until then).
    c.network.networks["bridge"] = {"NetworkID": "n2"}
    store.save(c)
    second = json.loads(views.summary_json(c, links))
    assert set(second["NetworkSettings"]["Networks"]) == {"none", "bridge"}
    # Names and state are never cached.
    store.rename(c, "site")
    c.state.status = "running"
    third = json.loads(views.summary_json(c, links))
    assert third["Names"] == ["/site"] and third["State"] == "running"


def test_id_prefixes_follow_adds_and_deletes(db: Database, tmp_path: Path) -> None:
    for cid, name in (("ab" + "0" * 62, "one"), ("ab" + "1" * 62, "two"), ("cd" + "0" * 62, "three")):
        _insert(db, _doc(cid, name))
    store = ContainerStore(db, tmp_path / "containers")
    with pytest.raises(InvalidParameter, match="multiple IDs found with provided prefix: ab"):
        store.get("ab")
    assert store.get("ab1").name == "two" and store.get("c").name == "three"
    store.delete(store.get("ab0"))
    assert store.get("ab").name == "two"  # no longer ambiguous
    with pytest.raises(NotFound):
        store.get("ab0")
    c = Container(ContainerRecord.from_stored(_doc("ab" + "2" * 62, "four")))
    store.reserve_name("four", c.id)
    store.add(c)
    with pytest.raises(InvalidParameter):
        store.get("ab")
    assert store.get("ab2") is c
    with pytest.raises(NotFound):
        store.get("e")
