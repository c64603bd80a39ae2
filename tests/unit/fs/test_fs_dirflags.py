"""`chattr +T` on our own directories: set once, kept, and a no-op where it cannot be."""

from __future__ import annotations

import array
import fcntl
import os
from pathlib import Path

import pytest

from dockyard.fs import dirflags


def flags_of(path: Path) -> int:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        buf = array.array("i", [0])
        fcntl.ioctl(fd, dirflags._FS_IOC_GETFLAGS, buf, True)
        return buf[0]
    finally:
        os.close(fd)


def test_marks_the_directory_and_keeps_its_other_flags(tmp_path: Path) -> None:
    try:
        before = flags_of(tmp_path)
    except OSError:
        pytest.skip("this filesystem has no inode flags")
    if not dirflags.spread_subdirs(tmp_path):
        pytest.skip("this filesystem (or user) cannot set the top-directory flag")
    after = flags_of(tmp_path)
    assert after & dirflags._FS_TOPDIR_FL
    assert after & ~dirflags._FS_TOPDIR_FL == before & ~dirflags._FS_TOPDIR_FL
    assert dirflags.spread_subdirs(tmp_path)  # again: nothing to change
    assert flags_of(tmp_path) == after


def test_what_is_not_a_directory_is_refused_quietly(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    assert not dirflags.spread_subdirs(tmp_path / "file")
    assert not dirflags.spread_subdirs(tmp_path / "missing")
    assert not dirflags.spread_subdirs("/proc")  # procfs: no such flags
