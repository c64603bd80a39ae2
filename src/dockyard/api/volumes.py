"""Volume routes of the Engine API: requests decoded into plain values, views encoded."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .decode import str_map, string
from .http import Request, Response, json_response
from .resourcebodies import VOLUME_CREATE, checked
from .router import Router, version_at_least

if TYPE_CHECKING:
    from ..daemon.core import Daemon


def register(router: Router, daemon: Daemon) -> None:
    def svc() -> Any:
        assert daemon.services is not None
        return daemon.services.volumes

    @router.route("GET", "/volumes")
    async def list_(req: Request) -> Response:
        filters = req.q_filters()
        vols = await asyncio.to_thread(svc().list, filters)
        return json_response({"Volumes": vols, "Warnings": []})

    @router.route("POST", "/volumes/create")
    async def create(req: Request) -> Response:
        body = checked(await req.json({}), VOLUME_CREATE, "CreateOptions")
        doc = await asyncio.to_thread(
            svc().create,
            string(body, "Name") or None,
            string(body, "Driver", "local"),
            str_map(body, "DriverOpts"),
            str_map(body, "Labels"),
        )
        return json_response(doc, 201)

    @router.route("GET", "/volumes/{name}")
    async def inspect(req: Request, name: str) -> Response:
        return json_response(await asyncio.to_thread(svc().get, name))

    @router.route("DELETE", "/volumes/{name}")
    async def remove(req: Request, name: str) -> Response:
        await asyncio.to_thread(svc().remove, name, req.q_bool("force"))
        return Response(204)

    @router.route("POST", "/volumes/prune")
    async def prune(req: Request) -> Response:
        filters = req.q_filters()
        # Before API 1.42 Docker pruned named volumes too.
        all_ = not version_at_least(req, "1.42")
        deleted, space = await asyncio.to_thread(svc().prune, filters, all_)
        return json_response({"VolumesDeleted": deleted or None, "SpaceReclaimed": space})
