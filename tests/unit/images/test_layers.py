import io
import os
import shutil
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest
from testing.tarhelpers import IS_ROOT, gz, make_tar, tree, zst

from dockyard.fs.compression import detect_compression, open_maybe_compressed
from dockyard.images.layers import (
    DecompressionLimitExceeded,
    LayerError,
    PathEscapeError,
    apply_layer,
    diff_from_upper,
)

needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root (mknod, trusted xattrs, chown)")


@pytest.fixture
def area(tmp_path: Path):
    """A root to extract into, next to an 'outside' directory holding a sentinel file."""
    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("keep")
    return root, outside


def snapshot_outside(tmp_path: Path) -> dict:
    snap = tree(tmp_path)
    return {k: v for k, v in snap.items() if not k.startswith("root")}


def apply(data: bytes, root: Path, **kw) -> int:
    return apply_layer(io.BytesIO(data), root, **kw)


# -- ordinary layers -------------------------------------------------------------------


def test_files_dirs_links_and_metadata(area):
    root, _ = area
    data = make_tar(
        ("dir", "etc", {"mode": 0o750, "mtime": 1_500_000_000}),
        ("file", "etc/hosts", b"127.0.0.1 localhost\n", {"mode": 0o640, "mtime": 1_400_000_000}),
        ("file", "usr/bin/tool", b"#!/bin/sh\n", {"mode": 0o4755}),
        ("symlink", "etc/link", "/etc/hosts"),
        ("hardlink", "etc/hosts2", "etc/hosts"),
        ("fifo", "run/fifo"),
        ("file", "./dot/slash", b"x"),
        ("file", "/abs/path", b"y"),
    )
    size = apply(data, root)
    assert size == len(b"127.0.0.1 localhost\n") + len(b"#!/bin/sh\n") + 2
    assert (root / "etc/hosts").read_bytes() == b"127.0.0.1 localhost\n"
    st = (root / "etc/hosts").stat()
    assert stat.S_IMODE(st.st_mode) == 0o640
    assert st.st_mtime == 1_400_000_000
    assert stat.S_IMODE((root / "etc").stat().st_mode) == 0o750
    assert (root / "etc").stat().st_mtime == 1_500_000_000  # set after children
    assert os.readlink(root / "etc/link") == "/etc/hosts"
    assert (root / "etc/hosts2").stat().st_ino == st.st_ino
    assert stat.S_ISFIFO((root / "run/fifo").lstat().st_mode)
    assert (root / "dot/slash").read_bytes() == b"x"
    assert (root / "abs/path").read_bytes() == b"y"
    assert stat.S_IMODE((root / "usr/bin").stat().st_mode) == 0o755  # implicit parent
    if IS_ROOT:
        assert stat.S_IMODE((root / "usr/bin/tool").stat().st_mode) == 0o4755


@needs_root
def test_ownership_and_setuid_kept(area):
    root, _ = area
    data = make_tar(
        ("file", "f", b"x", {"uid": 1234, "gid": 5678, "mode": 0o6755}),
        ("dir", "d", {"uid": 42, "gid": 43}),
        ("symlink", "l", "f"),
    )
    apply(data, root)
    st = (root / "f").stat()
    assert (st.st_uid, st.st_gid) == (1234, 5678)
    assert stat.S_IMODE(st.st_mode) == 0o6755
    assert ((root / "d").stat().st_uid, (root / "d").stat().st_gid) == (42, 43)


def test_xattrs_from_pax(area):
    root, _ = area
    pax = {"SCHILY.xattr.user.note": "hello", "SCHILY.xattr.trusted.overlay.opaque": "y"}
    data = make_tar(("file", "f", b"x", {"pax_headers": pax}))
    apply(data, root)
    assert os.getxattr(root / "f", "user.note") == b"hello"
    # overlay control xattrs from an archive are never applied
    with pytest.raises(OSError):
        os.getxattr(root / "f", "trusted.overlay.opaque")


