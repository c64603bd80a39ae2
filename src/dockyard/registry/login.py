"""POST /auth: check credentials against a registry as `docker login` does.

Basic-auth registries must answer GET /v2/ with 200 for the credentials; token registries
must hand out a token for them (asked with offline_token=true, so a refresh token comes
back as the IdentityToken the CLI stores instead of the password)."""

from __future__ import annotations

from typing import Any

from . import credentials as credmod
from .client import Registry
from .endpoints import INDEX_DOMAIN, registry_endpoints
from .errors import LoginFailed, NoBasicCredentials, RegistryError, ResponseError
from .transport import Session


def server_domain(server: str) -> str:
    """serveraddress ("https://index.docker.io/v1/", "http://host:5000/", "host") -> domain."""
    key = credmod.server_key(server)
    if key == credmod.INDEX_SERVER:
        return INDEX_DOMAIN
    return key.split("/", 1)[0]


def login(auth: dict[str, Any], insecure: list[str]) -> dict[str, str]:
    creds = credmod.from_auth_config(auth)
    domain = server_domain(str(auth.get("serveraddress") or ""))
    session = Session()
    last: RegistryError | None = None
    try:
        for ep in registry_endpoints(domain, insecure):
            reg = Registry(session, ep, creds)
            v2 = ep.url("/v2/")
            try:
                reg.ping()
            except RegistryError as exc:
                last = exc
                if exc.fallback:
                    continue
                raise
            ch = reg.auth.challenge
            if ch is None:
                return {"Status": "Login Succeeded", "IdentityToken": ""}
            if ch.scheme == "basic":
                if not creds.has_basic:
                    raise LoginFailed(f'Get "{v2}": no basic auth credentials')
                resp = session.request("GET", v2, {"Authorization": reg.auth.header(())})
                resp.read(1 << 20)
                if resp.status == 200:
                    return {"Status": "Login Succeeded", "IdentityToken": ""}
                raise LoginFailed(
                    f"login attempt to {v2} failed with status: {resp.status} {resp.reason}"
                )
            try:
                reg.auth.fetch_token(ch, (), offline=True)
            except ResponseError as exc:
                text = exc.message.split(": ", 1)[1] if '": ' in exc.message else exc.message
                if exc.http_status in (401, 403):
                    raise LoginFailed(f'Get "{v2}": {text}') from None
                raise
            except NoBasicCredentials:
                raise LoginFailed(f'Get "{v2}": no basic auth credentials') from None
            return {"Status": "Login Succeeded", "IdentityToken": reg.auth.refresh_token}
        assert last is not None
        raise last
    finally:
        session.close()
