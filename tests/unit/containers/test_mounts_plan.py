"""plan_mounts: Binds, Mounts, Tmpfs, image/Config Volumes, VolumesFrom; errors create nothing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from dockyard.containers.mounts import (
    PlannedMount,
    anonymous_volumes,
    plan_mounts,
    populate_volumes,
    setup_mounts,
    teardown_mounts,
    volumes_in_use,
)
from dockyard.errors import InvalidParameter, NotFound
from dockyard.volumes.store import VolumeStore


@pytest.fixture
def store(tmp_path: Path) -> VolumeStore:
    return VolumeStore(tmp_path / "root")


def plan(store: VolumeStore, host_config: dict[str, Any], **kw: Any) -> list[PlannedMount]:
    config = kw.pop("config", {})
    image_volumes = kw.pop("image_volumes", None)
    return plan_mounts(config, host_config, image_volumes, store, **kw)


def by_dest(mounts: list[PlannedMount]) -> dict[str, PlannedMount]:
    return {m.destination: m for m in mounts}


def test_bind_from_binds(store: VolumeStore, tmp_path: Path) -> None:
    [m] = plan(store, {"Binds": [f"{tmp_path}:/host:ro"]})
    assert m.mount_point() == {
        "Type": "bind",
        "Name": "",
        "Source": str(tmp_path),
        "Destination": "/host",
        "Driver": "",
        "Mode": "ro",
        "RW": False,
        "Propagation": "rprivate",
    }
    assert m.oci() == {
        "destination": "/host",
        "type": "bind",
        "source": str(tmp_path),
        "options": ["rbind", "ro", "rprivate"],
    }
    assert m.oci(recursive_readonly=True)["options"] == ["rbind", "rro", "rprivate"]
    assert not m.copy_data


def test_bind_propagation_from_mode(store: VolumeStore, tmp_path: Path) -> None:
    [m] = plan(store, {"Binds": [f"{tmp_path}//x/..:/h/:rw,rshared"]})
    assert m.source == str(tmp_path)
    assert m.destination == "/h"
    assert m.propagation == "rshared"
    assert m.oci()["options"] == ["rbind", "rshared"]


def test_named_volume_from_binds(store: VolumeStore) -> None:
    [m] = plan(store, {"Binds": ["data:/var/lib/data"]})
    doc = store.get("data")
    assert m.mount_point() == {
        "Type": "volume",
        "Name": "data",
        "Source": doc["Mountpoint"],
        "Destination": "/var/lib/data",
        "Driver": "local",
        "Mode": "z",
        "RW": True,
        "Propagation": "",
    }
    assert m.oci() == {
        "destination": "/var/lib/data",
        "type": "bind",
        "source": doc["Mountpoint"],
        "options": ["rbind"],
    }
    assert m.copy_data and not m.anonymous
    assert doc["Labels"] is None


def test_nocopy_mode(store: VolumeStore) -> None:
    [m] = plan(store, {"Binds": ["data:/d:ro,nocopy"]})
    assert not m.copy_data and not m.rw and m.mode == "ro,nocopy"


def test_anonymous_from_image_and_config(store: VolumeStore) -> None:
    mounts = plan(
        store,
        {"Binds": ["named:/named"]},
        config={"Volumes": {"/cfg": {}, "/named": {}}},
        image_volumes={"/img/": {}},
    )
    ms = by_dest(mounts)
    assert set(ms) == {"/named", "/img", "/cfg"}
    for dest in ("/img", "/cfg"):
        m = ms[dest]
        assert m.anonymous and m.copy_data and m.mode == "" and m.rw
        assert store.get(m.name)["Labels"] == {"com.docker.volume.anonymous": ""}
    assert sorted(anonymous_volumes(mounts)) == sorted([ms["/img"].name, ms["/cfg"].name])


def test_mounts_items(store: VolumeStore, tmp_path: Path) -> None:
    mounts = plan(
        store,
        {
            "Mounts": [
                {"Type": "bind", "Source": str(tmp_path), "Target": "/b", "ReadOnly": True},
                {
                    "Type": "volume",
                    "Source": "vol1",
                    "Target": "/v",
                    "VolumeOptions": {
                        "NoCopy": True,
                        "Labels": {"x": "y"},
                        "DriverConfig": {"Name": "local", "Options": {}},
                    },
                },
                {"Type": "volume", "Target": "/anon"},
                {
                    "Type": "tmpfs",
                    "Target": "/t",
                    "TmpfsOptions": {"SizeBytes": 65536 * 1024, "Mode": 0o1777},
                },
            ]
        },
    )
    ms = by_dest(mounts)
    assert ms["/b"].mount_point()["Propagation"] == "rprivate"
    assert ms["/b"].mode == "" and not ms["/b"].create_source
    assert store.get("vol1")["Labels"] == {"x": "y"}
    assert store.get("vol1")["Options"] is None  # Docker: null when no options were given
    assert not ms["/v"].copy_data and ms["/v"].mode == "z"
    assert ms["/anon"].anonymous and ms["/anon"].copy_data
    assert ms["/t"].mount_point() == {
        "Type": "tmpfs",
        "Name": "",
        "Source": "",
        "Destination": "/t",
        "Driver": "",
        "Mode": "",
        "RW": True,
        "Propagation": "",
    }
    assert ms["/t"].oci() == {
        "destination": "/t",
        "type": "tmpfs",
        "source": "tmpfs",
        "options": ["noexec", "nosuid", "nodev", "rprivate", "mode=1777", "size=64m"],
    }


def test_host_config_tmpfs(store: VolumeStore) -> None:
    [m] = plan(store, {"Tmpfs": {"/run": "rw,exec,size=64m", "/x": ""}})[:1]
    assert not m.in_inspect
    assert m.oci()["options"] == ["nosuid", "nodev", "rprivate", "rw", "exec", "size=64m"]


def test_tmpfs_blocks_anonymous_volume(store: VolumeStore) -> None:
    mounts = plan(store, {"Tmpfs": {"/data": ""}}, image_volumes={"/data": {}})
    assert [m.type for m in mounts] == ["tmpfs"]
    assert store.list() == []


def test_volume_driver_applies_to_binds(store: VolumeStore) -> None:
    with pytest.raises(NotFound) as exc:
        plan(store, {"Binds": ["v1:/v"], "VolumeDriver": "convoy"})
    assert exc.value.message == (
        'create v1: error looking up volume plugin convoy: plugin "convoy" not found'
    )


def test_daemon_root_gets_rslave(store: VolumeStore, tmp_path: Path) -> None:
    root = str(tmp_path / "root")
    [m] = plan(store, {"Binds": [f"{tmp_path}:/all"]}, daemon_root=root)
    assert m.propagation == "rslave"
    with pytest.raises(InvalidParameter) as exc:
        plan(
            store,
            {
                "Mounts": [
                    {
                        "Type": "bind",
                        "Source": root,
                        "Target": "/r",
                        "BindOptions": {"Propagation": "private"},
                    }
                ]
            },
            daemon_root=root,
        )
    assert 'must use either propagation mode "rslave" or "rshared"' in exc.value.message


# --- errors: exact texts, and nothing created ---


def bad(store: VolumeStore, host_config: dict[str, Any], **kw: Any) -> str:
    before = sorted(p.name for p in store.root.iterdir())
    with pytest.raises(InvalidParameter) as exc:
        plan(store, host_config, **kw)
    assert sorted(p.name for p in store.root.iterdir()) == before
    assert exc.value.status == 400
    return exc.value.message


@pytest.mark.parametrize(
    ("binds", "message"),
    [
        (
            ["x/y:/data"],
            'create x/y: "x/y" includes invalid characters for a local volume name, only '
            '"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, '
            "use absolute path",
        ),
        (
            ["/src:dst"],
            "invalid volume specification: '/src:dst': invalid mount config for type "
            "\"bind\": invalid mount path: 'dst' mount path must be absolute",
        ),
        (
            ["/src:/"],
            "invalid volume specification: '/src:/': invalid mount config for type "
            "\"bind\": invalid specification: destination can't be '/'",
        ),
        (["/src:/d:bogus"], "invalid mode: bogus"),
        (["/src:/d:ro,rw"], "invalid mode: ro,rw"),
        (["/foo:ro"], "invalid volume specification: '/foo:ro'"),
        ([":/d"], "invalid volume specification: ':/d'"),
        (["/a:/b:ro:x"], "invalid volume specification: '/a:/b:ro:x'"),
        (["/a:/d", "/b:/d/"], "Duplicate mount point: /d"),
        (["ok1:/d", "/b:/d"], "Duplicate mount point: /d"),
    ],
)
def test_bind_errors(store: VolumeStore, binds: list[str], message: str) -> None:
    assert bad(store, {"Binds": binds}) == message


def test_bind_duplicate_with_tmpfs(store: VolumeStore) -> None:
    assert (
        bad(store, {"Binds": ["v1:/run"], "Tmpfs": {"/run": ""}}) == "Duplicate mount point: /run"
    )


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            {"Type": "bind", "Source": "/definitely/not/here", "Target": "/x"},
            'invalid mount config for type "bind": bind source path does not exist: '
            "/definitely/not/here",
        ),
        (
            {"Type": "bind", "Source": "rel", "Target": "/x"},
            "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute",
        ),
        (
            {"Type": "bind", "Target": "/x"},
            'invalid mount config for type "bind": field Source must not be empty',
        ),
        (
            {"Type": "volume", "Source": "v"},
            'invalid mount config for type "volume": field Target must not be empty',
        ),
        (
            {"Type": "volume", "Target": "/"},
            "invalid mount config for type \"volume\": invalid specification: destination can't be '/'",
        ),
        (
            {"Type": "volume", "Target": "rel"},
            "invalid mount config for type \"volume\": invalid mount path: 'rel' mount path must be absolute",
        ),
        (
            {"Type": "tmpfs", "Source": "x", "Target": "/t"},
            'invalid mount config for type "tmpfs": field Source must not be specified',
        ),
        (
            {"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"Options": [["nosuid"]]}},
            'invalid mount config for type "tmpfs": invalid option: nosuid',
        ),
        (
            {"Type": "volume", "Target": "/t", "BindOptions": {}},
            'invalid mount config for type "volume": field BindOptions must not be specified',
        ),
        (
            {"Type": "bind", "Source": "/", "Target": "/t", "VolumeOptions": {"NoCopy": True}},
            'invalid mount config for type "bind": field VolumeOptions must not be specified',
        ),
        (
            {"Type": "bind", "Source": "/", "Target": "/t", "BindOptions": {"Propagation": "odd"}},
            'invalid mount config for type "bind": invalid propagation mode: odd',
        ),
        (
            {"Type": "npipe", "Target": "/t"},
            'invalid mount config for type "npipe": mount type unknown',
        ),
        (
            {"Type": "volume", "Target": "/t", "VolumeOptions": {"Subpath": "a"}},
            'invalid mount config for type "volume": must not set Subpath when using anonymous volumes',
        ),
        (
            {"Type": "volume", "Source": "v", "Target": "/t", "VolumeOptions": {"Subpath": "../a"}},
            'invalid mount config for type "volume": subpath must be a relative path within the volume',
        ),
        (
            {
                "Type": "volume",
                "Source": "vv",
                "Target": "/t",
                "VolumeOptions": {"DriverConfig": {"Options": {"x": "1"}}},
            },
            'create vv: invalid option: "x"',
        ),
    ],
)
def test_mounts_errors(store: VolumeStore, item: dict[str, Any], message: str) -> None:
    assert bad(store, {"Mounts": [item]}) == message


def test_mounts_duplicate_uses_raw_target(store: VolumeStore, tmp_path: Path) -> None:
    hc = {
        "Binds": [f"{tmp_path}:/data"],
        "Mounts": [{"Type": "volume", "Source": "v1", "Target": "/data/"}],
    }
    assert bad(store, hc) == "Duplicate mount point: /data/"


def test_tmpfs_errors(store: VolumeStore) -> None:
    assert bad(store, {"Tmpfs": {"/": ""}}) == "invalid specification: destination can't be '/'"
    assert bad(store, {"Tmpfs": {"run": ""}}) == (
        "invalid mount path: 'run' mount path must be absolute"
    )
    assert bad(store, {"Tmpfs": {"/run": "size=1m,bogus"}}) == 'invalid tmpfs option ["bogus"]'


def test_config_volume_errors(store: VolumeStore) -> None:
    assert bad(store, {}, config={"Volumes": {"data": {}}}) == (
        "invalid volume specification: 'data': invalid mount config for type \"volume\": "
        "invalid mount path: 'data' mount path must be absolute"
    )


def test_late_error_creates_nothing(store: VolumeStore) -> None:
    """Volumes before a failing item must not be created: validation runs first."""
    hc = {
        "Binds": ["first:/a", "second:/b"],
        "Mounts": [{"Type": "bind", "Source": "/definitely/missing", "Target": "/c"}],
    }
    bad(store, hc, image_volumes={"/img": {}})
    assert store.list() == []


def test_failed_creation_rolls_back(store: VolumeStore, monkeypatch: pytest.MonkeyPatch) -> None:
    real = store.create_or_get
    calls = []

    def flaky(*args: Any, **kw: Any) -> Any:
        calls.append(args)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(*args, **kw)

    store.create("exists")
    monkeypatch.setattr(store, "create_or_get", flaky)
    with pytest.raises(OSError):
        plan(store, {"Binds": ["exists:/e", "new1:/a", "new2:/b"]}, ref="c1")
    monkeypatch.undo()
    assert [d["Name"] for d in store.list()] == ["exists"]
    store.remove("exists")  # the reference taken for c1 was released


def test_cannot_mount_volume_over_file(store: VolumeStore, tmp_path: Path) -> None:
    rootfs = tmp_path / "rootfs"
    (rootfs / "etc").mkdir(parents=True)
    (rootfs / "etc" / "passwd").write_text("root")
    message = bad(store, {}, image_volumes={"/etc/passwd": {}}, rootfs=rootfs)
    assert message == f"cannot mount volume over existing file, file exists {rootfs}/etc/passwd"


# --- volumes-from ---


def test_volumes_from(store: VolumeStore, tmp_path: Path) -> None:
    theirs = plan(
        store,
        {
            "Binds": [f"{tmp_path}:/host", "shared:/shared:z"],
            "Tmpfs": {"/run": ""},
            "Mounts": [{"Type": "tmpfs", "Target": "/t"}],
        },
    )
    saved = [m.to_dict() for m in theirs]
    asked = []

    def resolver(ident: str) -> list[dict[str, Any]]:
        asked.append(ident)
        return saved

    mine = plan(store, {"VolumesFrom": ["other:ro"]}, volumes_from=resolver, ref="me")
    assert asked == ["other"]
    ms = by_dest(mine)
    assert set(ms) == {"/host", "/shared", "/t"}  # their HostConfig.Tmpfs is not inherited
    assert not any(m.rw for m in mine)
    assert ms["/shared"].name == "shared" and not ms["/shared"].anonymous
    assert ms["/shared"].mode == ""
    assert volumes_in_use([("me", mine)]) == {"shared": ["me"]}
    assert store.list({"dangling": ["false"]})[0]["Name"] == "shared"  # referenced by "me"


def test_binds_override_volumes_from(store: VolumeStore, tmp_path: Path) -> None:
    theirs = [m.to_dict() for m in plan(store, {"Binds": ["shared:/data"]})]
    mine = plan(
        store,
        {"VolumesFrom": ["other"], "Binds": [f"{tmp_path}:/data"]},
        volumes_from=lambda _id: theirs,
    )
    assert [(m.type, m.source) for m in mine] == [("bind", str(tmp_path))]


def test_volumes_from_errors(store: VolumeStore) -> None:
    def missing(ident: str) -> list[Any]:
        raise NotFound(f"No such container: {ident}")

    assert (
        bad(store, {"VolumesFrom": ["ghost"]}, volumes_from=missing) == "No such container: ghost"
    )
    assert bad(store, {"VolumesFrom": [""]}, volumes_from=missing) == (
        "volumes-from specification cannot be an empty string"
    )
    for mode in ("rslave", "nocopy", "bogus"):
        message = bad(store, {"VolumesFrom": [f"c1:{mode}"]}, volumes_from=missing)
        assert message == f"invalid mode: {mode}"


# --- start / stop / populate ---


def test_setup_sorts_and_creates_bind_sources(store: VolumeStore, tmp_path: Path) -> None:
    host = tmp_path / "made-by-v"
    mounts = plan(
        store,
        {"Binds": [f"{host}/deep:/a/b/c", "v1:/a"], "Tmpfs": {"/a/b": ""}},
    )
    assert not host.exists()  # nothing on the host until start
    oci = setup_mounts(mounts, store)
    assert [m["destination"] for m in oci] == ["/a", "/a/b", "/a/b/c"]
    assert (host / "deep").is_dir()
    teardown_mounts(mounts, store)


def test_setup_refuses_missing_mount_source(store: VolumeStore, tmp_path: Path) -> None:
    src = tmp_path / "gone"
    src.mkdir()
    mounts = plan(store, {"Mounts": [{"Type": "bind", "Source": str(src), "Target": "/x"}]})
    src.rmdir()
    with pytest.raises(InvalidParameter) as exc:
        setup_mounts(mounts, store)
    assert exc.value.message.endswith(f"bind source path does not exist: {src}")


def test_subpath(store: VolumeStore) -> None:
    item = {"Type": "volume", "Source": "sp", "Target": "/s", "VolumeOptions": {"Subpath": "in"}}
    mounts = plan(store, {"Mounts": [item]})
    with pytest.raises(Exception, match="cannot access path"):
        setup_mounts(mounts, store)
    (Path(store.get("sp")["Mountpoint"]) / "in").mkdir()
    [oci] = setup_mounts(mounts, store)
    assert oci["source"] == store.get("sp")["Mountpoint"] + "/in"


def test_populate_copies_into_new_volumes_only(store: VolumeStore, tmp_path: Path) -> None:
    rootfs = tmp_path / "rootfs"
    (rootfs / "data").mkdir(parents=True)
    (rootfs / "data" / "seed").write_text("from image")
    (rootfs / "keep").mkdir()
    (rootfs / "keep" / "seed").write_text("from image")
    old = store.create("old")
    Path(old["Mountpoint"], "mine").write_text("user data")
    mounts = plan(
        store,
        {"Binds": ["old:/keep", "fresh:/data", "nc:/data2:nocopy"]},
        image_volumes={"/nothing-here": {}},
    )
    done = populate_volumes(mounts, rootfs, store)
    assert done == ["fresh"]
    assert Path(store.get("fresh")["Mountpoint"], "seed").read_text() == "from image"
    assert os.listdir(old["Mountpoint"]) == ["mine"]
    assert not any(m.copy_data for m in mounts)  # persisted plans never copy again
    assert populate_volumes(mounts, rootfs, store) == []


def test_roundtrip_dict(store: VolumeStore) -> None:
    [m] = plan(store, {"Binds": ["v1:/v:ro"]})
    assert PlannedMount.from_dict({**m.to_dict(), "future": 1}) == m


def test_recursive_readonly(store: VolumeStore, tmp_path: Path) -> None:
    mounts = plan(
        store,
        {
            "Binds": [f"{tmp_path}:/a:ro"],
            "Mounts": [
                {
                    "Type": "bind",
                    "Source": str(tmp_path),
                    "Target": "/b",
                    "ReadOnly": True,
                    "BindOptions": {"ReadOnlyNonRecursive": True},
                }
            ],
        },
    )
    rro = setup_mounts(mounts, store, recursive_readonly=True)
    assert [m["options"] for m in rro] == [
        ["rbind", "rro", "rprivate"],
        ["rbind", "ro", "rprivate"],
    ]
    plain = setup_mounts(mounts, store, recursive_readonly=False)
    assert [m["options"][1] for m in plain] == ["ro", "ro"]
