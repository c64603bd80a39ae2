"""Network routes of the Engine API."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ..errors import InvalidParameter, NotFound
from .http import Request, Response, json_response
from .router import Router

if TYPE_CHECKING:
    from ..daemon.core import Daemon


def register(router: Router, daemon: Daemon) -> None:
    def svc() -> Any:
        s = daemon.services.networks
        if s is None:
            raise NotFound("networks are not available")
        return s

    async def body_of(req: Request) -> dict[str, Any]:
        body = await req.json({}) or {}
        if not isinstance(body, dict):
            raise InvalidParameter("invalid JSON: expected an object")
        return body

    @router.route("GET", "/networks")
    async def list_(req: Request) -> Response:
        return json_response(await asyncio.to_thread(svc().list, req.q_filters()))

    @router.route("POST", "/networks/create")
    async def create(req: Request) -> Response:
        body = await body_of(req)
        return json_response(await asyncio.to_thread(svc().create, body), 201)

    @router.route("POST", "/networks/prune")
    async def prune(req: Request) -> Response:
        deleted = await asyncio.to_thread(svc().prune, req.q_filters())
        return json_response({"NetworksDeleted": deleted or None})

    @router.route("GET", "/networks/{id}")
    async def inspect(req: Request, id: str) -> Response:
        return json_response(await asyncio.to_thread(svc().inspect, id, req.q_bool("verbose")))

    @router.route("DELETE", "/networks/{id}")
    async def remove(req: Request, id: str) -> Response:
        await asyncio.to_thread(svc().remove, id)
        return Response(204)

    @router.route("POST", "/networks/{id}/connect")
    async def connect(req: Request, id: str) -> Response:
        body = await body_of(req)
        await asyncio.to_thread(svc().connect, id, body)
        return Response(200)

    @router.route("POST", "/networks/{id}/disconnect")
    async def disconnect(req: Request, id: str) -> Response:
        body = await body_of(req)
        await asyncio.to_thread(svc().disconnect, id, body)
        return Response(200)
