import io
import random
import tarfile

import pytest
from testing.tarhelpers import make_tar

from dockyard.fs.tarsafe import PathEscapeError, StrictTarInfo, clean_member_name

FIELDS = ("name", "mode", "uid", "gid", "size", "mtime", "chksum", "type", "linkname",
          "uname", "gname", "devmajor", "devminor")  # fmt: skip


def headers(data: bytes) -> list[bytes]:
    """Every 512-byte block before each member's data: its header, and the blocks of PAX
    records or GNU long names (not headers; both parsers must reject them alike)."""
    out = []
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        for m in tf.getmembers():
            pos = m.offset
            while pos < m.offset_data:
                out.append(data[pos : pos + 512])
                pos += 512
    return out


def parse(parser, buf):
    """Fields of the parsed header, or the kind of error (end of archive vs corruption)."""
    try:
        obj = parser(buf, "utf-8", "surrogateescape")
    except (tarfile.EOFHeaderError, tarfile.EmptyHeaderError) as e:
        return type(e).__name__
    except Exception:  # tarfile's HeaderError, or StrictTarInfo's corrupt-header error
        return "corrupt"
    return tuple(getattr(obj, f) for f in FIELDS)


def reference(buf, enc, err):
    return tarfile.TarInfo.frombuf(buf, enc, err)


def sample_archives() -> list[bytes]:
    out = []
    for fmt in (tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT):
        members = [
            ("dir", "etc/"),
            ("file", "etc/hosts", b"x" * 700, {"uid": 1000, "gid": 1000, "mode": 0o4755}),
            ("file", "p/" * 60 + "deep", b"y"),  # ustar prefix field
            ("symlink", "l", "target/with/some/path"),
            ("hardlink", "h", "etc/hosts"),
            ("chr", "dev/null", 1, 3),
            ("fifo", "f"),
            ("file", "naïve-ünïcode", b"u"),
        ]
        if fmt != tarfile.USTAR_FORMAT:
            members.append(("file", "big-uid", b"", {"uid": 8**8 + 5}))  # base-256 / PAX
            members.append(("file", "n" * 150, b"long name"))
        out.append(make_tar(*members, fmt=fmt))
    return out


def test_fast_header_parser_matches_tarfile():
    for data in sample_archives():
        for buf in headers(data):
            assert parse(StrictTarInfo.frombuf, buf) == parse(reference, buf)


def test_fast_header_parser_matches_tarfile_on_mutations():
    rng = random.Random(7)
    blocks = [b for data in sample_archives() for b in headers(data)]
    tokens = [b"\0", b" ", b"/", b"7", b"8", b"\x80", b"\xff", b"5", b"L", b"S", b"0"]
    for _ in range(3000):
        buf = bytearray(rng.choice(blocks))
        for _ in range(rng.randint(1, 3)):
            pos = rng.randrange(512)
            buf[pos] = rng.choice(tokens)[0] if rng.random() < 0.7 else rng.randrange(256)
        if rng.random() < 0.8:  # keep the checksum right so parsing goes deeper
            buf[148:156] = b" " * 8
            buf[148:156] = b"%06o\0 " % sum(buf)
        buf = bytes(buf)
        assert parse(StrictTarInfo.frombuf, buf) == parse(reference, buf)


def test_signed_checksum_still_accepted():
    buf = bytearray(headers(make_tar(("file", "é", b"x"), fmt=tarfile.USTAR_FORMAT))[0])
    signed = 256 + sum(b - 256 if b > 127 else b for i, b in enumerate(buf) if not 148 <= i < 156)
    buf[148:156] = b"%06o\0 " % signed
    obj = StrictTarInfo.frombuf(bytes(buf), "utf-8", "surrogateescape")
    assert obj.name == "é"


@pytest.mark.parametrize(
    "name, parts",
    [("a/b", ("a", "b")), ("./a//b/", ("a", "b")), ("/abs/x", ("abs", "x")), (".", ()),
     ("a/../b", ("b",)), ("a/./b/..", ("a",))],
)  # fmt: skip
def test_clean_member_name(name, parts):
    assert clean_member_name(name) == parts


@pytest.mark.parametrize("name", ["..", "../x", "a/../../x", "./../x", "a/b/../../.."])
def test_clean_member_name_refuses_escape(name):
    with pytest.raises(PathEscapeError, match="outside of the extraction root"):
        clean_member_name(name)
