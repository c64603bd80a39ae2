"""Credentials for a registry: the request's X-Registry-Auth, else the daemon user's
~/.docker/config.json (or $DOCKER_CONFIG/config.json, read by common/dockerconfig)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dockyard.common import dockerconfig
from dockyard.common.dockerconfig import HUB_NAMES, INDEX_SERVER, decode_basic, server_key

__all__ = [
    "ANONYMOUS",
    "HUB_NAMES",
    "INDEX_SERVER",
    "Credentials",
    "for_mirror",
    "from_auth_config",
    "from_config_file",
    "resolve",
    "server_key",
]


@dataclass(frozen=True)
class Credentials:
    username: str = ""
    password: str = ""
    identity_token: str = ""  # an OAuth2 refresh token from an earlier login
    registry_token: str = ""  # a bearer token to send as is

    @property
    def empty(self) -> bool:
        return not (self.username or self.password or self.identity_token or self.registry_token)

    @property
    def has_basic(self) -> bool:
        return bool(self.username or self.password)


ANONYMOUS = Credentials()


def from_auth_config(doc: dict[str, Any] | None) -> Credentials:
    """Docker's AuthConfig (the decoded X-Registry-Auth or POST /auth body)."""
    if not doc:
        return ANONYMOUS
    username = str(doc.get("username") or doc.get("Username") or "")
    password = str(doc.get("password") or doc.get("Password") or "")
    auth = doc.get("auth") or doc.get("Auth")
    if auth and not (username or password):
        username, password = decode_basic(str(auth))
    return Credentials(
        username=username,
        password=password,
        identity_token=str(doc.get("identitytoken") or doc.get("IdentityToken") or ""),
        registry_token=str(doc.get("registrytoken") or doc.get("RegistryToken") or ""),
    )


def from_config_file(domain: str) -> Credentials:
    """Stored `auths` entry for a registry; credential helpers are not run."""
    auths = dockerconfig.load(strict=False).get("auths")
    if not isinstance(auths, dict):
        return ANONYMOUS
    want = server_key(domain)
    for key, entry in auths.items():
        if server_key(key) != want or not isinstance(entry, dict):
            continue
        creds = from_auth_config(entry)
        if not creds.empty:
            return creds
    return ANONYMOUS


def resolve(auth: dict[str, Any] | None, domain: str) -> Credentials:
    """The request's credentials win; the docker CLI sends `{}` when it has none."""
    creds = from_auth_config(auth)
    if not creds.empty:
        return creds
    return from_config_file(domain)


def for_mirror(
    host: str, userinfo: tuple[str, str] | None, auth: dict[str, Any] | None
) -> Credentials:
    """A mirror's own credentials (in its URL, or stored for its host), else the request's."""
    if userinfo is not None:
        return Credentials(username=userinfo[0], password=userinfo[1])
    stored = from_config_file(host)
    return stored if not stored.empty else from_auth_config(auth)
