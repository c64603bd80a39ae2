"""Network routes of the Engine API: requests decoded into network/options, views encoded."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ..errors import InvalidParameter
from ..network.options import ConnectOptions, CreateOptions, DisconnectOptions
from .decode import json_object, opt_object, str_map, string
from .http import Request, Response, json_response
from .resourcebodies import (
    NETWORK_CONNECT,
    NETWORK_CREATE,
    NETWORK_DISCONNECT,
    check_network_name,
    checked,
)
from .router import Router

if TYPE_CHECKING:
    from ..daemon.core import Daemon


def create_options(body: Any) -> CreateOptions:
    body = checked(body, NETWORK_CREATE, "CreateRequest")
    name = string(body, "Name")
    if not name:
        raise InvalidParameter("network name is required")
    check_network_name(name)
    return CreateOptions(
        name=name,
        driver=string(body, "Driver", "bridge"),
        internal=bool(body.get("Internal")),
        attachable=bool(body.get("Attachable")),
        ipam=opt_object(body, "IPAM"),
        options=str_map(body, "Options"),
        labels=str_map(body, "Labels"),
        enable_ipv6=bool(body.get("EnableIPv6")),
    )


def connect_options(body: Any) -> ConnectOptions:
    body = checked(body, NETWORK_CONNECT, "NetworkConnect")
    return ConnectOptions(
        container=string(body, "Container"),
        endpoint_config=opt_object(body, "EndpointConfig") or {},
    )


def disconnect_options(body: Any) -> DisconnectOptions:
    body = checked(body, NETWORK_DISCONNECT, "NetworkDisconnect")
    return DisconnectOptions(container=string(body, "Container"), force=bool(body.get("Force")))


def register(router: Router, daemon: Daemon) -> None:
    def svc() -> Any:
        assert daemon.services is not None
        return daemon.services.networks

    def containers() -> Any:
        # A container's networks change under its lock, in the container service.
        assert daemon.services is not None
        return daemon.services.containers

    async def body_of(req: Request) -> dict[str, Any]:
        return json_object(await req.json({}))

    @router.route("GET", "/networks")
    async def list_(req: Request) -> Response:
        return json_response(await asyncio.to_thread(svc().list, req.q_filters()))

    @router.route("POST", "/networks/create")
    async def create(req: Request) -> Response:
        opts = create_options(await body_of(req))
        return json_response(await asyncio.to_thread(svc().create, opts), 201)

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
        opts = connect_options(await body_of(req))
        await asyncio.to_thread(containers().connect_network, id, opts)
        return Response(200)

    @router.route("POST", "/networks/{id}/disconnect")
    async def disconnect(req: Request, id: str) -> Response:
        opts = disconnect_options(await body_of(req))
        await asyncio.to_thread(containers().disconnect_network, id, opts)
        return Response(200)