@needs_root
def test_security_capability_xattr(area):
    root, _ = area
    cap = bytes([1, 0, 0, 2, 0, 32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])  # cap_net_raw
    data = make_tar(
        (
            "file",
            "ping",
            b"bin",
            {"pax_headers": {"SCHILY.xattr.security.capability": cap.decode("latin-1")}},
        )
    )
    # PAX values are UTF-8 text: bytes >= 0x80 need the surrogateescape round trip
    data = make_tar(
        (
            "file",
            "ping",
            b"bin",
            {
                "pax_headers": {
                    "SCHILY.xattr.security.capability": cap.decode("utf-8", "surrogateescape")
                }
            },
        )
    )
    apply(data, root)
    assert os.getxattr(root / "ping", "security.capability") == cap


def test_replace_and_merge(area):
    root, _ = area
    apply(make_tar(("file", "a", b"1"), ("dir", "d"), ("file", "d/keep", b"k")), root)
    apply(
        make_tar(("dir", "a"), ("file", "a/x", b"2"), ("dir", "d", {"mode": 0o700})),
        root,
    )
    assert (root / "a/x").read_bytes() == b"2"
    assert (root / "d/keep").read_bytes() == b"k"  # dir over dir merges
    assert stat.S_IMODE((root / "d").stat().st_mode) == 0o700
    apply(make_tar(("file", "d", b"now a file")), root)
    assert (root / "d").read_bytes() == b"now a file"


def test_compressed_layers_and_trailing_data(area):
    root, _ = area
    data = make_tar(("file", "a", b"gz" * 1000))
    assert apply(gz(data), root) == 2000
    assert (root / "a").read_bytes() == b"gz" * 1000
    assert apply(zst(make_tar(("file", "b", b"z"))), root) == 1
    stream = io.BytesIO(make_tar(("file", "c", b"c")) + b"\0" * 10000)
    apply_layer(stream, root)
    assert stream.tell() == len(stream.getvalue())  # drained for digest computation


def test_empty_layers(area):
    root, _ = area
    assert apply(b"", root) == 0
    assert apply(b"\0" * 1024, root) == 0
    assert apply(gz(b"\0" * 1024), root) == 0


@pytest.mark.parametrize(
    "head, kind",
    [(b"\x1f\x8b\x08", "gzip"), (b"\x28\xb5\x2f\xfd", "zstd"), (b"\xfd7zXZ\x00", "xz"),
     (b"BZh9", "bzip2"), (b"etc/", "none")],
)  # fmt: skip
def test_detect_compression(head, kind):
    assert detect_compression(head) == kind


def test_open_maybe_compressed_reads_back():
    payload = os.urandom(3 << 20)
    for blob in (payload, gz(payload), zst(payload)):
        assert open_maybe_compressed(io.BytesIO(blob)).read(-1) != b""
        r = open_maybe_compressed(io.BytesIO(blob))
        out = bytearray()
        while chunk := r.read(1 << 16):
            out += chunk
        assert bytes(out) == payload


# -- whiteouts (need root: mknod 0:0 and trusted.* xattrs) --------------------------------


@needs_root
def test_whiteouts_become_overlay_whiteouts(area):
    root, _ = area
    data = make_tar(
        ("dir", "etc"),
        ("file", "etc/.wh.passwd", b"", {"uid": 7, "gid": 8}),
        ("dir", "var/cache"),
        ("file", "var/cache/.wh..wh..opq", b""),
        ("file", "var/cache/new", b"n"),
        ("file", ".wh..wh.plnk/123", b"aufs junk"),
        ("file", "opq-parent-missing/.wh..wh..opq", b""),
    )
    apply(data, root)
    st = (root / "etc/passwd").lstat()
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == 0
    assert (st.st_uid, st.st_gid) == (7, 8)
    assert not (root / "etc/.wh.passwd").exists()
    assert os.getxattr(root / "var/cache", "trusted.overlay.opaque") == b"y"
    assert not (root / "var/cache/.wh..wh..opq").exists()
    assert (root / "var/cache/new").read_bytes() == b"n"
    assert not (root / ".wh..wh.plnk").exists()
    assert os.getxattr(root / "opq-parent-missing", "trusted.overlay.opaque") == b"y"


