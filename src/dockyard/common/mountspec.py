"""Client-side parsing of `-v`, `--mount` and `--tmpfs`, as the docker CLI does it.

The CLI validates little (the daemon does the rest) but its error texts are what users
see for a mistyped flag, so they are reproduced here.
"""

from __future__ import annotations

import os

from dockyard.common.units import ram_in_bytes

from ..errors import InvalidParameter

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from typing import Any

PROPAGATIONS = ("private", "rprivate", "shared", "rshared", "slave", "rslave")


# --- -v / --volume ---


def _volume_sections(spec: str) -> tuple[str, str, str]:
    """(source, target, options) of a `-v` value; raises with the CLI's texts."""
    if spec == "":
        raise InvalidParameter("invalid empty volume spec")
    if len(spec) <= 2:
        return "", spec, ""
    sections = spec.split(":")
    for i, section in enumerate(sections):
        if section == "":
            raise InvalidParameter(f"invalid spec: {spec}: empty section between colons")
        if i == 2 and len(sections) > 3:
            raise InvalidParameter(f"invalid spec: {spec}: too many colons")
    if len(sections) == 1:
        return "", sections[0], ""
    if len(sections) == 2:
        return sections[0], sections[1], ""
    return sections[0], sections[1], sections[2]


def _is_file_path(source: str) -> bool:
    return source[:1] in (".", "/", "~")


def parse_volume_flag(spec: str) -> str:
    """Validate a `-v` value; returns it with a relative `./host` path made absolute.

    The result goes into HostConfig.Binds when it names a source, into Config.Volumes
    (an anonymous volume) when it is a bare container path: see split_volume_flags().
    """
    source, _target, _opts = _volume_sections(spec)
    if source and _is_file_path(source) and not source.startswith("/") and source.startswith("."):
        host, _, rest = spec.partition(":")
        return os.path.abspath(host) + ":" + rest
    return spec


def is_anonymous_volume_flag(spec: str) -> bool:
    return _volume_sections(spec)[0] == ""


def split_volume_flags(specs: list[str]) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """All `-v` values -> (HostConfig.Binds, Config.Volumes); repeats count once."""
    binds: list[str] = []
    volumes: dict[str, dict[str, Any]] = {}
    for spec in dict.fromkeys(specs):
        parsed = parse_volume_flag(spec)
        if is_anonymous_volume_flag(spec):
            volumes[spec] = {}
        else:
            binds.append(parsed)
    return binds, volumes


# --- --tmpfs ---


def parse_tmpfs_flag(spec: str) -> tuple[str, str]:
    """`/run:size=64m,mode=1777` -> ("/run", "size=64m,mode=1777") for HostConfig.Tmpfs."""
    path, _, options = spec.partition(":")
    return path, options


# --- --mount ---


def _csv_fields(value: str) -> list[str]:
    """One record of Go's encoding/csv (comma separated, double-quoted fields)."""
    fields: list[str] = []
    i, n = 0, len(value)
    while True:
        if i < n and value[i] == '"':
            i += 1
            buf: list[str] = []
            while True:
                if i >= n:
                    raise ValueError(
                        f'parse error on line 1, column {n + 1}: extraneous or missing " in quoted-field'
                    )
                ch = value[i]
                if ch == '"':
                    if i + 1 < n and value[i + 1] == '"':
                        buf.append('"')
                        i += 2
                        continue
                    i += 1
                    if i < n and value[i] != ",":
                        raise ValueError(
                            f'parse error on line 1, column {i}: extraneous or missing " in quoted-field'
                        )
                    break
                buf.append(ch)
                i += 1
            fields.append("".join(buf))
        else:
            end = value.find(",", i)
            end = n if end < 0 else end
            field = value[i:end]
            if '"' in field:
                col = i + field.index('"') + 1
                raise ValueError(f'parse error on line 1, column {col}: bare " in non-quoted-field')
            fields.append(field)
            i = end
        if i >= n:
            return fields
        i += 1  # the comma
        if i == n:
            fields.append("")
            return fields


def _bool_value(key: str, val: str, has_value: bool) -> bool:
    if not has_value:
        return True
    if val in ("1", "true"):
        return True
    if val in ("0", "false"):
        return False
    raise ValueError(
        f"invalid value for '{key}': invalid boolean value (\"{val}\"): "
        'must be one of "true", "1", "false", or "0" (default "true")'
    )


def _set_kv(target: dict[str, str] | None, item: str) -> dict[str, str] | None:
    key, _, value = item.partition("=")
    if key == "":
        return target
    target = target if target is not None else {}
    target[key] = value
    return target


_FLAG_ONLY = ("readonly", "ro", "volume-nocopy", "bind-nonrecursive", "bind-create-src")


def parse_mount_flag(spec: str) -> dict[str, Any]:
    """A `--mount` value -> one HostConfig.Mounts item (Docker API shape)."""
    try:
        return _parse_mount(spec)
    except ValueError as exc:
        raise InvalidParameter(f'invalid argument "{spec}" for "--mount" flag: {exc}') from None


