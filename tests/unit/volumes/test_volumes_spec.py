"""Daemon-side mount spec helpers: modes, tmpfs options, sizes, path cleaning."""

from __future__ import annotations

import pytest

from dockyard.common.units import ram_in_bytes
from dockyard.errors import InvalidParameter
from dockyard.volumes import spec


@pytest.mark.parametrize(
    ("mode", "valid"),
    [
        ("", True),
        ("ro", True),
        ("rw,z", True),
        ("ro,Z,rshared,nocopy,cached", True),
        ("ro,rw", False),
        ("z,Z", False),
        ("shared,slave", False),
        ("rO", False),
        ("ro,", False),
    ],
)
def test_valid_mode(mode: str, valid: bool) -> None:
    assert spec.valid_mode(mode) is valid


def test_read_write() -> None:
    assert spec.read_write("")
    assert spec.read_write("rw,z")
    assert not spec.read_write("ro")
    assert not spec.read_write("bogus")


@pytest.mark.parametrize(
    ("options", "merged"),
    [
        (["noexec", "nosuid", "nodev", "rprivate"], ["noexec", "nosuid", "nodev", "rprivate"]),
        (["noexec", "nosuid", "exec"], ["nosuid", "exec"]),
        (["size=1m", "mode=755", "size=2m"], ["mode=755", "size=2m"]),
        (["rprivate", "shared"], ["shared"]),
        (["defaults", "ro", "rw"], ["rw"]),
    ],
)
def test_merge_tmpfs_options(options: list[str], merged: list[str]) -> None:
    assert spec.merge_tmpfs_options(options) == merged


def test_merge_tmpfs_rejects_unknown() -> None:
    with pytest.raises(InvalidParameter) as exc:
        spec.merge_tmpfs_options(["foo=bar"])
    assert exc.value.message == 'invalid tmpfs option ["foo" "bar"]'


def test_tmpfs_oci_options() -> None:
    assert spec.tmpfs_oci_options("") == ["noexec", "nosuid", "nodev", "rprivate"]
    assert spec.tmpfs_oci_options("size=64m,mode=1777") == [
        "noexec",
        "nosuid",
        "nodev",
        "rprivate",
        "size=64m",
        "mode=1777",
    ]


@pytest.mark.parametrize(
    ("opts", "ro", "data"),
    [
        (None, False, ""),
        (None, True, "ro"),
        ({"SizeBytes": 1 << 30}, False, "size=1g"),
        ({"SizeBytes": 3 << 20, "Mode": 0o700}, False, "mode=700,size=3m"),
        ({"SizeBytes": 5000}, False, "size=5000"),
        ({"SizeBytes": 4096, "Options": [["exec"]]}, True, "ro,size=4k,exec"),
    ],
)
def test_convert_tmpfs_options(opts: dict | None, ro: bool, data: str) -> None:
    assert spec.convert_tmpfs_options(opts, ro) == data


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("64m", 64 << 20),
        ("1g", 1 << 30),
        ("512", 512),
        ("1.5k", 1536),
        ("2 MiB", 2 << 20),
        ("7b", 7),
    ],
)
def test_ram_in_bytes(text: str, size: int) -> None:
    assert ram_in_bytes(text) == size


@pytest.mark.parametrize("text", ["", "abc", "-1m", "1x", "m"])
def test_ram_in_bytes_errors(text: str) -> None:
    with pytest.raises(ValueError, match=f"invalid size: '{text}'"):
        ram_in_bytes(text)


@pytest.mark.parametrize(
    ("path", "cleaned"), [("//a//b/", "/a/b"), ("/a/./b/../c", "/a/c"), ("", "."), ("/", "/")]
)
def test_go_clean(path: str, cleaned: str) -> None:
    assert spec.go_clean(path) == cleaned


def test_parse_volumes_from() -> None:
    assert spec.parse_volumes_from("web") == ("web", "rw")
    assert spec.parse_volumes_from("web:ro,z") == ("web", "ro,z")
