"""Linux capability names and Docker's CapAdd/CapDrop/Privileged semantics."""

from __future__ import annotations

from functools import cache

from .errors import SpecError

# Index order is the kernel's capability number; we cut it at cap_last_cap so a
# privileged container never asks runc for a capability this kernel lacks.
_ALL_NAMES = (
    "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP "
    "LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER "
    "SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE "
    "SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP "
    "MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF "
    "CHECKPOINT_RESTORE"
).split()
KNOWN_CAPABILITIES: tuple[str, ...] = tuple("CAP_" + n for n in _ALL_NAMES)

DEFAULT_CAPABILITIES: tuple[str, ...] = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
)


@cache
def host_capabilities() -> tuple[str, ...]:
    """Every capability the kernel supports *and* our bounding set holds (runc, our child,
    cannot grant more: a sandboxed host may lack some, e.g. CAP_SYS_RESOURCE)."""
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            last = int(f.read().strip())
    except (OSError, ValueError):
        last = len(KNOWN_CAPABILITIES) - 1
    bounding = (1 << (last + 1)) - 1
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapBnd:"):
                    bounding = int(line.split()[1], 16)
    except (OSError, ValueError):
        pass
    return tuple(c for i, c in enumerate(KNOWN_CAPABILITIES[: last + 1]) if bounding >> i & 1)


def normalize(names: list[str] | None) -> list[str]:
    """Upper-case and CAP_-prefix names as Docker does; keep the magic value ALL."""
    out: list[str] = []
    for raw in names or []:
        name = str(raw).strip().upper()
        if name == "ALL":
            out.append(name)
            continue
        if not name.startswith("CAP_"):
            name = "CAP_" + name
        if name not in KNOWN_CAPABILITIES:
            raise SpecError(f'unknown capability: "{name}"')
        if name not in host_capabilities():
            raise SpecError(
                "capability not supported by your kernel or not available in the "
                f'current environment: "{name}"'
            )
        out.append(name)
    return out


def effective_capabilities(
    cap_add: list[str] | None, cap_drop: list[str] | None, privileged: bool
) -> list[str]:
    """The capability set of the container's process, in Docker's precedence order.

    CapAdd ALL wins over everything but explicit drops; CapDrop ALL keeps only CapAdd.
    """
    adds, drops = normalize(cap_add), normalize(cap_drop)
    if privileged:
        return list(host_capabilities())
    if "ALL" in adds:
        caps = [c for c in host_capabilities() if c not in drops]
    elif "ALL" in drops:
        caps = [c for c in adds if c != "ALL"]
    else:
        caps = [c for c in DEFAULT_CAPABILITIES if c not in drops] + adds
    seen: set[str] = set()
    return [c for c in caps if not (c in seen or seen.add(c))]
