"""Daemon-side parsing and validation of mount requests, with Docker's error texts.

Three inputs describe mounts in the Engine API: HostConfig.Binds (`src:dst[:mode]`
strings), HostConfig.Mounts (structured items) and HostConfig.Tmpfs. Each is turned into
a ParsedMount here; nothing touches the disk except checking that a bind source exists.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidParameter

RW_MODES = frozenset({"rw", "ro"})
LABEL_MODES = frozenset({"z", "Z"})
PROPAGATION_MODES = frozenset({"private", "rprivate", "slave", "rslave", "shared", "rshared"})
CONSISTENCY_MODES = frozenset({"consistent", "cached", "delegated"})
COPY_MODES = {"nocopy": False}  # mode word -> copy data?
DEFAULT_PROPAGATION = "rprivate"
TARGET_IS_ROOT = "invalid specification: destination can't be '/'"
TMPFS_BASE_OPTIONS = ("noexec", "nosuid", "nodev", DEFAULT_PROPAGATION)


def go_clean(path: str) -> str:
    """Go's path.Clean (posixpath.normpath keeps a leading '//')."""
    if path == "":
        return "."
    cleaned = posixpath.normpath(path)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned


def is_local(path: str) -> bool:
    """Go's filepath.IsLocal: relative, non-empty, and not escaping with '..'."""
    if path == "" or path.startswith("/"):
        return False
    cleaned = go_clean(path)
    return cleaned != ".." and not cleaned.startswith("../")


# --- mode strings (the third part of a bind, or a volumes-from suffix) ---


def valid_mode(mode: str) -> bool:
    if mode == "":
        return True
    counts = {"rw": 0, "label": 0, "propagation": 0, "copy": 0, "consistency": 0}
    for word in mode.split(","):
        if word in RW_MODES:
            counts["rw"] += 1
        elif word in LABEL_MODES:
            counts["label"] += 1
        elif word in PROPAGATION_MODES:
            counts["propagation"] += 1
        elif word in COPY_MODES:
            counts["copy"] += 1
        elif word in CONSISTENCY_MODES:
            counts["consistency"] += 1
        else:
            return False
    return all(n <= 1 for n in counts.values())


def read_write(mode: str) -> bool:
    return valid_mode(mode) and "ro" not in mode.split(",")


def mode_propagation(mode: str) -> str | None:
    for word in mode.split(","):
        if word in PROPAGATION_MODES:
            return word
    return None


def mode_copy(mode: str) -> bool | None:
    """True/False when the mode says copy/nocopy, None when it does not say."""
    for word in mode.split(","):
        if word in COPY_MODES:
            return COPY_MODES[word]
    return None


def invalid_spec(raw: str) -> str:
    return f"invalid volume specification: '{raw}'"


# --- the parsed form ---


@dataclass
class ParsedMount:
    """Docker's MountPoint before any volume exists: what to mount where."""

    type: str
    destination: str
    rw: bool = True
    source: str = ""  # host path (bind) — volumes get theirs when created
    name: str = ""  # volume name, "" for a new anonymous volume
    driver: str = ""
    mode: str = ""
    propagation: str = ""
    copy_data: bool = False
    spec: dict[str, Any] = field(default_factory=dict)  # the API Mount item it came from


class MountConfigError(InvalidParameter):
    pass


def _config_error(kind: str, detail: str) -> MountConfigError:
    return MountConfigError(f'invalid mount config for type "{kind}": {detail}')


def _present(m: dict[str, Any], key: str) -> bool:
    return m.get(key) is not None


def validate_absolute(path: str) -> None:
    path = path.replace("\\", "/")
    if not path.startswith("/"):
        raise ValueError(f"invalid mount path: '{path}' mount path must be absolute")


def validate_not_root(path: str) -> None:
    if go_clean(path.replace("\\", "/")) == "/":
        raise ValueError(TARGET_IS_ROOT)


def validate_tmpfs_destination(dest: str) -> None:
    """HostConfig.Tmpfs keys; raises InvalidParameter with Docker's bare texts."""
    try:
        validate_not_root(dest)
        validate_absolute(dest)
    except ValueError as exc:
        raise InvalidParameter(str(exc)) from None


