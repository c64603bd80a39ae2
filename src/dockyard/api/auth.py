"""Registry routes of the Engine API: POST /auth (docker login) and
GET /distribution/{name}/json; the distribution service asks the registry."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

from dockyard.common.reference import InvalidReference, parse_normalized

from ..errors import InvalidParameter
from .http import Request, Response, json_response
from .images import registry_auth
from .resourcebodies import AUTH_CONFIG, checked
from .router import Router

if TYPE_CHECKING:
    from ..daemon.core import Daemon


# host[:port] of a registry address (scheme and path stripped, as Docker's ConvertToHostname).
_REGISTRY_HOST = re.compile(r"(?:[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?")


def check_registry_address(server: str) -> None:
    """A registry address the client can dial: host[:port], optionally with scheme and path."""
    host = server.split("://", 1)[-1].split("/", 1)[0]
    match = _REGISTRY_HOST.fullmatch(host)
    port = match.group(1) if match else None
    if server and (match is None or (port is not None and int(port) > 65535)):
        raise InvalidParameter(f"invalid registry address {server!r}")


def register(router: Router, daemon: Daemon) -> None:
    @router.route("POST", "/auth")
    async def auth(req: Request) -> Response:
        body = checked(await req.json({}), AUTH_CONFIG, "AuthConfig")
        check_registry_address(body.get("serveraddress") or "")
        doc = await asyncio.to_thread(daemon.services.distribution.login, body)
        return json_response(doc)

    @router.route("GET", "/distribution/{name:path}/json")
    async def distribution(req: Request, name: str) -> Response:
        try:
            ref = parse_normalized(name, default_tag=True)
        except InvalidReference as exc:
            raise InvalidParameter(str(exc)) from None
        doc = await asyncio.to_thread(daemon.services.distribution.inspect, ref, registry_auth(req))
        return json_response(doc)