@needs_root
def test_whiteout_replaces_existing_entry(area):
    root, _ = area
    data = make_tar(("file", "d/f", b"x"), ("file", ".wh.d", b""))
    apply(data, root)
    assert stat.S_ISCHR((root / "d").lstat().st_mode)


@needs_root
def test_diff_from_upper_round_trip(tmp_path):
    upper = tmp_path / "upper"
    (upper / "etc").mkdir(parents=True)
    (upper / "etc/hosts").write_text("hosts")
    os.link(upper / "etc/hosts", upper / "etc/hosts.bak")
    os.symlink("hosts", upper / "etc/alias")
    os.mknod(upper / "etc/gone", stat.S_IFCHR, 0)
    (upper / "var/cache").mkdir(parents=True)
    os.setxattr(upper / "var/cache", "trusted.overlay.opaque", b"y")
    os.setxattr(upper / "var/cache", "trusted.overlay.origin", b"junk")
    (upper / "var/cache/new").write_text("n")
    os.setxattr(upper / "var/cache/new", "user.k", b"v")
    os.mkfifo(upper / "fifo")
    (upper / "setuid").write_text("s")
    os.chown(upper / "setuid", 10, 20)
    os.chmod(upper / "setuid", 0o4755)

    out1, out2 = io.BytesIO(), io.BytesIO()
    diff_from_upper(upper, out1)
    diff_from_upper(upper, out2)
    assert out1.getvalue() == out2.getvalue()  # deterministic

    with tarfile.open(fileobj=io.BytesIO(out1.getvalue())) as tf:
        members = {m.name: m for m in tf.getmembers()}
        names = [m.name for m in tf.getmembers()]
    assert names == [
        "etc",
        "etc/alias",
        "etc/.wh.gone",  # sorted by the on-disk name, as Docker's walk does
        "etc/hosts",
        "etc/hosts.bak",
        "fifo",
        "setuid",
        "var",
        "var/cache",
        "var/cache/.wh..wh..opq",
        "var/cache/new",
    ]
    assert members["etc/hosts.bak"].islnk() and members["etc/hosts.bak"].linkname == "etc/hosts"
    assert members["etc/.wh.gone"].isreg() and members["etc/.wh.gone"].size == 0
    assert not any(k.startswith("SCHILY.xattr.trusted") for k in members["var/cache"].pax_headers)
    assert members["var/cache/new"].pax_headers["SCHILY.xattr.user.k"] == "v"
    assert members["setuid"].mode == 0o4755 and members["setuid"].uid == 10

    raw = out1.getvalue()
    assert b"./" not in raw[:100]  # names carry no "./" prefix, like Docker's

    lower = tmp_path / "lower"
    lower.mkdir()
    apply_layer(io.BytesIO(raw), lower)
    assert tree(lower) == tree(upper)
    assert os.getxattr(lower / "var/cache", "trusted.overlay.opaque") == b"y"
    with pytest.raises(OSError):
        os.getxattr(lower / "var/cache", "trusted.overlay.origin")


def test_diff_from_upper_plain_tree_round_trip(tmp_path):
    upper = tmp_path / "upper"
    (upper / "a/b").mkdir(parents=True)
    (upper / "a/b/c.txt").write_bytes(os.urandom(100_000))
    (upper / "a/empty").write_bytes(b"")
    os.symlink("../x", upper / "a/up")
    os.link(upper / "a/b/c.txt", upper / "a/hl")
    out = io.BytesIO()
    diff_from_upper(upper, out)
    lower = tmp_path / "lower"
    lower.mkdir()
    apply_layer(io.BytesIO(out.getvalue()), lower)
    assert tree(lower) == tree(upper)
    assert (lower / "a/hl").stat().st_ino == (lower / "a/b/c.txt").stat().st_ino


# -- the hostile corpus: nothing may be written outside root, and the error is clear ------


