"""`RUN --mount=...` and `RUN --network=...`: the flags parsed and checked as BuildKit's
Dockerfile frontend does (its error texts), before anything is mounted."""

from __future__ import annotations

import csv
import posixpath
from collections.abc import Callable
from dataclasses import dataclass

from ..common.units import ram_in_bytes
from ..errors import InvalidParameter

MOUNT_TYPES = ("bind", "cache", "tmpfs", "secret", "ssh")
SHARING_MODES = ("shared", "private", "locked")
NETWORK_MODES = ("default", "none", "host")
_KEYS = (
    "type", "from", "source", "target", "readonly", "id", "sharing", "required", "mode", "uid",
    "gid", "src", "dst", "ro", "rw", "readwrite", "env", "size",
)  # fmt: skip
_BOOL = {"1": True, "t": True, "true": True, "0": False, "f": False, "false": False}


@dataclass
class Mount:
    type: str = "bind"
    target: str = ""
    source: str = ""
    from_: str = ""
    id: str = ""
    sharing: str = ""
    readonly: bool = True
    required: bool = False
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None
    env: str = ""
    size: int = 0

    def spec(self) -> str:
        """The mount as a --mount value without secrets' contents (they are never in it):
        what the step's cache key and history record."""
        parts = [f"type={self.type}"]
        for key, value in (
            ("id", self.id), ("target", self.target), ("source", self.source),
            ("from", self.from_), ("sharing", self.sharing), ("env", self.env),
        ):  # fmt: skip
            if value:
                parts.append(f"{key}={value}")
        for key, num in (("mode", self.mode), ("uid", self.uid), ("gid", self.gid)):
            if num is not None:
                parts.append(f"{key}={oct(num)[2:] if key == 'mode' else num}")
        if self.size:
            parts.append(f"size={self.size}")
        if self.type in ("bind", "cache") and self.readonly != (self.type == "bind"):
            parts.append("ro" if self.readonly else "rw")
        if self.required:
            parts.append("required")
        return "--mount=" + ",".join(parts)


def _suggest(message: str, value: str, options: tuple[str, ...]) -> str:
    """BuildKit's suggest.WrapError: the closest option under edit distance 3."""
    from ..common.editdistance import distance as _distance

    best, least = "", 3
    for opt in options:
        dist = _distance(value, opt)
        if dist < least:
            best, least = opt, dist
    return f"{message} (did you mean {best}?)" if best else message


def _bool(key: str, value: str) -> bool:
    try:
        return _BOOL[value.lower()]
    except KeyError:
        raise InvalidParameter(f"invalid value for {key}: {value}") from None


def _uint(key: str, value: str, base: int) -> int:
    try:
        num = int(value, base)
    except ValueError:
        num = -1
    if num < 0 or num >= 1 << 32:
        raise InvalidParameter(f"invalid value {value} for {key}")
    return num


def parse_mount(value: str, expand: Callable[[str], str]) -> Mount:
    """One --mount value; `expand` substitutes build variables (not in `from`)."""
    try:
        fields = next(csv.reader([value]))
    except (csv.Error, StopIteration):
        raise InvalidParameter(f"failed to parse csv mounts: {value}") from None
    m = Mount()
    ro_auto = True
    for field_ in fields:
        key, eq, val = field_.partition("=")
        key = key.lower()
        if not eq:
            if key in ("readonly", "ro", "readwrite", "rw"):
                m.readonly, ro_auto = key in ("readonly", "ro"), False
            elif key == "required" and m.type in ("secret", "ssh"):
                m.required = True
            elif key == "required":
                raise InvalidParameter(f"unexpected key '{key}' for mount type '{m.type}'")
            else:
                raise InvalidParameter(f"invalid field '{field_}' must be a key=value pair")
            continue
        if key == "from":
            if "$" in val[:-1]:
                raise InvalidParameter(
                    f"'{key}' doesn't support variable expansion, define alias stage instead"
                )
        else:
            val = expand(val)
        _set(m, key, val, field_)
        if key in ("readonly", "ro", "readwrite", "rw"):
            ro_auto = False
    _validate(m, ro_auto)
    return m


def _set(m: Mount, key: str, val: str, field_: str) -> None:
    if key == "type":
        if val.lower() not in MOUNT_TYPES:
            raise InvalidParameter(_suggest(f'unsupported mount type "{val}"', val, MOUNT_TYPES))
        m.type = val.lower()
    elif key == "from":
        m.from_ = val
    elif key in ("source", "src"):
        m.source = val
    elif key in ("target", "dst", "destination"):
        m.target = val
    elif key in ("readonly", "ro"):
        m.readonly = _bool(key, val)
    elif key in ("readwrite", "rw"):
        m.readonly = not _bool(key, val)
    elif key == "required":
        if m.type not in ("secret", "ssh"):
            raise InvalidParameter(f"unexpected key '{key}' for mount type '{m.type}'")
        m.required = _bool(key, val)
    elif key == "size":
        if m.type != "tmpfs":
            raise InvalidParameter(f"unexpected key '{key}' for mount type '{m.type}'")
        try:
            m.size = ram_in_bytes(val)
        except ValueError:
            raise InvalidParameter(f"invalid value for {key}: {val}") from None
    elif key == "env":
        if m.type != "secret":
            raise InvalidParameter(f"unexpected key '{key}' for mount type '{m.type}'")
        m.env = val
    elif key == "id":
        m.id = val
    elif key == "sharing":
        if val.lower() not in SHARING_MODES:
            raise InvalidParameter(
                _suggest(f'unsupported sharing value "{val}"', val, SHARING_MODES)
            )
        m.sharing = val.lower()
    elif key == "mode":
        m.mode = _uint(key, val, 8)
    elif key in ("uid", "gid"):
        setattr(m, key, _uint(key, val, 10))
    else:
        raise InvalidParameter(_suggest(f"unexpected key '{key}' in '{field_}'", key, _KEYS))


def _validate(m: Mount, ro_auto: bool) -> None:
    if m.type not in ("secret", "ssh", "cache"):
        for key in ("mode", "uid", "gid"):
            if getattr(m, key) is not None:
                raise InvalidParameter(f'{key} not allowed for "{m.type}" type mounts')
    if ro_auto:
        m.readonly = m.type not in ("cache", "tmpfs")
    if m.type == "secret":
        if m.from_:
            raise InvalidParameter("secret mount should not have a from")
        if m.sharing:
            raise InvalidParameter("secret mount should not define sharing")
        if not (m.source or m.target or m.id or m.env):
            raise InvalidParameter("invalid secret mount. one of source, target required")
        if m.source and m.id:
            raise InvalidParameter("both source and id can't be set")
        m.id = m.id or m.source or posixpath.basename(m.target)
        if not m.target and not m.env:
            m.target = "/run/secrets/" + m.id
    if m.sharing and m.type != "cache":
        raise InvalidParameter(f"invalid cache sharing set for {m.type} mount")
    if m.type == "ssh":
        m.id = m.id or "default"
        m.target = m.target or "/run/buildkit/ssh_agent.0"
    if m.type == "cache":
        m.sharing = m.sharing or "shared"
    if not m.target and m.type != "secret":
        raise InvalidParameter("mount target must be set")  # BuildKit: "target" is required


def check_network(value: str) -> str:
    if value not in NETWORK_MODES:
        raise InvalidParameter(f'invalid network mode "{value}"')
    return value
