"""What every registry use case starts from: the daemon's registry settings, the network
modules (loaded on the first registry call, not at daemon start), each endpoint's
credentials, and a pinged endpoint for writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import credentials as credmod
from .endpoints import Endpoint, registry_endpoints
from .errors import RegistryError

if TYPE_CHECKING:
    from .client import Registry
    from .transport import Session


@dataclass
class RegistrySettings:
    """daemon.json's `registry-mirrors` and `insecure-registries`."""

    mirrors: list[str] = field(default_factory=list)
    insecure: list[str] = field(default_factory=list)


def net() -> tuple[Any, Any, Any]:
    """(Registry, Repository, Session): http.client and ssl load on the first registry
    call, not at daemon start."""
    from .client import Registry, Repository
    from .transport import Session

    return Registry, Repository, Session


def endpoint_credentials(
    ep: Endpoint, auth: dict[str, Any] | None, domain: str
) -> credmod.Credentials:
    """A mirror's own credentials first; else the request's, else the stored ones."""
    if ep.mirror:
        return credmod.for_mirror(ep.host, ep.userinfo, auth)
    return credmod.resolve(auth, domain)


def connect(
    domain: str, creds: credmod.Credentials, session: Session, insecure: list[str]
) -> Registry:
    """The first endpoint of `domain` that answers GET /v2/."""
    last: RegistryError | None = None
    for ep in registry_endpoints(domain, insecure):
        reg = net()[0](session, ep, creds)
        try:
            reg.ping()
            return reg
        except RegistryError as exc:
            if not exc.fallback:
                raise
            last = exc
    assert last is not None
    raise last
