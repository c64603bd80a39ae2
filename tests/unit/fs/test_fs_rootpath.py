import base64
import io
import json
import os
import stat
import tarfile
from pathlib import Path

import pytest
from testing.tarhelpers import IS_ROOT, gz, make_tar, tree

from dockyard.fs.rootpath import (
    GO_MODE_CHAR_DEVICE,
    GO_MODE_DEVICE,
    GO_MODE_DIR,
    GO_MODE_SETUID,
    GO_MODE_SYMLINK,
    ExtractPointNotDirectory,
    PathStat,
    copy_between_roots,
    extract_into_root,
    go_file_mode,
    go_time_rfc3339nano,
    mkdir_in_root,
    resolve_in_root,
    stat_in_root,
    tar_from_root,
)
from dockyard.images.layers import LayerError, PathEscapeError


@pytest.fixture
def ctr(tmp_path: Path):
    """A small container rootfs with hostile symlinks, and an outside dir with a secret."""
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("keep")
    (root / "etc").mkdir(parents=True)
    (root / "etc/hosts").write_text("hosts")
    (root / "usr/lib").mkdir(parents=True)
    (root / "usr/lib/libx.so").write_text("lib")
    (root / "data").mkdir()
    os.symlink("usr/lib", root / "lib")  # relative
    os.symlink("/usr/lib", root / "lib64")  # absolute: must resolve inside root
    os.symlink(str(outside), root / "evil")  # host path: must resolve inside root
    os.symlink("../../../../../../..", root / "up")  # climbs: clamps at root
    os.symlink("loop2", root / "loop1")
    os.symlink("loop1", root / "loop2")
    os.symlink("/etc/hosts", root / "hostslink")
    return root, outside


def outside_snapshot(tmp_path: Path) -> dict:
    return {k: v for k, v in tree(tmp_path).items() if not k.startswith("root")}


# -- resolve_in_root ---------------------------------------------------------------------


def test_resolve_in_root(ctr):
    root, outside = ctr
    assert resolve_in_root(root, "/") == root
    assert resolve_in_root(root, "/etc/hosts") == root / "etc/hosts"
    assert resolve_in_root(root, "lib/libx.so") == root / "usr/lib/libx.so"
    assert resolve_in_root(root, "/lib64/libx.so") == root / "usr/lib/libx.so"
    assert resolve_in_root(root, "/lib64") == root / "usr/lib"
    assert resolve_in_root(root, "/lib64", follow_final=False) == root / "lib64"
    assert resolve_in_root(root, "/evil/secret") == root / str(outside).lstrip("/") / "secret"
    assert resolve_in_root(root, "/up/etc/hosts") == root / "etc/hosts"
    assert resolve_in_root(root, "/../../../etc/hosts") == root / "etc/hosts"
    assert resolve_in_root(root, "/missing/dir/../x") == root / "missing/x"
    # climbing back out of a missing part resumes real resolution (securejoin)
    assert resolve_in_root(root, "/missing/../lib64/libx.so") == root / "usr/lib/libx.so"
    assert resolve_in_root(root, "/missing/../../../lib64") == root / "usr/lib"
    assert resolve_in_root(root, "/hostslink") == root / "etc/hosts"
    with pytest.raises(OSError):
        resolve_in_root(root, "/loop1/x")


# -- stat_in_root ------------------------------------------------------------------------


def test_stat_in_root(ctr):
    root, outside = ctr
    os.utime(root / "etc/hosts", ns=(0, 1_700_000_000_123_400_000))
    st = stat_in_root(root, "/etc/hosts")
    assert st == PathStat(
        name="hosts", size=5, mode=0o644, mtime="2023-11-14T22:13:20.1234Z", link_target=""
    )
    st = stat_in_root(root, "/lib64")
    assert st.name == "lib64"
    assert st.mode & GO_MODE_SYMLINK
    assert st.link_target == "/usr/lib"
    # a host-path symlink resolves inside the root (lexically, as it does not exist there)
    assert stat_in_root(root, "/evil").link_target == str(outside)
    d = stat_in_root(root, "/")
    assert d.name == "/" and d.is_dir and d.mode & GO_MODE_DIR
    assert stat_in_root(root, "/lib64/").is_dir  # trailing slash follows the link
    with pytest.raises(FileNotFoundError):
        stat_in_root(root, "/nope")


