"""Our nftables table, rendered whole from the desired state and applied atomically.

One `nft -f -` run holds "add table; delete table; table {...}", which the kernel applies
as one transaction: there is never a moment without rules, and no other table is touched.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import subprocess
import threading
from dataclasses import dataclass, field

from dockyard.errors import SystemError_

LOCALNET = "127.0.0.0/8"


@dataclass(frozen=True)
class NetRules:
    """What the firewall needs to know about one network."""

    bridge: str
    subnet: str
    gateway: str
    internal: bool = False
    dns_port: int = 53  # where our DNS server listens on the gateway, 53 needs no redirect
    icc: bool = True  # com.docker.network.bridge.enable_icc
    masquerade: bool = True  # com.docker.network.bridge.enable_ip_masquerade


@dataclass(frozen=True)
class PortRule:
    """One published port: host_ip:host_port/proto -> container_ip:container_port."""

    proto: str
    host_ip: str  # "" or "0.0.0.0" for every address of the host
    host_port: int
    container_ip: str
    container_port: int
    bridge: str


@dataclass
class Ruleset:
    table: str
    networks: list[NetRules] = field(default_factory=list)
    ports: list[PortRule] = field(default_factory=list)


def _q(name: str) -> str:
    return json.dumps(name)  # interface names as quoted nft strings


def _set(names: list[str]) -> str:
    return "{ " + ", ".join(_q(n) for n in names) + " }"


def _published(rs: Ruleset) -> list[str]:
    internal = {n.bridge for n in rs.networks if n.internal}
    lines = []
    for p in rs.ports:
        if p.bridge in internal or ":" in p.host_ip:  # no way in on internal networks; IPv4 only
            continue
        match = f"ip daddr {p.host_ip} " if p.host_ip not in ("", "0.0.0.0") else ""
        lines.append(
            f"{match}{p.proto} dport {p.host_port} dnat ip to {p.container_ip}:{p.container_port}"
        )
    return lines


def render(rs: Ruleset) -> str:
    """The complete nft script for our table (replaces whatever was there)."""
    t = f"inet {rs.table}"
    bridges = [n.bridge for n in rs.networks]
    pre_raw: list[str] = []
    pre_nat: list[str] = []
    post: list[str] = []
    fwd: list[str] = ["ct state established,related accept"]
    fwd += [
        f"iifname {_q(n.bridge)} oifname {_q(n.bridge)} {'accept' if n.icc else 'drop'}"
        for n in rs.networks
    ]
    # internal networks first, so no later accept (e.g. for DNAT) opens a way out
    for n in rs.networks:
        if n.internal:
            fwd += [f"iifname {_q(n.bridge)} drop", f"oifname {_q(n.bridge)} drop"]
    # published ports are reachable through the host from every (non-internal) network,
    # so these come before the isolation between networks
    fwd += [f"oifname {_q(n.bridge)} ct status dnat accept" for n in rs.networks if not n.internal]
    for n in rs.networks:
        b = _q(n.bridge)
        # route_localnet is on for our bridges: refuse packets a container addresses to
        # the host's loopback (seen before conntrack, so de-NATed replies are unaffected)
        pre_raw.append(f"iifname {b} ip daddr {LOCALNET} drop")
        if n.dns_port != 53:
            for proto in ("udp", "tcp"):
                pre_nat.append(
                    f"iifname {b} ip daddr {n.gateway} {proto} dport 53 redirect to :{n.dns_port}"
                )
        if n.internal:
            continue
        # host-originated traffic to a published port on 127.0.0.1 leaves with a loopback
        # source: give it the bridge's address so the container can answer
        post.append(f"oifname {b} ip saddr {LOCALNET} masquerade")
        # hairpin: a container reaching a published port of its own network via the host
        post.append(f"oifname {b} ip saddr {n.subnet} ct status dnat masquerade")
        if n.masquerade:
            post.append(f"oifname != {b} ip saddr {n.subnet} masquerade")
        others = [x for x in bridges if x != n.bridge]
        if others:
            fwd.append(f"iifname {b} oifname {_set(others)} drop")
        fwd.append(f"iifname {b} accept")
        fwd.append(f"oifname {b} drop")
    pub = _published(rs)

    def chain(name: str, hook: str | None, body: list[str]) -> list[str]:
        out = [f"\tchain {name} {{"]
        if hook:
            out.append(f"\t\t{hook}")
        out += [f"\t\t{line}" for line in body]
        out.append("\t}")
        return out

    lines = [f"table {t} {{"]
    lines += chain("published", None, pub)
    lines += chain(
        "raw_prerouting", "type filter hook prerouting priority raw; policy accept;", pre_raw
    )
    lines += chain(
        "prerouting",
        "type nat hook prerouting priority dstnat; policy accept;",
        pre_nat + ["fib daddr type local jump published"],
    )
    lines += chain(
        "output",
        "type nat hook output priority -100; policy accept;",
        ["fib daddr type local jump published"],
    )
    lines += chain("postrouting", "type nat hook postrouting priority srcnat; policy accept;", post)
    lines += chain("forward", "type filter hook forward priority filter; policy accept;", fwd)
    lines.append("}")
    return "\n".join(lines) + "\n"


def script(rs: Ruleset) -> str:
    """Replace-in-one-transaction: adding first makes the delete valid when it is absent."""
    t = f"inet {rs.table}"
    return f"add table {t}\ndelete table {t}\n" + render(rs)


class _LibNft:
    """libnftables in-process: the same parser and one-transaction semantics as
    `nft -f -`, without a fork and exec per change (~1.5 ms instead of ~19 ms)."""

    def __init__(self) -> None:
        lib = ctypes.CDLL(ctypes.util.find_library("nftables") or "libnftables.so.1")
        lib.nft_ctx_new.restype = ctypes.c_void_p
        lib.nft_ctx_new.argtypes = [ctypes.c_uint32]
        lib.nft_ctx_buffer_output.argtypes = [ctypes.c_void_p]
        lib.nft_ctx_buffer_error.argtypes = [ctypes.c_void_p]
        lib.nft_ctx_get_error_buffer.restype = ctypes.c_char_p
        lib.nft_ctx_get_error_buffer.argtypes = [ctypes.c_void_p]
        lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        self.lib = lib
        self.ctx = lib.nft_ctx_new(0)
        lib.nft_ctx_buffer_output(self.ctx)
        lib.nft_ctx_buffer_error(self.ctx)
        self.lock = threading.Lock()

    def run(self, text: str) -> tuple[int, str]:
        with self.lock:
            rc = self.lib.nft_run_cmd_from_buffer(self.ctx, text.encode())
            err = self.lib.nft_ctx_get_error_buffer(self.ctx) or b""
        return rc, err.decode(errors="replace")


_lib: _LibNft | None = None
_lib_failed = False


def _run(text: str) -> tuple[int, str]:
    global _lib, _lib_failed
    if _lib is None and not _lib_failed:
        try:
            _lib = _LibNft()
        except (OSError, AttributeError):
            _lib_failed = True  # no libnftables: use the nft command
    if _lib is not None:
        return _lib.run(text)
    proc = subprocess.run(
        ["nft", "-f", "-"], input=text, capture_output=True, text=True, check=False
    )
    return proc.returncode, proc.stderr


def apply(rs: Ruleset) -> None:
    rc, err = _run(script(rs))
    if rc != 0:
        raise SystemError_(f"nft: {err.strip()}")


def remove(table: str) -> None:
    """Delete our table if present (teardown)."""
    _run(f"add table inet {table}\ndelete table inet {table}\n")


def exists(table: str) -> bool:
    return _run(f"list table inet {table}")[0] == 0