def hostile_cases(outside: Path) -> list[tuple[str, bytes, type | None]]:
    """(label, archive, expected exception or None when it must be contained)."""
    abs_outside = str(outside)
    return [
        ("dotdot", make_tar(("file", "../../outside/pwned", b"x")), PathEscapeError),
        ("dotdot-deep", make_tar(("file", "a/b/../../../outside/pwned", b"x")), PathEscapeError),
        ("dotdot-dir", make_tar(("dir", "../outside/newdir")), PathEscapeError),
        ("dotdot-symlink-name", make_tar(("symlink", "../outside/l", "/")), PathEscapeError),
        ("absolute", make_tar(("file", abs_outside + "/pwned", b"x")), None),
        ("absolute-etc", make_tar(("file", "/etc/dockyard-test-pwned", b"x")), None),
        (
            "symlink-abs-write-through",
            make_tar(("symlink", "a", abs_outside), ("file", "a/pwned", b"x")),
            None,
        ),
        (
            "symlink-rel-write-through",
            make_tar(
                ("symlink", "a", "../../../../../../" + abs_outside), ("file", "a/pwned", b"x")
            ),
            None,
        ),
        (
            "symlink-overwrite-secret",
            make_tar(("symlink", "a", abs_outside), ("file", "a/secret", b"owned")),
            None,
        ),
        (
            "symlink-dir-then-mkdir",
            make_tar(("symlink", "a", abs_outside), ("dir", "a/sub"), ("file", "a/sub/f", b"x")),
            None,
        ),
        (
            "symlink-chain",
            make_tar(
                ("symlink", "l1", "l2/.."),
                ("dir", "l2"),
                ("symlink", "l3", "l1/../../.." + abs_outside),
                ("file", "l3/pwned", b"x"),
            ),
            None,
        ),
        (
            "symlink-final-not-followed",
            make_tar(("symlink", "s", abs_outside + "/secret"), ("file", "s", b"owned")),
            None,
        ),
        (
            "symlink-loop",
            make_tar(("symlink", "l1", "l2"), ("symlink", "l2", "l1"), ("file", "l1/x", b"x")),
            LayerError,
        ),
        ("hardlink-etc-shadow", make_tar(("hardlink", "x", "/etc/shadow")), LayerError),
        (
            "hardlink-dotdot",
            make_tar(("hardlink", "x", "../../outside/secret")),
            PathEscapeError,
        ),
        (
            "hardlink-abs-outside",
            make_tar(("hardlink", "x", abs_outside + "/secret")),
            LayerError,
        ),
        (
            "hardlink-through-symlink",
            make_tar(("symlink", "s", abs_outside), ("hardlink", "x", "s/secret")),
            LayerError,
        ),
        (
            "whiteout-dotdot",
            make_tar(("file", "a/.wh...", b"")),
            LayerError,
        ),
        (
            "file-under-file",
            make_tar(("file", "f", b"x"), ("file", "f/g", b"y")),
            LayerError,
        ),
    ]


def _cases():
    # Built lazily per test because archives embed the test's own outside path.
    return [c[0] for c in hostile_cases(Path("/x"))]


@pytest.mark.parametrize("label", _cases())
def test_hostile_archives_stay_inside(tmp_path, area, label):
    root, outside = area
    case = {c[0]: c for c in hostile_cases(outside)}[label]
    _, data, expected = case
    if label.startswith("whiteout") and not IS_ROOT:
        pytest.skip("whiteouts need root")
    shadow_nlink = os.stat("/etc/shadow").st_nlink if os.path.exists("/etc/shadow") else None
    before = snapshot_outside(tmp_path)
    for blob in (data, gz(data)):
        if expected is None:
            apply(blob, root)
        else:
            with pytest.raises(expected) as ei:
                apply(blob, root)
            assert str(ei.value)
    assert snapshot_outside(tmp_path) == before
    assert (outside / "secret").read_text() == "keep"
    assert os.stat(outside / "secret").st_nlink == 1
    assert not os.path.exists("/etc/dockyard-test-pwned")
    if shadow_nlink is not None:
        assert os.stat("/etc/shadow").st_nlink == shadow_nlink


def test_contained_writes_land_inside_root(area):
    root, outside = area
    apply(make_tar(("symlink", "a", str(outside)), ("file", "a/pwned", b"x")), root)
    assert (root / str(outside).lstrip("/") / "pwned").read_bytes() == b"x"
    apply(make_tar(("file", "/etc/dockyard-test-pwned", b"x")), root)
    assert (root / "etc/dockyard-test-pwned").exists()


