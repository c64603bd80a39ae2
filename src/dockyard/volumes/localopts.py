"""The local driver's `-o type=… -o device=… -o o=…` options: validation and mount/unmount.

A volume with options mounts `device` (filesystem `type`, options `o`) on its `_data`
directory while a container uses it, as Docker's local driver does with mount(2).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

from dockyard.common.units import ram_in_bytes

from ..errors import DockyardError, InvalidParameter

VALID_OPTS = ("type", "o", "device", "size")
# An option that needs others beside it; checked in this order for a stable message.
REQUIRED_WITH = (("device", ("type",)), ("type", ("device",)), ("o", ("device", "type")))


def validate_opts(opts: Mapping[str, str] | None) -> None:
    if not opts:
        return
    for key in opts:
        if key not in VALID_OPTS:
            raise InvalidParameter(f'invalid option: "{key}"')
    if "size" in opts:
        try:
            size = ram_in_bytes(opts["size"])
        except ValueError as exc:
            raise InvalidParameter(str(exc)) from None
        if size > 0:  # no project quotas here, as Docker on a filesystem without them
            raise InvalidParameter("quota size requested but no quota support")
    for key, needed in REQUIRED_WITH:
        if key in opts:
            for other in needed:
                if other not in opts:
                    raise InvalidParameter(f'missing required option: "{other}"')


def needs_mount(opts: Mapping[str, str] | None) -> bool:
    return bool(opts) and bool(opts.get("device") or opts.get("type"))  # type: ignore[union-attr]


def _mask_password(text: str, mount_opts: str) -> str:
    m = re.search(r"(?:^|,)password=([^,]*)", mount_opts)
    return text.replace(m.group(1), "********") if m and m.group(1) else text


def mount(opts: Mapping[str, str], target: Path) -> None:
    device = opts.get("device", "")
    if not device:
        raise DockyardError("failed to mount local volume: missing device in volume options")
    cmd = ["mount", "-t", opts.get("type") or "none"]
    if opts.get("o"):
        cmd += ["-o", opts["o"]]
    cmd += ["--", device, str(target)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()
        raise DockyardError(
            _mask_password(f"failed to mount local volume: {detail}", opts.get("o", ""))
        )


def unmount(target: Path) -> None:
    proc = subprocess.run(["umount", "--", str(target)], capture_output=True, text=True)
    if proc.returncode != 0 and is_mounted(target):
        raise DockyardError(f"error while unmounting volume path '{target}': {proc.stderr.strip()}")


def _unescape(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as \ooo
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def mount_points() -> list[str]:
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as fh:
        return [_unescape(line.split(" ", 5)[4]) for line in fh if line.strip()]


def is_mounted(path: Path) -> bool:
    target = os.path.realpath(path)
    return target in mount_points()


def mounts_under(path: Path) -> list[str]:
    """Mount points at or below `path`: removing the directory must not descend into them."""
    root = os.path.realpath(path)
    return [m for m in mount_points() if m == root or m.startswith(root.rstrip("/") + "/")]
