"""Whether a container's rootfs is mounted, answered without reading the host's mount table."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockyard.containers.rootfs import RootFS, is_mounted, mount, umount

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="mounting needs root")


def test_a_plain_directory_is_not_mounted(tmp_path: Path) -> None:
    (tmp_path / "merged").mkdir()
    assert not is_mounted(tmp_path / "merged")
    assert not is_mounted(tmp_path / "missing")


def test_a_file_system_of_its_own_is_mounted() -> None:
    assert is_mounted(Path("/proc"))


@root_only
def test_unmount_takes_the_mount_and_tolerates_none(tmp_path: Path) -> None:
    rootfs = RootFS(tmp_path)
    rootfs.prepare()
    rootfs.unmount()  # nothing mounted: no error
    mount("tmpfs", str(rootfs.merged), "tmpfs")
    try:
        assert is_mounted(rootfs.merged)
        rootfs.unmount()
        assert not is_mounted(rootfs.merged)
        rootfs.unmount()
    finally:
        umount(str(rootfs.merged))
