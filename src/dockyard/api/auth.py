"""Registry routes of the Engine API: POST /auth (docker login) and
GET /distribution/{name}/json; the distribution service asks the registry."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from dockyard.common.reference import InvalidReference, parse_normalized

from ..errors import InvalidParameter
from .http import Request, Response, json_response
from .images import registry_auth
from .router import Router

if TYPE_CHECKING:
    from ..daemon.core import Daemon


def register(router: Router, daemon: Daemon) -> None:
    @router.route("POST", "/auth")
    async def auth(req: Request) -> Response:
        body: Any = await req.json({})
        if not isinstance(body, dict):
            raise InvalidParameter("invalid JSON: expected an object")
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
