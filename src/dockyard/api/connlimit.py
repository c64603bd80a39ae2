"""Connection admission: a cap per client and in total, both below the fd limit.

One client (a TCP peer address, or the process at the other end of the unix socket) must
not be able to take every file descriptor of the daemon: the daemon needs fds for
containers, layers and logs, and for every other client. Pure bookkeeping, no I/O.
"""

from __future__ import annotations

import resource
import socket
import struct
from dataclasses import dataclass, field

# Kept free of API connections: containers' pipes and logs, layer files, sqlite, netlink.
_RESERVED_FRACTION = 8
_MIN_RESERVED = 256


def fd_limit() -> int:
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


@dataclass
class ConnectionLimits:
    total: int
    per_client: int
    _open: dict[str, int] = field(default_factory=dict)
    _count: int = 0

    @classmethod
    def for_fd_limit(cls, limit: int) -> ConnectionLimits:
        """Total: the fd limit minus a reserve; per client: a quarter of the fd limit."""
        total = max(16, limit - max(_MIN_RESERVED, limit // _RESERVED_FRACTION))
        return cls(total=total, per_client=max(8, min(total, limit // 4)))

    def admit(self, client: str) -> bool:
        held = self._open.get(client, 0)
        if held >= self.per_client or self._count >= self.total:
            return False
        self._open[client] = held + 1
        self._count += 1
        return True

    def release(self, client: str) -> None:
        held = self._open.get(client, 0)
        if held <= 1:
            self._open.pop(client, None)
        else:
            self._open[client] = held - 1
        self._count = max(0, self._count - 1)

    @property
    def open_connections(self) -> int:
        return self._count


def client_key(sock: socket.socket | None, peername: object) -> str:
    """Who is at the other end: `ip:ADDR` for TCP, `pid:N` (SO_PEERCRED) for a unix socket."""
    if sock is not None and sock.family == socket.AF_UNIX:
        try:
            creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            pid, _uid, _gid = struct.unpack("3i", creds)
            return f"pid:{pid}"
        except OSError:
            return "unix"
    if isinstance(peername, tuple) and peername:
        return f"ip:{peername[0]}"
    return "unknown"