def validate_mount_config(m: dict[str, Any], check_bind_source: bool = True) -> None:
    """One HostConfig.Mounts item, as Docker's ValidateMountConfig."""
    kind = str(m.get("Type") or "")
    try:
        _validate(m, kind, check_bind_source)
    except ValueError as exc:
        raise _config_error(kind, str(exc)) from None


def _validate(m: dict[str, Any], kind: str, check_bind_source: bool) -> None:
    for key, owner in (
        ("BindOptions", "bind"),
        ("VolumeOptions", "volume"),
        ("ImageOptions", "image"),
        ("TmpfsOptions", "tmpfs"),
        ("ClusterOptions", "cluster"),
    ):
        if kind != owner and _present(m, key):
            raise ValueError(f"field {key} must not be specified")
    target = str(m.get("Target") or "")
    if target == "":
        raise ValueError("field Target must not be empty")
    validate_not_root(target)
    validate_absolute(target)
    source = str(m.get("Source") or "")
    if kind == "bind":
        if source == "":
            raise ValueError("field Source must not be empty")
        bind_opts = m.get("BindOptions") or {}
        propagation = bind_opts.get("Propagation") or ""
        if propagation and propagation not in PROPAGATION_MODES:
            raise ValueError(f"invalid propagation mode: {propagation}")
        validate_absolute(source)
        if check_bind_source and not bind_opts.get("CreateMountpoint"):
            try:
                os.stat(source)
            except FileNotFoundError:
                raise ValueError(f"bind source path does not exist: {source}") from None
            except OSError as exc:
                raise ValueError(str(exc)) from None
    elif kind == "volume":
        subpath = (m.get("VolumeOptions") or {}).get("Subpath") or ""
        if subpath:
            if source == "":
                raise ValueError("must not set Subpath when using anonymous volumes")
            if not is_local(subpath):
                raise ValueError("subpath must be a relative path within the volume")
    elif kind == "tmpfs":
        if source:
            raise ValueError("field Source must not be specified")
        convert_tmpfs_options(m.get("TmpfsOptions"), bool(m.get("ReadOnly")))
    elif kind == "image":
        raise ValueError("image mounts are not supported by dockyard")
    else:
        raise ValueError("mount type unknown")


def parse_mount_spec(m: dict[str, Any], check_bind_source: bool = True) -> ParsedMount:
    """A validated HostConfig.Mounts item -> ParsedMount (Docker's ParseMountSpec)."""
    validate_mount_config(m, check_bind_source)
    kind = str(m["Type"])
    parsed = ParsedMount(
        type=kind,
        destination=go_clean(str(m["Target"])),
        rw=not m.get("ReadOnly"),
        spec=dict(m),
    )
    if kind == "volume":
        opts = m.get("VolumeOptions") or {}
        parsed.name = str(m.get("Source") or "")
        parsed.copy_data = not opts.get("NoCopy")
        parsed.driver = str((opts.get("DriverConfig") or {}).get("Name") or "")
    elif kind == "bind":
        parsed.source = go_clean(str(m["Source"]))
        parsed.propagation = (m.get("BindOptions") or {}).get("Propagation") or DEFAULT_PROPAGATION
    return parsed


def parse_bind(raw: str, volume_driver: str = "") -> ParsedMount:
    """One HostConfig.Binds entry (Docker's ParseMountRaw); bind sources are not checked
    here, since a missing host directory is created at start."""
    arr = raw.split(":", 3)
    if arr[0] == "":
        raise InvalidParameter(invalid_spec(raw))
    source, mode = "", ""
    if len(arr) == 1:
        target = arr[0]
    elif len(arr) == 2:
        if valid_mode(arr[1]):  # "/foo:rw": a destination with a mode is no volume
            raise InvalidParameter(invalid_spec(raw))
        source, target = arr
    elif len(arr) == 3:
        source, target, mode = arr
    else:
        raise InvalidParameter(invalid_spec(raw))
    if not valid_mode(mode):
        raise InvalidParameter(f"invalid mode: {mode}")
    kind = "bind" if source.startswith("/") else "volume"
    m: dict[str, Any] = {"Type": kind, "Source": source, "Target": target}
    m["ReadOnly"] = not read_write(mode)
    if volume_driver and kind == "volume":
        m["VolumeOptions"] = {"DriverConfig": {"Name": volume_driver}}
    copy = mode_copy(mode)
    if copy is not None:
        m.setdefault("VolumeOptions", {})["NoCopy"] = not copy
    propagation = mode_propagation(mode)
    if propagation:
        m["BindOptions"] = {"Propagation": propagation}
    try:
        parsed = parse_mount_spec(m, check_bind_source=False)
    except InvalidParameter as exc:
        raise InvalidParameter(f"{invalid_spec(raw)}: {exc.message}") from None
    parsed.mode = mode
    return parsed


