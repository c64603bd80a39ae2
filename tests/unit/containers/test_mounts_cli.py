"""Client-side -v / --mount / --tmpfs parsing, with the docker CLI's error texts."""

from __future__ import annotations

import os

import pytest

from dockyard.containers.mounts import (
    parse_mount_flag,
    parse_tmpfs_flag,
    parse_volume_flag,
    split_volume_flags,
)
from dockyard.errors import InvalidParameter

# --- -v ---


@pytest.mark.parametrize(
    "spec",
    ["/host:/ctr", "/host:/ctr:ro", "name:/ctr:rw,z", "/ctr", "data:/var/lib/mysql", "/a:/b:ro,Z"],
)
def test_volume_flag_accepts(spec: str) -> None:
    assert parse_volume_flag(spec) == spec


def test_volume_flag_makes_dot_paths_absolute() -> None:
    assert parse_volume_flag("./conf:/etc/conf:ro") == os.path.abspath("./conf") + ":/etc/conf:ro"
    assert parse_volume_flag("..:/up") == os.path.abspath("..") + ":/up"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "invalid empty volume spec"),
        ("/a::/b", "invalid spec: /a::/b: empty section between colons"),
        ("/a:/b:", "invalid spec: /a:/b:: empty section between colons"),
        (":/b", "invalid spec: :/b: empty section between colons"),
        ("/a:/b:ro:x", "invalid spec: /a:/b:ro:x: too many colons"),
        ("/a:/b:ro:", "invalid spec: /a:/b:ro:: too many colons"),
    ],
)
def test_volume_flag_errors(spec: str, message: str) -> None:
    with pytest.raises(InvalidParameter) as exc:
        parse_volume_flag(spec)
    assert exc.value.message == message
    assert exc.value.status == 400


def test_split_volume_flags() -> None:
    binds, volumes = split_volume_flags(["/h:/c", "/anon", "named:/n", "ab", "/h:/c"])
    assert binds == ["/h:/c", "named:/n"]
    assert volumes == {"/anon": {}, "ab": {}}


# --- --tmpfs ---


def test_tmpfs_flag() -> None:
    assert parse_tmpfs_flag("/run:size=64m,mode=1777") == ("/run", "size=64m,mode=1777")
    assert parse_tmpfs_flag("/run") == ("/run", "")


# --- --mount ---


def test_mount_bind_readonly() -> None:
    m = parse_mount_flag("type=bind,source=/src,target=/dst,readonly")
    assert m == {"Type": "bind", "Source": "/src", "Target": "/dst", "ReadOnly": True}


def test_mount_defaults_to_volume_and_aliases() -> None:
    m = parse_mount_flag("src=data,dst=/data,ro=false")
    assert m == {"Type": "volume", "Source": "data", "Target": "/data", "ReadOnly": False}
    assert parse_mount_flag("destination=/d")["Target"] == "/d"


