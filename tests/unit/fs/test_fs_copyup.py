"""copy_up keeps metadata and links, and never reads outside the image's rootfs."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from dockyard.fs.copyup import copy_up, resolve_in_rootfs

is_root = os.geteuid() == 0


@pytest.fixture
def src(tmp_path: Path) -> Path:
    d = tmp_path / "src"
    d.mkdir()
    (d / "file").write_text("hello")
    os.chmod(d / "file", 0o640)
    (d / "sub" / "deeper").mkdir(parents=True)
    (d / "sub" / "deeper" / "x").write_bytes(b"\0" * 70000)
    os.symlink("../file", d / "sub" / "rel-link")
    os.symlink("/etc/passwd", d / "abs-link")
    os.link(d / "file", d / "sub" / "hard")
    os.mkfifo(d / "fifo", 0o600)
    (d / "setuid").write_text("#!/bin/sh\n")
    os.chmod(d / "setuid", 0o4755)
    os.chmod(d / "sub", 0o1777)
    os.utime(d / "file", ns=(1_000_000_000_000_000_000, 1_100_000_000_000_000_000))
    return d


@pytest.fixture
def dst(tmp_path: Path) -> Path:
    d = tmp_path / "vol"
    d.mkdir()
    return d


def test_copies_tree_and_metadata(src: Path, dst: Path) -> None:
    assert copy_up(src, dst)
    assert (dst / "file").read_text() == "hello"
    assert stat.S_IMODE((dst / "file").stat().st_mode) == 0o640
    assert stat.S_IMODE((dst / "setuid").stat().st_mode) == 0o4755
    assert stat.S_IMODE((dst / "sub").stat().st_mode) == 0o1777
    assert (dst / "sub" / "deeper" / "x").read_bytes() == b"\0" * 70000
    assert (dst / "file").stat().st_mtime_ns == 1_100_000_000_000_000_000
    assert os.readlink(dst / "sub" / "rel-link") == "../file"
    assert os.readlink(dst / "abs-link") == "/etc/passwd"  # a link, never the host's file
    assert (dst / "file").stat().st_ino == (dst / "sub" / "hard").stat().st_ino
    assert stat.S_ISFIFO((dst / "fifo").lstat().st_mode)
    assert (dst / "sub").stat().st_mtime_ns == (src / "sub").stat().st_mtime_ns


def test_root_dir_takes_image_dir_mode(src: Path, dst: Path) -> None:
    os.chmod(src, 0o700)
    copy_up(src, dst)
    assert stat.S_IMODE(dst.stat().st_mode) == 0o700


@pytest.mark.skipif(not is_root, reason="chown to other users needs root")
def test_keeps_ownership(src: Path, dst: Path) -> None:
    os.chown(src, 999, 998)
    os.chown(src / "file", 1234, 5678)
    os.chown(src / "abs-link", 4321, 8765, follow_symlinks=False)
    copy_up(src, dst)
    assert (dst.stat().st_uid, dst.stat().st_gid) == (999, 998)
    assert ((dst / "file").stat().st_uid, (dst / "file").stat().st_gid) == (1234, 5678)
    link = (dst / "abs-link").lstat()
    assert (link.st_uid, link.st_gid) == (4321, 8765)
    assert stat.S_IMODE((dst / "setuid").stat().st_mode) == 0o4755


def test_keeps_xattrs(src: Path, dst: Path) -> None:
    try:
        os.setxattr(src / "file", "user.origin", b"image")
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM):
            pytest.skip("no user xattrs on this filesystem")
        raise
    copy_up(src, dst)
    assert os.getxattr(dst / "file", "user.origin") == b"image"


def test_never_overwrites_populated_volume(src: Path, dst: Path) -> None:
    (dst / "existing").write_text("mine")
    assert not copy_up(src, dst)
    assert os.listdir(dst) == ["existing"]


def test_missing_or_symlinked_source(tmp_path: Path, dst: Path) -> None:
    assert not copy_up(tmp_path / "nothing", dst)
    os.symlink("/etc", tmp_path / "link")
    assert not copy_up(tmp_path / "link", dst)  # a symlink is never followed
    assert os.listdir(dst) == []


# --- resolving a container path inside the rootfs ---


@pytest.fixture
def rootfs(tmp_path: Path) -> Path:
    r = tmp_path / "rootfs"
    (r / "real" / "data").mkdir(parents=True)
    (r / "real" / "data" / "seed").write_text("image")
    os.symlink("/real/data", r / "abs")
    os.symlink("../../../../../../real/data", r / "climb")
    os.symlink("/etc", r / "etc-link")
    os.symlink("loop2", r / "loop1")
    os.symlink("loop1", r / "loop2")
    return r


def test_resolve_plain_and_links(rootfs: Path) -> None:
    assert resolve_in_rootfs(rootfs, "/real/data") == rootfs / "real" / "data"
    assert resolve_in_rootfs(rootfs, "/abs") == rootfs / "real" / "data"
    assert resolve_in_rootfs(rootfs, "/climb/seed") == rootfs / "real" / "data" / "seed"
    assert resolve_in_rootfs(rootfs, "/../../etc") == rootfs / "etc"
    assert resolve_in_rootfs(rootfs, "/nope/x") == rootfs / "nope" / "x"


def test_symlink_to_host_etc_stays_in_rootfs(rootfs: Path, dst: Path) -> None:
    resolved = resolve_in_rootfs(rootfs, "/etc-link")
    assert resolved == rootfs / "etc"
    assert not copy_up(resolved, dst)  # the image has no /etc: nothing is copied
    assert os.listdir(dst) == []


def test_symlink_loop(rootfs: Path) -> None:
    with pytest.raises(Exception, match="too many levels of symbolic links"):
        resolve_in_rootfs(rootfs, "/loop1")


def test_copy_through_link_inside_rootfs(rootfs: Path, dst: Path) -> None:
    assert copy_up(resolve_in_rootfs(rootfs, "/abs"), dst)
    assert (dst / "seed").read_text() == "image"
