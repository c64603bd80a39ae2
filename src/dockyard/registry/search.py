"""docker search: a registry's v1 search API, else its /v2/_catalog filtered by the term.

Docker Hub searches go to the mirrors' catalogs first (an offline host's only view of
"Docker Hub"), then to index.docker.io. A catalog has no descriptions: each listed
repository's is its image's org.opencontainers.image.description label (tag latest, else
its first tag)."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from . import credentials as credmod
from . import manifests
from .client import Registry, Repository
from .endpoints import (
    HUB_HOST,
    INDEX_DOMAIN,
    Endpoint,
    hub_host,
    pull_endpoints,
    registry_endpoints,
)
from .errors import BadManifest, ConnectError, RegistryError
from .transport import Session

INDEX_HOST = "index.docker.io"
DESCRIPTION_LABEL = "org.opencontainers.image.description"


def split_term(term: str) -> tuple[str, str]:
    """("docker.io" or a registry host, what to search for)."""
    first, sep, rest = term.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        if first in credmod.HUB_NAMES:
            return INDEX_DOMAIN, rest
        return first, rest
    return INDEX_DOMAIN, term


def _result(
    name: str, description: str = "", stars: int = 0, official: bool = False
) -> dict[str, Any]:
    return {
        "star_count": stars,
        "is_official": official,
        "name": name,
        "is_automated": False,
        "description": description,
    }


def _description(reg: Registry, path: str) -> str:
    """The description label of the repository's image; "" when it has none or cannot be
    read (a listing never fails because of one repository)."""
    repo = Repository(reg, path)
    try:
        try:
            raw, ctype, _ = repo.get_manifest("latest")
        except RegistryError:
            tags = sorted(repo.tags())
            if not tags:
                return ""
            raw, ctype, _ = repo.get_manifest(tags[0])
        manifest = manifests.parse(raw, ctype, path)
        if manifest.is_index:
            raw, ctype, _ = repo.get_manifest(manifests.select(manifest, None).digest)
            manifest = manifests.parse(raw, ctype, path)
        config = json.loads(repo.read_blob(manifest.config.digest, manifests.MAX_MANIFEST))
        labels = (config.get("config") or {}).get("Labels") or {}
        return str(labels.get(DESCRIPTION_LABEL) or "")
    except (RegistryError, BadManifest, ValueError, AttributeError, TypeError):
        return ""


def _from_catalog(reg: Registry, domain: str, query: str, limit: int) -> list[dict[str, Any]]:
    repos = Repository(reg, "_catalog").catalog()
    out = []
    q = query.lower()
    for path in repos:
        if q not in path.lower():
            continue
        if domain == INDEX_DOMAIN:
            name = (
                path.removeprefix("library/")
                if path.count("/") == 1 and path.startswith("library/")
                else path
            )
            official = name == path.removeprefix("library/") and "/" not in name
            out.append(_result(name, _description(reg, path), official=official))
        else:
            out.append(_result(f"{domain}/{path}", _description(reg, path)))
        if len(out) >= limit:
            break
    return out


def _v1_search(
    session: Session, ep: Endpoint, domain: str, query: str, limit: int
) -> list[dict[str, Any]] | None:
    """None when the registry has no v1 search (404)."""
    url = ep.url("/v1/search?" + urllib.parse.urlencode({"q": query, "n": limit}))
    resp = session.request("GET", url)
    body = resp.read(8 << 20)
    if resp.status == 404:
        return None
    if resp.status != 200:
        raise RegistryError(f"Unexpected status code {resp.status}")
    try:
        results = json.loads(body).get("results") or []
    except (ValueError, AttributeError):
        raise RegistryError("invalid search response") from None
    out = []
    for r in results[:limit]:
        name = str(r.get("name") or "")
        if domain != INDEX_DOMAIN and name:
            name = f"{domain}/{name}"
        out.append(
            _result(
                name,
                str(r.get("description") or ""),
                int(r.get("star_count") or 0),
                bool(r.get("is_official")),
            )
        )
    return out


def _search_endpoints(
    session: Session,
    eps: list[Endpoint],
    domain: str,
    query: str,
    limit: int,
    auth: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """v1 search, else the catalog, on the first endpoint that answers."""
    last: RegistryError | None = None
    for ep in eps:
        try:
            if not ep.tls_verify:
                session.tls_verify[ep.host] = False
            found = _v1_search(session, ep, domain, query, limit)
            if found is not None:
                return found
            reg = Registry(session, ep, credmod.resolve(auth, domain))
            return _from_catalog(reg, domain, query, limit)
        except RegistryError as exc:
            last = exc
            if not exc.fallback:
                raise
    assert last is not None
    raise last


def search(
    term: str,
    limit: int,
    auth: dict[str, Any] | None,
    mirrors: list[str],
    insecure: list[str],
) -> list[dict[str, Any]]:
    domain, query = split_term(term)
    session = Session()
    try:
        if domain != INDEX_DOMAIN:
            return _search_endpoints(
                session, registry_endpoints(domain, insecure), domain, query, limit, auth
            )
        for ep in pull_endpoints(domain, mirrors, insecure):
            if not ep.mirror:
                break
            try:
                reg = Registry(session, ep, credmod.for_mirror(ep.host, ep.userinfo, auth))
                return _from_catalog(reg, domain, query, limit)
            except RegistryError:
                continue
        hub = hub_host()
        if hub is None:
            url = f"https://{INDEX_HOST}/v1/search?" + urllib.parse.urlencode(
                {"q": query, "n": limit}
            )
            raise ConnectError(f'Get "{url}": dial tcp: lookup {INDEX_HOST}: no such host')
        if hub == HUB_HOST:
            eps = [Endpoint(f"https://{INDEX_HOST}")]
        else:  # a registry standing in for Docker Hub
            eps = registry_endpoints(domain, insecure)
        return _search_endpoints(session, eps, domain, query, limit, auth)
    finally:
        session.close()