def test_mount_volume_options() -> None:
    m = parse_mount_flag(
        "type=volume,source=v,target=/v,volume-nocopy,volume-label=a=b,"
        "volume-driver=local,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=1m"
    )
    assert m["VolumeOptions"] == {
        "NoCopy": True,
        "Labels": {"a": "b"},
        "DriverConfig": {
            "Name": "local",
            "Options": {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"},
        },
    }


def test_mount_quoted_csv_field() -> None:
    m = parse_mount_flag('type=volume,target=/v,"volume-opt=o=addr=1.2.3.4,rw"')
    assert m["VolumeOptions"]["DriverConfig"]["Options"] == {"o": "addr=1.2.3.4,rw"}


def test_mount_bind_options() -> None:
    m = parse_mount_flag("type=bind,src=/a,dst=/b,bind-propagation=rshared,bind-create-src")
    assert m["BindOptions"] == {"Propagation": "rshared", "CreateMountpoint": True}
    m = parse_mount_flag("type=bind,src=/a,dst=/b,bind-recursive=disabled")
    assert m["BindOptions"] == {"NonRecursive": True}


def test_mount_tmpfs_options() -> None:
    m = parse_mount_flag("type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770")
    assert m["TmpfsOptions"] == {"SizeBytes": 64 << 20, "Mode": 0o1770}
    assert m["Source"] == ""


def test_mount_relative_source_made_absolute() -> None:
    m = parse_mount_flag("type=bind,src=./here,dst=/x")
    assert m["Source"] == os.path.abspath("./here")


def _err(spec: str) -> str:
    with pytest.raises(InvalidParameter) as exc:
        parse_mount_flag(spec)
    return exc.value.message


@pytest.mark.parametrize(
    ("spec", "detail"),
    [
        ("", "value is empty"),
        ("type=bind,bogus", "invalid field 'bogus' must be a key=value pair"),
        ("type=bind,foo=bar", "unknown option 'foo' in 'foo=bar'"),
        ("type=volume,source=", "invalid value for 'source': value is empty"),
        (
            "type=bind, source=/a",
            "invalid option 'source' in ' source=/a': option should not have whitespace",
        ),
        (
            "type=bind,source= /a",
            "invalid value for 'source' in 'source= /a': value should not have whitespace",
        ),
        (
            "type=bind,readonly=yes",
            "invalid value for 'readonly': invalid boolean value (\"yes\"): "
            'must be one of "true", "1", "false", or "0" (default "true")',
        ),
        ("type=tmpfs,tmpfs-size=abc", "invalid value for tmpfs-size: abc"),
        ("type=tmpfs,tmpfs-mode=999", "invalid value for tmpfs-mode: 999"),
        (
            "type=bind,target=/x,volume-nocopy",
            "cannot mix 'volume-*' options with mount type 'bind'",
        ),
        (
            "type=volume,target=/x,bind-propagation=shared",
            "cannot mix 'bind-*' options with mount type 'volume'",
        ),
        (
            "type=volume,target=/x,tmpfs-size=1m",
            "cannot mix 'tmpfs-*' options with mount type 'volume'",
        ),
        (
            "type=bind,src=/a,dst=/b,bind-nonrecursive",
            "bind-nonrecursive is deprecated, use bind-recursive=disabled instead",
        ),
        (
            "type=bind,src=/a,dst=/b,bind-recursive=maybe",
            'invalid value for bind-recursive: maybe (must be "enabled", "disabled", "writable", or "readonly")',
        ),
        (
            "type=bind,src=/a,dst=/b,bind-recursive=writable",
            "option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction",
        ),
        (
            "type=bind,src=/a,dst=/b,bind-recursive=readonly,readonly",
            "option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction",
        ),
        ('type=bind,src=/a"b', 'parse error on line 1, column 17: bare " in non-quoted-field'),
        (
            'type=bind,"src=/a',
            'parse error on line 1, column 18: extraneous or missing " in quoted-field',
        ),
    ],
)
def test_mount_errors(spec: str, detail: str) -> None:
    assert _err(spec) == f'invalid argument "{spec}" for "--mount" flag: {detail}'


@pytest.mark.parametrize(
    ("spec", "fields"),
    [("a,", ["a", ""]), ('"a""b",c', ['a"b', "c"]), ('x,"y,z"', ["x", "y,z"])],
)
def test_csv_fields(spec: str, fields: list[str]) -> None:
    from dockyard.common.mountspec import _csv_fields

    assert _csv_fields(spec) == fields


@pytest.mark.parametrize(("spec", "column"), [('"a"b,c', 3), ('x,"y" ,z', 5)])
def test_csv_quote_errors(spec: str, column: int) -> None:
    from dockyard.common.mountspec import _csv_fields

    with pytest.raises(ValueError) as exc:
        _csv_fields(spec)
    assert str(exc.value) == (
        f'parse error on line 1, column {column}: extraneous or missing " in quoted-field'
    )


def test_mount_type_is_lowercased() -> None:
    assert parse_mount_flag("TYPE=BIND,src=/a,dst=/b")["Type"] == "bind"