def _parse_mount(spec: str) -> dict[str, Any]:  # noqa: C901 - one branch per key, as the CLI
    value = spec.strip()
    if value == "":
        raise ValueError("value is empty")
    mount: dict[str, Any] = {"Type": "volume", "Source": "", "Target": "", "ReadOnly": False}
    bind: dict[str, Any] | None = None
    vol: dict[str, Any] | None = None
    tmpfs: dict[str, Any] | None = None
    for field in _csv_fields(value):
        key, has_value, val = field.partition("=")
        has_value_b = bool(has_value)
        if key.strip() != key:
            raise ValueError(
                f"invalid option '{key.strip()}' in '{field}': option should not have whitespace"
            )
        if has_value_b:
            if val.strip() == "":
                raise ValueError(f"invalid value for '{key}': value is empty")
            if val.strip() != val:
                raise ValueError(
                    f"invalid value for '{key}' in '{field}': value should not have whitespace"
                )
        key = key.lower()
        if not has_value_b and key not in _FLAG_ONLY:
            raise ValueError(f"invalid field '{field}' must be a key=value pair")
        if key == "type":
            mount["Type"] = val.lower()
        elif key in ("source", "src"):
            mount["Source"] = val
            if not val.startswith("/") and val.startswith("."):
                mount["Source"] = os.path.abspath(val)
        elif key in ("target", "dst", "destination"):
            mount["Target"] = val
        elif key in ("readonly", "ro"):
            mount["ReadOnly"] = _bool_value(key, val, has_value_b)
        elif key == "consistency":
            mount["Consistency"] = val.lower()
        elif key == "bind-propagation":
            bind = bind or {}
            bind["Propagation"] = val.lower()
        elif key == "bind-nonrecursive":
            raise ValueError("bind-nonrecursive is deprecated, use bind-recursive=disabled instead")
        elif key == "bind-recursive":
            if val == "enabled":
                pass
            elif val == "disabled":
                bind = bind or {}
                bind["NonRecursive"] = True
            elif val == "writable":
                bind = bind or {}
                bind["ReadOnlyNonRecursive"] = True
            elif val == "readonly":
                bind = bind or {}
                bind["ReadOnlyForceRecursive"] = True
            else:
                raise ValueError(
                    f"invalid value for {key}: {val} "
                    '(must be "enabled", "disabled", "writable", or "readonly")'
                )
        elif key == "bind-create-src":
            bind = bind or {}
            bind["CreateMountpoint"] = _bool_value(key, val, has_value_b)
        elif key == "volume-subpath":
            vol = vol or {}
            vol["Subpath"] = val
        elif key == "volume-nocopy":
            vol = vol or {}
            vol["NoCopy"] = _bool_value(key, val, has_value_b)
        elif key == "volume-label":
            vol = vol or {}
            labels = _set_kv(vol.get("Labels"), val)
            if labels is not None:
                vol["Labels"] = labels
        elif key == "volume-driver":
            vol = vol or {}
            vol.setdefault("DriverConfig", {})["Name"] = val
        elif key == "volume-opt":
            vol = vol or {}
            driver = vol.setdefault("DriverConfig", {})
            options = _set_kv(driver.get("Options"), val)
            if options is not None:
                driver["Options"] = options
        elif key == "tmpfs-size":
            try:
                size = ram_in_bytes(val)
            except ValueError:
                raise ValueError(f"invalid value for {key}: {val}") from None
            tmpfs = tmpfs or {}
            tmpfs["SizeBytes"] = size
        elif key == "tmpfs-mode":
            try:
                mode = int(val, 8)
                if mode < 0 or mode >= 1 << 32 or val.startswith(("+", "-", "0o")):
                    raise ValueError(val)
            except ValueError:
                raise ValueError(f"invalid value for {key}: {val}") from None
            tmpfs = tmpfs or {}
            tmpfs["Mode"] = mode
        else:
            raise ValueError(f"unknown option '{key}' in '{field}'")
    kind = mount["Type"]
    if kind == "":
        raise ValueError("type is required")
    if bind is not None and kind != "bind":
        raise ValueError(f"cannot mix 'bind-*' options with mount type '{kind}'")
    if vol is not None and kind != "volume":
        raise ValueError(f"cannot mix 'volume-*' options with mount type '{kind}'")
    if tmpfs is not None and kind != "tmpfs":
        raise ValueError(f"cannot mix 'tmpfs-*' options with mount type '{kind}'")
    if bind is not None:
        if bind.get("ReadOnlyNonRecursive") and not mount["ReadOnly"]:
            raise ValueError(
                "option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction"
            )
        if bind.get("ReadOnlyForceRecursive"):
            if not mount["ReadOnly"]:
                raise ValueError(
                    "option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction"
                )
            if bind.get("Propagation") != "rprivate":
                raise ValueError(
                    "option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' "
                    "to be specified in conjunction"
                )
        mount["BindOptions"] = bind
    if vol is not None:
        mount["VolumeOptions"] = vol
    if tmpfs is not None:
        mount["TmpfsOptions"] = tmpfs
    return mount
