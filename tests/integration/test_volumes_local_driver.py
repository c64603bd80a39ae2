"""The local driver's `-o type/device/o` volumes really mount and unmount (needs root)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.containers.mounts import plan_mounts, populate_volumes, setup_mounts, teardown_mounts
from dockyard.errors import DockyardError
from dockyard.volumes import localopts
from dockyard.volumes.store import VolumeStore

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="mounting needs root"),
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[VolumeStore]:
    vs = VolumeStore(tmp_path / "root")
    try:
        yield vs
    finally:  # whatever happened, leave no mount behind
        for mnt in sorted(localopts.mounts_under(vs.root), reverse=True):
            subprocess.run(["umount", "-l", mnt], check=False)


def test_tmpfs_volume_mounts_on_first_use_and_unmounts_after_last(store: VolumeStore) -> None:
    store.create("fast", driver_opts={"type": "tmpfs", "device": "tmpfs", "o": "size=4m,uid=1000"})
    data = store.data_path("fast")
    assert not localopts.is_mounted(data)
    assert store.mount("fast") == str(data)
    assert localopts.is_mounted(data)
    assert data.stat().st_uid == 1000
    store.mount("fast")  # a second user: no second mount
    assert localopts.mount_points().count(os.path.realpath(data)) == 1
    (data / "f").write_text("in memory")
    store.unmount("fast")
    assert localopts.is_mounted(data)  # still used once
    store.unmount("fast")
    assert not localopts.is_mounted(data)
    assert not (data / "f").exists()  # the tmpfs content went with it


def test_bind_device_volume(store: VolumeStore, tmp_path: Path) -> None:
    device = tmp_path / "device"
    device.mkdir()
    (device / "hello").write_text("from the host")
    store.create("bound", driver_opts={"type": "none", "device": str(device), "o": "bind"})
    path = Path(store.mount("bound"))
    assert (path / "hello").read_text() == "from the host"
    (path / "new").write_text("written through")
    store.unmount("bound")
    assert not localopts.is_mounted(path)
    assert (device / "new").read_text() == "written through"


def test_remove_never_deletes_through_a_mount(store: VolumeStore, tmp_path: Path) -> None:
    device = tmp_path / "precious"
    device.mkdir()
    (device / "keep").write_text("1")
    store.create("b2", driver_opts={"type": "none", "device": str(device), "o": "bind"})
    store.mount("b2")
    with pytest.raises(DockyardError, match="volume has active mounts"):
        store.remove("b2")
    store.unmount("b2")
    store.remove("b2")
    assert (device / "keep").read_text() == "1"


def test_remove_unmounts_a_leftover_mount(store: VolumeStore, tmp_path: Path) -> None:
    device = tmp_path / "dev3"
    device.mkdir()
    (device / "keep").write_text("1")
    store.create("b3", driver_opts={"type": "none", "device": str(device), "o": "bind"})
    store.mount("b3")
    # the daemon restarts: counts are lost, the mount is still there
    fresh = VolumeStore(store.root.parent)
    fresh.recover()
    fresh.remove("b3")
    assert (device / "keep").read_text() == "1"
    assert not localopts.mounts_under(store.root)


def test_failed_mount_reports_and_stays_unmounted(store: VolumeStore, tmp_path: Path) -> None:
    store.create(
        "broken", driver_opts={"type": "none", "device": str(tmp_path / "no"), "o": "bind"}
    )
    with pytest.raises(DockyardError, match="failed to mount local volume"):
        store.mount("broken")
    assert not localopts.is_mounted(store.data_path("broken"))
    store.remove("broken")


def test_populate_and_setup_with_tmpfs_volume(store: VolumeStore, tmp_path: Path) -> None:
    rootfs = tmp_path / "rootfs"
    (rootfs / "cache").mkdir(parents=True)
    (rootfs / "cache" / "seed").write_text("image")
    hc = {
        "Mounts": [
            {
                "Type": "volume",
                "Source": "tv",
                "Target": "/cache",
                "VolumeOptions": {
                    "DriverConfig": {"Options": {"type": "tmpfs", "device": "tmpfs"}}
                },
            }
        ]
    }
    plan = plan_mounts({}, hc, None, store, ref="c1")
    # copy-up lands in the mounted tmpfs, which is unmounted again afterwards
    assert populate_volumes(plan, rootfs, store) == ["tv"]
    assert not localopts.is_mounted(store.data_path("tv"))
    [oci] = setup_mounts(plan, store)
    assert oci["source"] == str(store.data_path("tv"))
    assert localopts.is_mounted(store.data_path("tv"))
    teardown_mounts(plan, store)
    assert not localopts.is_mounted(store.data_path("tv"))


def test_restore_after_daemon_restart(store: VolumeStore, tmp_path: Path) -> None:
    from dockyard.containers.mounts import restore_mounts

    store.create("rv", driver_opts={"type": "tmpfs", "device": "tmpfs"})
    plan = plan_mounts({}, {"Binds": ["rv:/rv"]}, None, store)
    setup_mounts(plan, store)  # container A runs
    data = store.data_path("rv")
    (data / "live").write_text("1")
    # the daemon restarts while A runs; B starts with the same volume
    fresh = VolumeStore(store.root.parent)
    fresh.recover()
    restore_mounts(plan, fresh)
    setup_mounts(plan, fresh)
    assert localopts.mount_points().count(os.path.realpath(data)) == 1  # not mounted twice
    teardown_mounts(plan, fresh)  # B stops: A still uses it
    assert (data / "live").read_text() == "1"
    teardown_mounts(plan, fresh)  # A stops
    assert not localopts.is_mounted(data)


def test_setup_reports_failed_volume_mount(store: VolumeStore, tmp_path: Path) -> None:
    store.create("bad2", driver_opts={"type": "none", "device": str(tmp_path / "no"), "o": "bind"})
    plan = plan_mounts({}, {"Binds": ["bad2:/x", "ok2:/y"]}, None, store)
    with pytest.raises(DockyardError) as exc:
        setup_mounts(plan, store)
    assert exc.value.message.startswith(
        f"error while mounting volume '{store.data_path('bad2')}': failed to mount local volume: "
    )