def test_decompression_bomb_gzip_and_zstd(area):
    root, _ = area
    bomb = make_tar(("file", "zeros", b"\0" * (8 << 20)))
    # The header already declares too much data: refused before writing it.
    for blob in (gz(bomb), zst(bomb)):
        assert len(blob) < 100_000
        with pytest.raises(LayerError, match="exceeds the limit"):
            apply(blob, root, max_bytes=1 << 20)
    assert not (root / "zeros").exists()
    # Many small members: the decompressed-bytes guard trips.
    many = make_tar(*[("file", f"f{i}", b"\0" * 1000) for i in range(2000)])
    for blob in (gz(many), zst(many)):
        with pytest.raises(DecompressionLimitExceeded, match="exceeds the limit"):
            apply(blob, root, max_bytes=1 << 20)
    # Trailing zeros after the archive count too.
    blob = gz(make_tar(("file", "x", b"x")) + b"\0" * (4 << 20))
    with pytest.raises(DecompressionLimitExceeded):
        apply(blob, root, max_bytes=1 << 20)


def test_open_maybe_compressed_limit():
    blob = zst(b"\0" * (50 << 20))
    reader = open_maybe_compressed(io.BytesIO(blob), max_bytes=10 << 20)
    with pytest.raises(DecompressionLimitExceeded):
        while reader.read(1 << 20):
            pass
    assert reader.count <= (11 << 20)  # stopped promptly, nothing buffered beyond a chunk


def test_member_size_limit(area):
    root, _ = area
    with pytest.raises(LayerError, match="exceeds the limit"):
        apply(make_tar(("file", "a", b"x" * 600), ("file", "b", b"y" * 600)), root, max_bytes=4096)


@pytest.mark.skipif(shutil.which("tar") is None, reason="needs GNU tar")
def test_sparse_bomb_is_bounded(area, tmp_path):
    # A sparse member declares a huge real size backed by a few bytes of archive data.
    src = tmp_path / "src"
    src.mkdir()
    with open(src / "sparse", "wb") as f:
        f.seek(1 << 40)
        f.write(b"x")
    archive = tmp_path / "sparse.tar"
    subprocess.run(["tar", "--sparse", "-C", src, "-cf", archive, "sparse"], check=True)
    assert archive.stat().st_size < 1 << 20
    root, _ = area
    with pytest.raises(LayerError, match="exceeds the limit"):
        apply(archive.read_bytes(), root, max_bytes=1 << 30)
    # A small sparse file unpacks correctly.
    with open(src / "small", "wb") as f:
        f.seek((1 << 20) - 3)
        f.write(b"end")
    subprocess.run(["tar", "--sparse", "-C", src, "-cf", archive, "small"], check=True)
    apply(archive.read_bytes(), root)
    data = (root / "small").read_bytes()
    assert len(data) == (1 << 20) and data.endswith(b"\0end") and not data.strip(b"\0end")


def test_truncated_and_corrupt_archives(area):
    root, _ = area
    good = make_tar(("file", "a", os.urandom(5000)), ("file", "b", os.urandom(5000)))
    bad_blobs = {
        "truncated-in-data": good[:3000],
        "truncated-in-second-data": good[: 512 * 12 + 100],
        "truncated-header": good[: 512 * 11 + 100],
        "truncated-gzip": gz(good)[:-20],
        "garbage": os.urandom(4096),
        "garbage-gzip": b"\x1f\x8b\x08\x00" + os.urandom(4096),
    }
    with tarfile.open(fileobj=io.BytesIO(good)) as tf:
        second_header = tf.getmember("b").offset
    corrupt = bytearray(good)
    corrupt[second_header + 100 : second_header + 108] = b"zzzzzzzz"  # mode field, checksum off
    bad_blobs["corrupt-second-header"] = bytes(corrupt)
    for label, blob in bad_blobs.items():
        with pytest.raises(LayerError) as ei:
            apply(blob, root)
        assert str(ei.value), label


def test_layer_error_is_not_an_oserror():
    # Callers catch LayerError to discard a partial layer; make sure it stays distinct.
    assert not issubclass(LayerError, OSError)


