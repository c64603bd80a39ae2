"""POST /auth (docker login) and GET /distribution/{name}/json for the Engine API:
`register(router, daemon)`.

Wire it with a one-line `src/dockyard/api/auth.py`:
    from ..registry.routes import register  # noqa: F401
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ..errors import InvalidParameter, NotFound

if TYPE_CHECKING:
    from ..api.http import Request, Response
    from ..api.router import Router
    from ..daemon.core import Daemon


def register(router: Router, daemon: Daemon) -> None:
    from ..api.http import json_response

    @router.route("POST", "/auth")
    async def auth(req: Request) -> Response:
        body: Any = await req.json({})
        if not isinstance(body, dict):
            raise InvalidParameter("invalid JSON: expected an object")
        images = daemon.services.images
        puller = getattr(images, "puller", None)
        if puller is None or not hasattr(puller, "login"):
            raise NotFound("login is not available: no registry client")
        doc = await asyncio.to_thread(puller.login, body)
        return json_response(doc)

    @router.route("GET", "/distribution/{name:path}/json")
    async def distribution(req: Request, name: str) -> Response:
        from dockyard.common.reference import InvalidReference, parse_normalized

        from ..api.images import registry_auth

        try:
            ref = parse_normalized(name, default_tag=True)
        except InvalidReference as exc:
            raise InvalidParameter(str(exc)) from None
        images = daemon.services.images
        puller = getattr(images, "puller", None)
        if puller is None or not hasattr(puller, "distribution"):
            raise NotFound("distribution inspect is not available: no registry client")
        doc = await asyncio.to_thread(puller.distribution, ref, registry_auth(req))
        return json_response(doc)
