"""VolumeStore: create/get/list/filters/remove/prune/in-use, crash recovery."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from dockyard.errors import Conflict, InvalidParameter, NotFound
from dockyard.volumes.store import ANONYMOUS_LABEL, VolumeStore


@pytest.fixture
def users() -> dict[str, list[str]]:
    return {}


@pytest.fixture
def store(tmp_path: Path, users: dict[str, list[str]]) -> VolumeStore:
    return VolumeStore(tmp_path, in_use=lambda: users)


def test_create_named(store: VolumeStore, tmp_path: Path) -> None:
    doc = store.create("data", labels={"a": "b"}, driver_opts={})
    assert doc["Name"] == "data"
    assert doc["Driver"] == "local"
    assert doc["Scope"] == "local"
    assert doc["Labels"] == {"a": "b"}
    assert doc["Options"] is None  # Docker: null when no options were given
    assert doc["Mountpoint"] == str(tmp_path / "volumes" / "data" / "_data")
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$", doc["CreatedAt"])
    assert Path(doc["Mountpoint"]).is_dir()
    assert oct(Path(doc["Mountpoint"]).stat().st_mode & 0o777) == oct(0o755)
    assert "UsageData" not in doc
    assert store.get("data") == doc


def test_create_is_idempotent(store: VolumeStore) -> None:
    first = store.create("data", labels={"a": "b"})
    (Path(first["Mountpoint"]) / "f").write_text("keep")
    again, created = store.create_or_get("data", labels={"other": "x"})
    assert not created
    assert again == first
    assert (Path(first["Mountpoint"]) / "f").read_text() == "keep"


def test_create_anonymous(store: VolumeStore) -> None:
    doc = store.create()
    assert re.fullmatch(r"[0-9a-f]{64}", doc["Name"])
    assert doc["Labels"] == {ANONYMOUS_LABEL: ""}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "x",
            "create x: volume name is too short, names should be at least two alphanumeric characters",
        ),
        (
            "a/b",
            'create a/b: "a/b" includes invalid characters for a local volume name, only '
            '"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, '
            "use absolute path",
        ),
        (
            ".hidden",
            'create .hidden: ".hidden" includes invalid characters for a local volume name, only '
            '"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, '
            "use absolute path",
        ),
    ],
)
def test_create_invalid_name(store: VolumeStore, name: str, message: str) -> None:
    with pytest.raises(InvalidParameter) as exc:
        store.create(name)
    assert exc.value.message == message
    assert not any(store.root.iterdir())


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        ({"foo": "bar"}, 'create v1: invalid option: "foo"'),
        ({"type": "tmpfs"}, 'create v1: missing required option: "device"'),
        ({"device": "tmpfs"}, 'create v1: missing required option: "type"'),
        ({"size": "10m"}, "create v1: quota size requested but no quota support"),
        ({"size": "lots"}, "create v1: invalid size: 'lots'"),
    ],
)
def test_create_invalid_options(store: VolumeStore, opts: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidParameter) as exc:
        store.create("v1", driver_opts=opts)
    assert exc.value.message == message
    assert not store.exists("v1")


def test_create_unknown_driver(store: VolumeStore) -> None:
    with pytest.raises(NotFound) as exc:
        store.create("v1", driver="nfsplugin")
    assert exc.value.message == (
        'create v1: error looking up volume plugin nfsplugin: plugin "nfsplugin" not found'
    )


def test_get_missing(store: VolumeStore) -> None:
    with pytest.raises(NotFound) as exc:
        store.get("nope")
    assert exc.value.message == "get nope: no such volume"
    assert exc.value.status == 404


def test_get_with_usage(store: VolumeStore, users: dict[str, list[str]]) -> None:
    doc = store.create("data")
    Path(doc["Mountpoint"], "f").write_bytes(b"x" * 1000)
    os.link(Path(doc["Mountpoint"], "f"), Path(doc["Mountpoint"], "hardlink"))
    Path(doc["Mountpoint"], "sub").mkdir()
    Path(doc["Mountpoint"], "sub", "g").write_bytes(b"y" * 24)
    users["data"] = ["c1", "c2"]
    assert store.get("data", usage=True)["UsageData"] == {"Size": 1024, "RefCount": 2}
    assert store.usage("data") == 1024


def test_persisted_across_instances(store: VolumeStore, tmp_path: Path) -> None:
    doc = store.create("data", labels={"k": "v"})
    assert VolumeStore(tmp_path).get("data") == doc


# --- list and filters ---


@pytest.fixture
def populated(store: VolumeStore, users: dict[str, list[str]]) -> VolumeStore:
    store.create("web-data", labels={"app": "web", "tier": "front"})
    store.create("db-data", labels={"app": "db"})
    store.create("scratch")
    users["db-data"] = ["c1"]
    return store


def _names(docs: list[dict]) -> list[str]:
    return [d["Name"] for d in docs]


def test_list_all_sorted(populated: VolumeStore) -> None:
    assert _names(populated.list()) == ["db-data", "scratch", "web-data"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"dangling": ["true"]}, ["scratch", "web-data"]),
        ({"dangling": ["1"]}, ["scratch", "web-data"]),
        ({"dangling": ["false"]}, ["db-data"]),
        ({"name": ["data"]}, ["db-data", "web-data"]),
        ({"name": ["^web"]}, ["web-data"]),
        ({"name": ["scratch", "db"]}, ["db-data", "scratch"]),
        ({"label": ["app"]}, ["db-data", "web-data"]),
        ({"label": ["app=web"]}, ["web-data"]),
        ({"label": ["app", "tier=front"]}, ["web-data"]),
        ({"label": ["app=nothing"]}, []),
        ({"driver": ["local"]}, ["db-data", "scratch", "web-data"]),
        ({"driver": ["other"]}, []),
        ({"dangling": ["true"], "label": ["app"]}, ["web-data"]),
    ],
)
def test_list_filters(populated: VolumeStore, filters: dict, expected: list[str]) -> None:
    assert _names(populated.list(filters)) == expected


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"bogus": ["1"]}, "invalid filter 'bogus'"),
        ({"dangling": ["maybe"]}, "invalid filter 'dangling=[maybe]'"),
        ({"dangling": ["true", "false"]}, "invalid filter 'dangling=[true false]'"),
    ],
)
def test_list_filter_errors(store: VolumeStore, filters: dict, message: str) -> None:
    with pytest.raises(InvalidParameter) as exc:
        store.list(filters)
    assert exc.value.message == message


# --- remove ---


def test_remove(store: VolumeStore) -> None:
    doc = store.create("data")
    Path(doc["Mountpoint"], "f").write_text("x")
    store.remove("data")
    assert not store.exists("data")
    assert not Path(doc["Mountpoint"]).exists()
    assert [p.name for p in store.root.iterdir()] == []


def test_remove_missing(store: VolumeStore) -> None:
    with pytest.raises(NotFound) as exc:
        store.remove("nope")
    assert exc.value.message == "get nope: no such volume"
    store.remove("nope", force=True)  # no error


def test_remove_in_use(store: VolumeStore, users: dict[str, list[str]]) -> None:
    store.create("data")
    users["data"] = ["abc123", "def456"]
    with pytest.raises(Conflict) as exc:
        store.remove("data")
    assert exc.value.status == 409
    assert exc.value.message == "remove data: volume is in use - [abc123, def456]"
    with pytest.raises(Conflict):
        store.remove("data", force=True)
    assert store.exists("data")


def test_references_count_as_in_use(store: VolumeStore) -> None:
    store.create_or_get("data", ref="c9")
    with pytest.raises(Conflict) as exc:
        store.remove("data")
    assert exc.value.message == "remove data: volume is in use - [c9]"
    store.release("c9")
    store.remove("data")


def test_events(tmp_path: Path) -> None:
    seen: list[tuple[str, str, dict]] = []
    store = VolumeStore(tmp_path, on_event=lambda a, n, at: seen.append((a, n, at)))
    store.create("data")
    store.create("data")  # existing: no second event
    store.remove("data")
    assert seen == [
        ("create", "data", {"driver": "local"}),
        ("destroy", "data", {"driver": "local"}),
    ]


# --- prune ---


def test_prune_only_anonymous_by_default(store: VolumeStore, users: dict) -> None:
    named = store.create("named")
    anon = store.create()
    busy = store.create()
    users[busy["Name"]] = ["c1"]
    Path(anon["Mountpoint"], "f").write_bytes(b"z" * 100)
    deleted, reclaimed = store.prune()
    assert deleted == [anon["Name"]]
    assert reclaimed == 100
    assert store.exists(named["Name"]) and store.exists(busy["Name"])


def test_prune_all(store: VolumeStore) -> None:
    store.create("named")
    store.create("withopts", driver_opts={"type": "tmpfs", "device": "tmpfs"})
    anon = store.create()
    deleted, _ = store.prune(all=True)
    assert sorted(deleted) == sorted(["named", anon["Name"]])
    assert store.exists("withopts")  # volumes with mount options are never pruned
    store.create("again")
    assert store.prune({"all": ["true"]})[0] == ["again"]


def test_prune_label_filters(store: VolumeStore) -> None:
    store.create("keep", labels={"keep": "yes"})
    store.create("drop", labels={"keep": "no"})
    assert store.prune({"label!": ["keep=yes"]}, all=True)[0] == ["drop"]
    store.create("drop2")
    assert store.prune({"label": ["keep"]}, all=True)[0] == ["keep"]
    assert store.exists("drop2")


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"dangling": ["true"]}, "invalid filter 'dangling'"),
        (
            {"all": ["true", "false"]},
            "invalid filter 'all=[true false]': only one value is expected",
        ),
        (
            {"all": ["nah"]},
            "invalid filter 'all': strconv.ParseBool: parsing \"nah\": invalid syntax",
        ),
    ],
)
def test_prune_filter_errors(store: VolumeStore, filters: dict, message: str) -> None:
    with pytest.raises(InvalidParameter) as exc:
        store.prune(filters)
    assert exc.value.message == message


def test_disk_usage(store: VolumeStore, users: dict) -> None:
    doc = store.create("data")
    store.create("dev", driver_opts={"type": "tmpfs", "device": "tmpfs"})
    Path(doc["Mountpoint"], "f").write_bytes(b"q" * 10)
    users["data"] = ["c1"]
    [entry] = store.disk_usage()
    assert entry["Name"] == "data"
    assert entry["UsageData"] == {"Size": 10, "RefCount": 1}


def test_mount_without_options_is_plain_path(store: VolumeStore) -> None:
    doc = store.create("data")
    assert store.mount("data") == doc["Mountpoint"]
    store.unmount("data")
    with pytest.raises(NotFound):
        store.mount("nope")


# --- crash safety ---


def test_recover_cleans_half_made_volumes(store: VolumeStore, tmp_path: Path) -> None:
    root = tmp_path / "volumes"
    store.create("good")
    # a create interrupted before its rename
    (root / ".tmp-half-1234" / "_data").mkdir(parents=True)
    # a remove interrupted after its rename
    (root / ".rm-gone-1234" / "_data").mkdir(parents=True)
    # a metadata write interrupted: its temp file is left behind
    (root / "good" / ".volume.json.tmp-999").write_text("{")
    # a stray temp file at the top
    (root / ".x.tmp-1").write_text("")
    # a directory with neither data nor metadata
    (root / "empty").mkdir()
    # data without metadata is adopted, never deleted
    (root / "orphan" / "_data").mkdir(parents=True)
    (root / "orphan" / "_data" / "precious").write_text("1")
    # ... and with a name no volume can have, it is left alone
    (root / "x" / "_data").mkdir(parents=True)
    # a directory that is not a volume at all is not ours to delete
    (root / "stranger").mkdir()
    (root / "stranger" / "file").write_text("?")

    store.recover()

    assert sorted(p.name for p in root.iterdir()) == ["good", "orphan", "stranger", "x"]
    assert [d["Name"] for d in store.list()] == ["good", "orphan"]
    assert sorted(p.name for p in (root / "good").iterdir()) == ["_data", "volume.json"]
    assert store.get("orphan")["Labels"] is None
    assert (root / "orphan" / "_data" / "precious").read_text() == "1"
    assert json.loads((root / "orphan" / "volume.json").read_text())["Name"] == "orphan"


def test_half_made_volume_is_invisible_before_recover(tmp_path: Path) -> None:
    (tmp_path / "volumes" / ".tmp-v1-0000" / "_data").mkdir(parents=True)
    store = VolumeStore(tmp_path)
    assert store.list() == []
    store.create("v1")  # the leftover does not block the name
    assert store.exists("v1")


def test_anonymous_create_error_names_an_id(store: VolumeStore) -> None:
    with pytest.raises(InvalidParameter) as exc:
        store.create(None, driver_opts={"bogus": "1"})
    assert re.fullmatch(r'create [0-9a-f]{64}: invalid option: "bogus"', exc.value.message)
    assert store.list() == []


def test_concurrent_creates_make_one_volume(store: VolumeStore) -> None:
    import threading

    results: list[bool] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        results.append(store.create_or_get("same")[1])

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
    assert [d["Name"] for d in store.list()] == ["same"]


def test_leftovers_of_interrupted_operations_are_found_and_fixed(store: VolumeStore) -> None:
    store.create("kept")
    (store.root / ".tmp-new-1234").mkdir()
    (store.root / ".rm-old-5678" / "_data").mkdir(parents=True)
    (store.root / ".meta-write").write_text("{")
    found = store.leftovers()
    assert sorted(resource.rsplit("/", 1)[-1] for resource, _, _ in found) == [
        ".meta-write",
        ".rm-old-5678",
        ".tmp-new-1234",
    ]
    for _, _, fix in found:
        fix()
    assert store.leftovers() == []
    assert [v["Name"] for v in store.list()] == ["kept"]
