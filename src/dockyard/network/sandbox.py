"""The files a container's network view is made of: /etc/hosts, /etc/resolv.conf,
/etc/hostname, with Docker's layout."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

DEFAULT_HOSTS = """127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
ff00::0\tip6-mcastprefix
ff02::1\tip6-allnodes
ff02::2\tip6-allrouters
"""

# Docker's fallback when the host only has resolvers the container cannot reach
FALLBACK_NAMESERVERS = ["8.8.8.8", "8.8.4.4"]


def hosts_file(
    hostname: str,
    ip: str | None,
    domainname: str = "",
    extra_hosts: list[tuple[str, str]] | None = None,
    links: list[tuple[str, str, str]] | None = None,
) -> str:
    """extra_hosts: (name, ip) from --add-host; links: (ip, alias, container name)."""
    out = DEFAULT_HOSTS
    for name, addr in extra_hosts or []:
        out += f"{addr}\t{name}\n"
    for addr, alias, name in links or []:
        names = alias if alias == name else f"{alias} {name}"
        out += f"{addr}\t{names}\n"
    if ip:
        names = f"{hostname}.{domainname} {hostname}" if domainname else hostname
        out += f"{ip}\t{names}\n"
    return out


def parse_extra_hosts(entries: list[str], host_gateway: str | None) -> list[tuple[str, str]]:
    """HostConfig.ExtraHosts ("name:ip", "name=ip"; ip may be "host-gateway")."""
    out = []
    for entry in entries:
        sep = "=" if "=" in entry else ":"
        name, _, addr = entry.partition(sep)
        if addr == "host-gateway" and host_gateway:
            addr = host_gateway
        addr = addr.strip("[]")
        out.append((name, addr))
    return out


@dataclass
class HostResolv:
    nameservers: list[str] = field(default_factory=list)
    search: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)

    @property
    def reachable(self) -> list[str]:
        """Nameservers a container can use directly (loopback ones are the host's own)."""
        return [n for n in self.nameservers if not _is_loopback(n)]


def _is_loopback(addr: str) -> bool:
    try:
        return ipaddress.ip_address(addr.split("%")[0]).is_loopback
    except ValueError:
        return False


def parse_resolv_conf(text: str) -> HostResolv:
    r = HostResolv()
    for line in text.splitlines():
        fields = line.split("#")[0].split(";")[0].split()
        if not fields:
            continue
        if fields[0] == "nameserver" and len(fields) > 1:
            r.nameservers.append(fields[1])
        elif fields[0] in ("search", "domain"):
            r.search = fields[1:]
        elif fields[0] == "options":
            r.options += fields[1:]
    return r


def read_host_resolv(path: str = "/etc/resolv.conf") -> HostResolv:
    try:
        with open(path) as f:
            return parse_resolv_conf(f.read())
    except OSError:
        return HostResolv()


def resolv_conf(
    nameservers: list[str], search: list[str] | None = None, options: list[str] | None = None
) -> str:
    out = ""
    if search:
        out += "search " + " ".join(search) + "\n"
    for ns in nameservers:
        out += f"nameserver {ns}\n"
    if options:
        out += "options " + " ".join(options) + "\n"
    return out


def hostname_file(hostname: str) -> str:
    return hostname + "\n"
