"""A container's /etc/hostname, /etc/hosts and /etc/resolv.conf: files in its directory,
written at each start and bind-mounted over the image's (unless the user mounts their own)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..network.service import NetworkService
    from .record import Container

# (record attribute of the host file, its file name in the container directory, where it shows)
ETC_FILES = (
    ("hostname_path", "hostname", "/etc/hostname"),
    ("hosts_path", "hosts", "/etc/hosts"),
    ("resolv_conf_path", "resolv.conf", "/etc/resolv.conf"),
)


def write_etc_files(c: Container, cdir: Path, networks: NetworkService) -> None:
    hostname = c.config.hostname or c.id[:12]
    (cdir / "hostname").write_text(hostname + "\n")
    hosts, resolv = networks.etc_files(c.attachment())
    (cdir / "hosts").write_text(hosts)
    (cdir / "resolv.conf").write_text(resolv)


def _user_mounted(c: Container) -> set[str]:
    return {m.destination for m in c.record.mounts if m.in_inspect}


def etc_mounts(c: Container, cdir: Path) -> list[dict[str, Any]]:
    """The OCI bind mounts of the files the user did not mount themselves."""
    taken = _user_mounted(c)
    return [
        {
            "destination": dest,
            "type": "bind",
            "source": str(cdir / name),
            "options": ["rbind", "rprivate"],
        }
        for _key, name, dest in ETC_FILES
        if dest not in taken
    ]


def etc_mount_points(c: Container) -> list[dict[str, Any]]:
    """The same files as inspect-style mount points (for `cp`), those that exist."""
    taken = _user_mounted(c)
    out = []
    for key, _name, dest in ETC_FILES:
        source = getattr(c.record, key)
        if source and dest not in taken and os.path.exists(source):
            out.append({"Destination": dest, "Source": source, "Type": "bind", "_file": True})
    return out