def test_fuzzed_archives_fail_cleanly_and_stay_inside(tmp_path):
    import random

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("keep")
    base = make_tar(
        ("dir", "d"),
        ("file", "d/f", b"data" * 100),
        ("symlink", "d/out", str(outside)),
        ("file", "d/out/x", b"x"),
        ("hardlink", "d/h", "d/f"),
        ("file", "long/" + "n" * 120 + "/file", b"pax path"),
        ("file", "x", b"y", {"pax_headers": {"SCHILY.xattr.user.a": "b"}}),
    )
    rng = random.Random(1234)
    before = snapshot_outside(tmp_path)
    for i in range(300):
        data = bytearray(base)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[: rng.randrange(len(data))]
        root = tmp_path / f"root{i}"
        root.mkdir()
        try:
            apply_layer(io.BytesIO(bytes(data)), root, max_bytes=1 << 20, allow_devices=False)
        except LayerError:
            pass
        shutil.rmtree(root)
    assert snapshot_outside(tmp_path) == before


def test_truncated_zstd_is_detected():
    payload = os.urandom(300_000) + b"\0" * 300_000
    frames = zst(payload) + zst(b"second frame")
    skippable = (0x184D2A50).to_bytes(4, "little") + (3).to_bytes(4, "little") + b"abc"
    whole = frames + skippable
    reader = open_maybe_compressed(io.BytesIO(whole))
    out = bytearray()
    while chunk := reader.read(1 << 20):
        out += chunk
    assert bytes(out) == payload + b"second frame"
    for cut in (5, 100, len(frames) // 2, len(frames) - 1, len(whole) - 1):
        reader = open_maybe_compressed(io.BytesIO(whole[:cut]))
        with pytest.raises(LayerError, match="zstd"):
            while reader.read(1 << 20):
                pass
        reader.close()


def test_zstd_with_checksum_and_streamed_frames():
    import zstandard

    payload = os.urandom(200_000)
    cctx = zstandard.ZstdCompressor(write_checksum=True, write_content_size=False)
    buf = io.BytesIO()
    with cctx.stream_writer(buf, closefd=False) as w:
        w.write(payload)
    reader = open_maybe_compressed(io.BytesIO(buf.getvalue()))
    assert b"".join(iter(lambda: reader.read(1 << 16), b"")) == payload


def test_unclosed_compressed_reader_does_not_leak_its_thread():
    import gc
    import threading
    import time

    before = threading.active_count()
    reader = open_maybe_compressed(io.BytesIO(gz(os.urandom(4 << 20))))
    reader.read(1000)
    del reader
    gc.collect()
    for _ in range(50):
        if threading.active_count() <= before:
            break
        time.sleep(0.05)
    assert threading.active_count() <= before


def test_diff_from_upper_exclude(tmp_path):
    upper = tmp_path / "upper"
    (upper / "etc").mkdir(parents=True)
    (upper / "etc/hosts").write_text("")
    (upper / "etc/keep").write_text("k")
    (upper / "proc/1").mkdir(parents=True)
    out = io.BytesIO()
    diff_from_upper(upper, out, exclude=["/etc/hosts", "proc"])
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tf:
        assert tf.getnames() == ["etc", "etc/keep"]


def test_empty_diff_is_dockers_empty_layer(tmp_path):
    import hashlib

    (tmp_path / "upper").mkdir()
    out = io.BytesIO()
    diff_from_upper(tmp_path / "upper", out)
    assert out.getvalue() == b"\0" * 1024
    assert hashlib.sha256(out.getvalue()).hexdigest() == (
        "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
    )


def test_plain_tar_that_looks_compressed(area):
    root, _ = area
    data = make_tar(("file", "BZh91AY&SY", b"not bzip2"))
    with pytest.raises(LayerError):
        apply(data, root)  # sniffed as bzip2, as Docker would
    assert apply(data, root, compression="none") == 9
    assert (root / "BZh91AY&SY").read_bytes() == b"not bzip2"
    assert apply(gz(data), root, compression="gzip") == 9
    with pytest.raises(ValueError):
        apply(data, root, compression="lz4")