def test_path_stat_header_is_dockers_json():
    st = PathStat("hosts", 5, 0o644, "2023-11-14T22:13:20Z", "")
    decoded = json.loads(base64.urlsafe_b64decode(st.header_value()))
    assert decoded == {
        "name": "hosts",
        "size": 5,
        "mode": 420,
        "mtime": "2023-11-14T22:13:20Z",
        "linkTarget": "",
    }


def test_go_file_mode_bits():
    assert go_file_mode(stat.S_IFDIR | 0o755) == GO_MODE_DIR | 0o755
    assert go_file_mode(stat.S_IFREG | 0o4755) == GO_MODE_SETUID | 0o755
    assert go_file_mode(stat.S_IFCHR | 0o666) == GO_MODE_DEVICE | GO_MODE_CHAR_DEVICE | 0o666
    assert go_file_mode(stat.S_IFDIR | 0o1777) == (1 << 31) | (1 << 20) | 0o777
    assert go_time_rfc3339nano(0) == "1970-01-01T00:00:00Z"
    assert go_time_rfc3339nano(1_500_000_000) == "1970-01-01T00:00:01.5Z"


# -- tar_from_root -----------------------------------------------------------------------


def members_of(data: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        return {m.name: m for m in tf.getmembers()}


def test_tar_from_root_file_and_dir(ctr):
    root, _ = ctr
    out = io.BytesIO()
    st = tar_from_root(root, "/etc/hosts", out)
    assert st.name == "hosts" and st.size == 5
    assert list(members_of(out.getvalue())) == ["hosts"]

    out = io.BytesIO()
    tar_from_root(root, "/usr", out)
    assert list(members_of(out.getvalue())) == ["usr", "usr/lib", "usr/lib/libx.so"]


def test_tar_from_root_symlinks(ctr):
    root, outside = ctr
    out = io.BytesIO()
    tar_from_root(root, "/lib64", out)
    m = members_of(out.getvalue())
    assert list(m) == ["lib64"] and m["lib64"].issym() and m["lib64"].linkname == "/usr/lib"

    # follow_link: the target's content, named after the requested path (docker cp -L)
    out = io.BytesIO()
    tar_from_root(root, "/lib64", out, follow_link=True)
    assert list(members_of(out.getvalue())) == ["lib64", "lib64/libx.so"]

    # a path through a hostile symlink never reads the host's files
    with pytest.raises(FileNotFoundError):
        tar_from_root(root, "/evil/secret", io.BytesIO())

    # parent symlinks are resolved inside the root; a trailing slash follows the link
    out = io.BytesIO()
    tar_from_root(root, "/lib/", out)
    assert list(members_of(out.getvalue())) == ["lib", "lib/libx.so"]
    out = io.BytesIO()
    tar_from_root(root, "/up/etc/hosts", out)
    assert members_of(out.getvalue())["hosts"].size == 5


def test_tar_from_root_whole_root_and_arcname(ctr):
    root, _ = ctr
    out = io.BytesIO()
    tar_from_root(root, "/", out)
    names = list(members_of(out.getvalue()))
    assert "etc/hosts" in names and "evil" in names
    assert not any(n.startswith("/") for n in names)
    out = io.BytesIO()
    tar_from_root(root, "/etc/hosts", out, arcname="renamed")
    assert list(members_of(out.getvalue())) == ["renamed"]


def test_tar_then_extract_round_trip(ctr, tmp_path):
    root, _ = ctr
    (root / "usr/lib/sub").mkdir()
    (root / "usr/lib/sub/f").write_bytes(os.urandom(70_000))
    os.link(root / "usr/lib/sub/f", root / "usr/lib/sub/g")
    out = io.BytesIO()
    tar_from_root(root, "/usr/lib", out)
    dest = tmp_path / "dest"
    (dest / "target").mkdir(parents=True)
    extract_into_root(dest, "/target", io.BytesIO(out.getvalue()))
    assert tree(dest / "target/lib") == tree(root / "usr/lib")
    assert (dest / "target/lib/sub/g").stat().st_ino == (dest / "target/lib/sub/f").stat().st_ino


# -- extract_into_root -------------------------------------------------------------------


def test_extract_basic_and_compressed(ctr):
    root, _ = ctr
    data = make_tar(("dir", "app"), ("file", "app/main.py", b"print(1)\n"))
    assert extract_into_root(root, "/data", io.BytesIO(data)) == 9
    assert (root / "data/app/main.py").read_bytes() == b"print(1)\n"
    extract_into_root(root, "/data/", io.BytesIO(gz(make_tar(("file", "z", b"z")))))
    assert (root / "data/z").read_bytes() == b"z"


def test_extract_destination_rules(ctr):
    root, outside = ctr
    with pytest.raises(FileNotFoundError):
        extract_into_root(root, "/nope", io.BytesIO(make_tar(("file", "a", b""))))
    with pytest.raises(ExtractPointNotDirectory, match="extraction point is not a directory"):
        extract_into_root(root, "/etc/hosts", io.BytesIO(make_tar(("file", "a", b""))))
    # destination through a symlink: resolved inside the root
    extract_into_root(root, "/lib64", io.BytesIO(make_tar(("file", "new.so", b"n"))))
    assert (root / "usr/lib/new.so").read_bytes() == b"n"
    # destination through a hostile host-path symlink: not found inside the root
    with pytest.raises(FileNotFoundError):
        extract_into_root(root, "/evil", io.BytesIO(make_tar(("file", "pwned", b"x"))))
    assert not (outside / "pwned").exists()


def test_extract_no_overwrite_dir_non_dir(ctr):
    root, _ = ctr
    (root / "data/d").mkdir()
    (root / "data/f").write_text("f")
    with pytest.raises(LayerError, match="cannot overwrite directory"):
        extract_into_root(
            root, "/data", io.BytesIO(make_tar(("file", "d", b"x"))), no_overwrite_dir_non_dir=True
        )
    with pytest.raises(LayerError, match="cannot overwrite non-directory"):
        extract_into_root(
            root, "/data", io.BytesIO(make_tar(("dir", "f"))), no_overwrite_dir_non_dir=True
        )
    # without the flag, Docker replaces
    extract_into_root(root, "/data", io.BytesIO(make_tar(("file", "d", b"x"))))
    assert (root / "data/d").read_bytes() == b"x"


def test_extract_does_not_touch_destination_metadata(ctr):
    root, _ = ctr
    os.chmod(root / "data", 0o711)
    extract_into_root(root, "/data", io.BytesIO(make_tar(("dir", ".", {"mode": 0o777}))))
    assert stat.S_IMODE((root / "data").stat().st_mode) == 0o711


@pytest.mark.skipif(not IS_ROOT, reason="chown needs root")
def test_extract_chown(ctr):
    root, _ = ctr
    data = make_tar(("file", "a/b", b"x", {"uid": 5, "gid": 6}))
    extract_into_root(root, "/data", io.BytesIO(data), chown=(1000, 1001))
    for p in ("data/a", "data/a/b"):
        st = (root / p).stat()
        assert (st.st_uid, st.st_gid) == (1000, 1001), p
    extract_into_root(root, "/data", io.BytesIO(make_tar(("file", "c", b"x", {"uid": 5}))))
    assert (root / "data/c").stat().st_uid == 5  # archive ids kept when not forced


def test_extract_devices_can_be_refused(ctr):
    root, _ = ctr
    with pytest.raises(LayerError, match="device nodes are not allowed"):
        extract_into_root(
            root, "/data", io.BytesIO(make_tar(("chr", "null", 1, 3))), allow_devices=False
        )


@pytest.mark.parametrize(
    "members, error",
    [
        ((("file", "../../../outside/pwned", b"x"),), PathEscapeError),
        ((("file", "../etc/x", b"x"),), PathEscapeError),  # leaves the extraction dir
        ((("symlink", "l", "/evil"), ("file", "l/pwned", b"x")), None),
        ((("file", "/evil/pwned", b"x"),), None),
        ((("file", "evil-abs/x", b"x"), ("symlink", "e", "/evil"), ("dir", "e/d")), None),
        ((("hardlink", "h", "/../outside/secret"),), PathEscapeError),
        ((("symlink", "s", "/evil"), ("hardlink", "h", "s/secret")), LayerError),
        ((("symlink", "s", "../../../../../../../../"), ("file", "s/etc/pwn", b"x")), None),
    ],
)
def test_extract_hostile_archives(ctr, tmp_path, members, error):
    root, outside = ctr
    before = outside_snapshot(tmp_path)
    stream = io.BytesIO(make_tar(*members))
    if error is None:
        extract_into_root(root, "/data", stream)
    else:
        with pytest.raises(error):
            extract_into_root(root, "/data", stream)
    assert outside_snapshot(tmp_path) == before
    assert (outside / "secret").read_text() == "keep"
    assert os.stat(outside / "secret").st_nlink == 1


def test_extract_through_container_symlink_lands_in_root(ctr):
    root, outside = ctr
    # /data/e -> /evil -> host path: resolved inside root, so it creates root/<host path>
    os.symlink("/evil", root / "data/e")
    extract_into_root(root, "/data", io.BytesIO(make_tar(("file", "e/x", b"x"))))
    assert (root / str(outside).lstrip("/") / "x").read_bytes() == b"x"
    assert not (outside / "x").exists()


# -- helpers for the builder ---------------------------------------------------------------


def test_mkdir_in_root(ctr):
    root, outside = ctr
    assert mkdir_in_root(root, "/app/src") == root / "app/src"
    assert (root / "app/src").is_dir()
    assert stat.S_IMODE((root / "app").stat().st_mode) == 0o755
    # through a hostile symlink: created inside the root
    made = mkdir_in_root(root, "/evil/made")
    assert made == root / str(outside).lstrip("/") / "made"
    assert not (outside / "made").exists()
    with pytest.raises(NotADirectoryError):
        mkdir_in_root(root, "/etc/hosts/x")


def test_copy_between_roots(ctr, tmp_path):
    root, _ = ctr
    dst = tmp_path / "dst"
    (dst / "app").mkdir(parents=True)
    # a directory's contents (COPY dir /app/)
    copy_between_roots(root, "/usr/lib", dst, "/app", arcname=".")
    assert (dst / "app/libx.so").read_text() == "lib"
    # a file renamed (COPY file /app/renamed)
    copy_between_roots(root, "/etc/hosts", dst, "/app", arcname="renamed")
    assert (dst / "app/renamed").read_text() == "hosts"
    # the directory itself
    copy_between_roots(root, "/etc", dst, "/app")
    assert (dst / "app/etc/hosts").read_text() == "hosts"
    with pytest.raises(FileNotFoundError):
        copy_between_roots(root, "/nope", dst, "/app")
    with pytest.raises(FileNotFoundError):
        copy_between_roots(root, "/etc/hosts", dst, "/missing-dir")


def test_deep_paths_stay_within_fd_limits(tmp_path):
    import resource

    root = tmp_path / "deep"
    root.mkdir()
    depth = 600
    deep = "/".join(["d"] * depth)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(300, hard), hard))
    try:
        assert mkdir_in_root(root, deep) == root.joinpath(*["d"] * depth)
        # climbing back through closed parts of the walk reopens them safely
        back = deep + "/" + "/".join([".."] * (depth - 1)) + "/x"
        assert resolve_in_root(root, back) == root / "d/x"
        os.symlink("/" + "/".join(["d"] * 300), root / "mid")
        assert resolve_in_root(root, "/mid/" + "../" * 250 + "y") == root.joinpath(*["d"] * 50, "y")
        data = make_tar(("file", deep + "/f", b"x"), ("file", deep + "/../../g", b"y"))
        extract_into_root(root, "/", io.BytesIO(data))
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert (root.joinpath(*["d"] * depth) / "f").read_bytes() == b"x"
    assert (root.joinpath(*["d"] * (depth - 2)) / "g").read_bytes() == b"y"


def test_tar_refuses_a_file_swapped_for_a_fifo(ctr):
    # Simulates a running container replacing a file between our lstat and open.
    from dockyard.fs import tarwrite

    root, _ = ctr
    st = os.lstat(root / "etc/hosts")
    os.unlink(root / "etc/hosts")
    os.mkfifo(root / "etc/hosts")
    writer = tarwrite.TreeWriter(io.BytesIO())
    fd = os.open(root / "etc", os.O_RDONLY | os.O_DIRECTORY)
    try:
        ti = tarfile.TarInfo("hosts")
        ti.size = st.st_size
        with pytest.raises(LayerError, match="changed while archiving"):
            writer.add(fd, "hosts", ti, st)  # must neither block nor read the FIFO
    finally:
        os.close(fd)
