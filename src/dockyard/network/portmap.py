"""Host ports for published container ports: choosing them and holding them.

IPv4 traffic is forwarded by nftables DNAT, but we still bind (without listening) a socket
on every published host port: it reserves the port against other programs, and a port some
other program already uses fails the bind, so it is refused the way Docker refuses it.
On IPv6 host addresses the socket listens and a userland proxy relays to the container
(as docker-proxy does): NAT cannot take IPv6 to a container's IPv4 address.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

from dockyard.common.ports import parse_port_range
from dockyard.errors import Conflict, InvalidParameter

from .userproxy import TcpProxy

_SOCK_TYPES = {"tcp": socket.SOCK_STREAM, "udp": socket.SOCK_DGRAM, "sctp": socket.SOCK_STREAM}


def ephemeral_range() -> tuple[int, int]:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = f.read().split()
        return int(lo), int(hi)
    except (OSError, ValueError):
        return 32768, 60999


@dataclass(frozen=True)
class Key:
    proto: str
    host_ip: str  # "0.0.0.0" (or "::" on IPv6) for all addresses
    port: int

    @property
    def v6(self) -> bool:
        return ":" in self.host_ip

    @property
    def wildcard(self) -> bool:
        return self.host_ip in ("0.0.0.0", "::")


def ipv6_wildcard_available() -> bool:
    """Whether [::] can be bound (IPv6 not disabled on the host)."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind(("::", 0))
        return True
    except OSError:
        return False


class PortReserver:
    def __init__(self, port_range: tuple[int, int] | None = None) -> None:
        self.range = port_range or ephemeral_range()
        self.held: dict[Key, socket.socket | None] = {}
        self.proxies: dict[Key, TcpProxy] = {}
        self._last: dict[tuple[str, str], int] = {}

    def _conflicts(self, key: Key) -> bool:
        for k in self.held:
            if k.proto == key.proto and k.port == key.port and k.v6 == key.v6:
                if k.wildcard or key.wildcard or k.host_ip == key.host_ip:
                    return True
        return False

    def _bind(self, key: Key) -> socket.socket | None:
        proto = socket.IPPROTO_SCTP if key.proto == "sctp" else 0
        try:
            s = socket.socket(socket.AF_INET6 if key.v6 else socket.AF_INET, _SOCK_TYPES[key.proto], proto)
        except OSError:
            return None  # e.g. no sctp module: we cannot reserve, DNAT still works
        try:
            if key.v6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if key.proto == "udp":
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            s.bind((key.host_ip, key.port))
        except OSError:
            s.close()
            raise
        return s

    def _try(self, key: Key) -> bool:
        if self._conflicts(key):
            return False
        try:
            self.held[key] = self._bind(key)
        except OSError:
            return False
        return True

    def reserve(self, proto: str, host_ip: str, spec: str) -> int:
        """Reserve a host port: spec "" or "0" is any free ephemeral port, "8080" that
        port, "8000-8010" the first free one of the range."""
        host_ip = host_ip or "0.0.0.0"
        if spec in ("", "0"):
            # dockerd's port allocator: in order from the range's start, each search
            # going on after the port it handed out last
            lo, hi = self.range
            start = self._last.get((proto, host_ip), lo - 1) + 1
            for i in range(hi - lo + 1):
                port = lo + (start - lo + i) % (hi - lo + 1)
                if self._try(Key(proto, host_ip, port)):
                    self._last[(proto, host_ip)] = port
                    return port
            raise Conflict(f"Bind for {host_ip}:{spec} failed: port is already allocated")
        try:
            lo, hi = parse_port_range(spec)
        except ValueError:
            raise InvalidParameter(f"invalid hostPort: {spec}") from None
        for port in range(lo, hi + 1):
            key = Key(proto, host_ip, port)
            if self._conflicts(key):
                continue
            try:
                self.held[key] = self._bind(key)
                return port
            except OSError as exc:
                if lo == hi:
                    if exc.errno == errno.EADDRINUSE:
                        raise Conflict(
                            f"Error starting userland proxy: listen {proto}4 "
                            f"{host_ip}:{port}: bind: address already in use"
                        ) from None
                    raise Conflict(f"failed to bind {host_ip}:{port}/{proto}: {exc}") from None
        raise Conflict(f"Bind for {host_ip}:{spec} failed: port is already allocated")

    def forward(self, proto: str, host_ip: str, port: int, target: tuple[str, int]) -> None:
        """Relay a reserved IPv6 TCP port to the container (IPv4 goes by DNAT)."""
        key = Key(proto, host_ip, port)
        sock = self.held.get(key)
        if key in self.proxies:
            self.proxies[key].target = target  # ports follow the endpoint with the gateway
        elif key.v6 and proto == "tcp" and sock is not None:
            self.proxies[key] = TcpProxy(sock, target)

    def adopt(self, proto: str, host_ip: str, port: int, target: tuple[str, int] | None = None) -> None:
        """Re-reserve a port recorded before a daemon restart; best effort."""
        key = Key(proto, host_ip or "0.0.0.0", port)
        if key not in self.held:
            try:
                self.held[key] = self._bind(key)
            except OSError:
                self.held[key] = None  # still ours in the rules; someone else binds it
        if target is not None:
            self.forward(proto, key.host_ip, port, target)

    def release(self, proto: str, host_ip: str, port: int) -> None:
        key = Key(proto, host_ip or "0.0.0.0", port)
        proxy = self.proxies.pop(key, None)
        if proxy is not None:
            proxy.close()
        s = self.held.pop(key, None)
        if s is not None:
            s.close()

    def release_all(self) -> None:
        for key in list(self.held):
            self.release(key.proto, key.host_ip, key.port)