def parse_volumes_from(spec: str) -> tuple[str, str]:
    """`container[:mode]` -> (container, mode); mode defaults to "rw"."""
    if spec == "":
        raise InvalidParameter("volumes-from specification cannot be an empty string")
    ident, _, mode = spec.partition(":")
    if mode == "":
        return ident, "rw"
    if not valid_mode(mode) or mode_propagation(mode) or mode_copy(mode) is not None:
        raise InvalidParameter(f"invalid mode: {mode}")
    return ident, mode


# --- tmpfs options ---

_TMPFS_OPTION_FLAGS = frozenset({"exec", "noexec"})
_TMPFS_DATA_KEYS = frozenset({"size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol"})
# mount flags that cancel each other share a group; the last one given wins
_FLAG_GROUP = {
    **dict.fromkeys(("ro", "rw"), "rdonly"),
    **dict.fromkeys(("suid", "nosuid"), "nosuid"),
    **dict.fromkeys(("dev", "nodev"), "nodev"),
    **dict.fromkeys(("exec", "noexec"), "noexec"),
    **dict.fromkeys(("sync", "async"), "sync"),
    **dict.fromkeys(("mand", "nomand"), "mand"),
    **dict.fromkeys(("atime", "noatime"), "noatime"),
    **dict.fromkeys(("diratime", "nodiratime"), "nodiratime"),
    **dict.fromkeys(("relatime", "norelatime"), "relatime"),
    **dict.fromkeys(("strictatime", "nostrictatime"), "strictatime"),
    **dict.fromkeys(
        (
            "unbindable",
            "runbindable",
            "private",
            "rprivate",
            "shared",
            "rshared",
            "slave",
            "rslave",
        ),
        "propagation",
    ),
    "dirsync": "dirsync",
    "remount": "remount",
    "bind": "bind",
    "rbind": "rbind",
}


def convert_tmpfs_options(opts: dict[str, Any] | None, read_only: bool) -> str:
    """Mount.TmpfsOptions -> the data string Docker passes to tmpfs ("ro,mode=1777,size=64m")."""
    words: list[str] = ["ro"] if read_only else []
    opts = opts or {}
    if opts.get("Mode"):
        words.append(f"mode={int(opts['Mode']) & 0o7777:o}")
    size = int(opts.get("SizeBytes") or 0)
    if size:
        for suffix, divisor in (("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10)):
            if size % divisor == 0:
                words.append(f"size={size // divisor}{suffix}")
                break
        else:
            words.append(f"size={size}")
    for option in opts.get("Options") or []:
        if not isinstance(option, list) or not 1 <= len(option) <= 2:
            raise ValueError("invalid option array length")
        if option[0] not in _TMPFS_OPTION_FLAGS:
            raise ValueError(f"invalid option: {option[0]}")
        words.append("=".join(str(part) for part in option))
    return ",".join(words)


def merge_tmpfs_options(options: list[str]) -> list[str]:
    """Later options override earlier ones (Docker's MergeTmpfsOptions)."""
    seen_flags: set[str] = set()
    seen_data: set[str] = set()
    merged: list[str] = []
    for option in reversed(options):
        if option in ("defaults", ""):
            continue
        group = _FLAG_GROUP.get(option)
        if group is not None:
            if group not in seen_flags:
                seen_flags.add(group)
                merged.append(option)
            continue
        key, sep, value = option.partition("=")
        if not sep or key not in _TMPFS_DATA_KEYS:
            shown = f'"{key}" "{value}"' if sep else f'"{key}"'
            raise InvalidParameter(f"invalid tmpfs option [{shown}]")
        if key not in seen_data:
            seen_data.add(key)
            merged.append(option)
    merged.reverse()
    return merged


def tmpfs_oci_options(data: str) -> list[str]:
    return merge_tmpfs_options([*TMPFS_BASE_OPTIONS, *(data.split(",") if data else [])])
