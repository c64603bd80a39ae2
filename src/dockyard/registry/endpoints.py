"""Which URLs serve a registry: mirrors for Docker Hub, https or http for insecure ones.

Docker Hub pulls try every `registry-mirrors` entry first, then registry-1.docker.io.
A mirror URL may carry credentials (http://user:password@host:port), which Docker does
not allow; else a mirror gets the credentials stored for its host, then the request's.
A registry in `insecure-registries` (a host[:port] or a CIDR), or on a loopback address
(Docker's default insecure CIDR 127.0.0.0/8, and localhost), may be reached over https
without certificate checks and then over plain http.

Docker Hub itself is contacted only when the daemon's environment says so:
DOCKYARD_REGISTRY_HUB=registry-1.docker.io. Another registry may stand in for Docker Hub
(DOCKYARD_REGISTRY_HUB=127.0.0.1:5000, or http://host:port): then pull, push, login and
search of docker.io names go there, so `docker login; docker push me/app` work offline.
By default it is "none": this engine's hosts reach no public registry (DESIGN.md, "Images
without the internet"), so after the mirrors a Docker Hub pull fails at once with the error
Docker gives for an unresolvable registry-1.docker.io, and nothing ever leaves the host
unless a mirror or registry the user named is elsewhere.
"""

from __future__ import annotations

import ipaddress
import os
import urllib.parse
from dataclasses import dataclass

from .errors import ConnectError

INDEX_DOMAIN = "docker.io"
HUB_HOST = "registry-1.docker.io"


@dataclass(frozen=True)
class Endpoint:
    base: str  # "https://host[:port]"
    tls_verify: bool = True
    mirror: bool = False
    official: bool = False  # Docker Hub itself
    disabled: bool = False  # Docker Hub switched off: fail as an unknown host
    userinfo: tuple[str, str] | None = None  # credentials written in a mirror's URL

    @property
    def scheme(self) -> str:
        return self.base.split("://", 1)[0]

    @property
    def host(self) -> str:
        return urllib.parse.urlsplit(self.base).netloc

    def url(self, path: str) -> str:
        return self.base + path


def hub_host() -> str | None:
    value = (os.environ.get("DOCKYARD_REGISTRY_HUB") or "none").strip()
    return None if value.lower() in ("", "none", "off") else value


def check_enabled(endpoint: Endpoint, method: str, url: str) -> None:
    """Raise the failed-lookup error when Docker Hub is switched off."""
    if endpoint.disabled:
        raise ConnectError(
            f'{method[:1].upper()}{method[1:].lower()} "{url}": '
            f"dial tcp: lookup {endpoint.host.split(':')[0]}: no such host"
        )


def _strip(entry: str) -> str:
    for prefix in ("https://", "http://"):
        entry = entry.removeprefix(prefix)
    return entry.rstrip("/")


def is_insecure(host: str, insecure: list[str]) -> bool:
    """host[:port] listed, or its IP (literal; never resolved here) in a listed CIDR or in
    127.0.0.0/8; localhost counts as loopback."""
    entries = [_strip(e) for e in insecure]
    if host in entries:
        return True
    name = host
    if name.startswith("["):
        name = name[1:].split("]", 1)[0]
    elif name.count(":") == 1:
        name = name.rsplit(":", 1)[0]
    if name in entries or name == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return False
    if ip.is_loopback:
        return True
    for e in entries:
        if "/" in e:
            try:
                if ip in ipaddress.ip_network(e, strict=False):
                    return True
            except ValueError:
                continue
    return False


def registry_endpoints(domain: str, insecure: list[str]) -> list[Endpoint]:
    """Endpoints of one registry (no mirrors): https, then http when insecure."""
    if domain == INDEX_DOMAIN:
        hub = hub_host()
        if hub is None:
            return [Endpoint("https://" + HUB_HOST, official=True, disabled=True)]
        if hub.startswith("http://"):
            return [Endpoint("http://" + _strip(hub), official=True)]
        host = _strip(hub)
        if host != HUB_HOST and is_insecure(host, insecure):
            return [
                Endpoint("https://" + host, tls_verify=False, official=True),
                Endpoint("http://" + host, official=True),
            ]
        return [Endpoint("https://" + host, official=True)]
    if is_insecure(domain, insecure):
        return [Endpoint("https://" + domain, tls_verify=False), Endpoint("http://" + domain)]
    return [Endpoint("https://" + domain)]


def pull_endpoints(domain: str, mirrors: list[str], insecure: list[str]) -> list[Endpoint]:
    out: list[Endpoint] = []
    if domain == INDEX_DOMAIN:
        for m in mirrors:
            parts = urllib.parse.urlsplit(m if "://" in m else "https://" + m)
            host = parts.netloc.rpartition("@")[2]
            if parts.scheme not in ("http", "https") or not host:
                continue
            verify = parts.scheme == "https" and not is_insecure(host, insecure)
            user = urllib.parse.unquote(parts.username or "")
            password = urllib.parse.unquote(parts.password or "")
            out.append(
                Endpoint(
                    f"{parts.scheme}://{host}",
                    tls_verify=verify,
                    mirror=True,
                    userinfo=(user, password) if user else None,
                )
            )
    return out + registry_endpoints(domain, insecure)
