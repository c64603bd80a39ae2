"""Docker's default OCI security settings: mounts, masked/read-only paths, device rules."""

from __future__ import annotations

import os
import stat

DEFAULT_SHM_SIZE = 64 * 1024 * 1024
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

MASKED_PATHS: tuple[str, ...] = (
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
)

READONLY_PATHS: tuple[str, ...] = (
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
)


def default_mounts(*, shm_size: int | None, privileged: bool, ipc_host: bool) -> list[dict]:
    """The kernel filesystems every container gets. /sys and its cgroup tree are writable
    only for privileged containers; with `--ipc host` the host's /dev/shm is bound."""
    sys_opts = ["nosuid", "noexec", "nodev"] + ([] if privileged else ["ro"])
    mounts = [
        {
            "destination": "/proc",
            "type": "proc",
            "source": "proc",
            "options": ["nosuid", "noexec", "nodev"],
        },
        {
            "destination": "/dev",
            "type": "tmpfs",
            "source": "tmpfs",
            "options": ["nosuid", "strictatime", "mode=755", "size=65536k"],
        },
        {
            "destination": "/dev/pts",
            "type": "devpts",
            "source": "devpts",
            "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
        },
        {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": sys_opts},
        {
            "destination": "/sys/fs/cgroup",
            "type": "cgroup",
            "source": "cgroup",
            "options": sys_opts,
        },
        {
            "destination": "/dev/mqueue",
            "type": "mqueue",
            "source": "mqueue",
            "options": ["nosuid", "noexec", "nodev"],
        },
    ]
    if ipc_host:
        mounts.append(
            {
                "destination": "/dev/shm",
                "type": "bind",
                "source": "/dev/shm",
                "options": ["rbind", "nosuid", "noexec", "nodev"],
            }
        )
    else:
        size = shm_size if shm_size and shm_size > 0 else DEFAULT_SHM_SIZE
        mounts.append(
            {
                "destination": "/dev/shm",
                "type": "tmpfs",
                "source": "shm",
                "options": ["nosuid", "noexec", "nodev", "mode=1777", f"size={size}"],
            }
        )
    return mounts


def default_device_rules() -> list[dict]:
    """Deny everything, then allow the devices every container needs (as Docker)."""

    def rule(allow: bool, kind: str | None, major: int | None, minor: int | None, access: str):
        r: dict = {"allow": allow, "access": access}
        if kind:
            r["type"] = kind
        if major is not None:
            r["major"] = major
        if minor is not None:
            r["minor"] = minor
        return r

    return [
        rule(False, None, None, None, "rwm"),
        rule(True, "c", None, None, "m"),  # mknod of any char device
        rule(True, "b", None, None, "m"),  # mknod of any block device
        rule(True, "c", 1, 3, "rwm"),  # /dev/null
        rule(True, "c", 1, 8, "rwm"),  # /dev/random
        rule(True, "c", 1, 7, "rwm"),  # /dev/full
        rule(True, "c", 5, 0, "rwm"),  # /dev/tty
        rule(True, "c", 1, 5, "rwm"),  # /dev/zero
        rule(True, "c", 1, 9, "rwm"),  # /dev/urandom
        rule(True, "c", 136, None, "rwm"),  # /dev/pts/*
        rule(True, "c", 5, 2, "rwm"),  # /dev/ptmx
        rule(True, "c", 10, 200, "rwm"),  # /dev/net/tun
        rule(True, "c", 5, 1, "rwm"),  # /dev/console
    ]


_SKIP_DIRS = {"pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"}
_SKIP_FILES = {"/dev/console", "/dev/ptmx", "/dev/tty"}


def device_entry(host_path: str, container_path: str | None = None) -> dict | None:
    """OCI `linux.devices` entry for a host device node, or None if it is not one."""
    try:
        st = os.stat(host_path)
    except OSError:
        return None
    if stat.S_ISCHR(st.st_mode):
        kind = "c"
    elif stat.S_ISBLK(st.st_mode):
        kind = "b"
    else:
        return None
    return {
        "path": container_path or host_path,
        "type": kind,
        "major": os.major(st.st_rdev),
        "minor": os.minor(st.st_rdev),
        "fileMode": stat.S_IMODE(st.st_mode),
        "uid": st.st_uid,
        "gid": st.st_gid,
    }


def host_devices(root: str = "/dev") -> list[dict]:
    """All device nodes of the host, for privileged containers."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS]
        for name in filenames:
            path = os.path.join(dirpath, name)
            if path in _SKIP_FILES or os.path.islink(path):
                continue
            entry = device_entry(path)
            if entry:
                out.append(entry)
    return out
