"""GET /containers/{id}/attach/ws: attach over a websocket (RFC 6455).

As Docker (moby daemon/server/router/container/container_routes.go wsContainersAttach): the
container is looked up first (404), then the handshake is checked (x/net/websocket's plain
400 answers); output is never multiplexed — stdout and stderr arrive as frames, binary from
API 1.28 on and text before; before API 1.42 all three streams are attached whatever the
query says. Client frames go to the container's stdin.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ..errors import NotFound
from .http import Hijack, Request, Response
from .router import Router, version_at_least
from .streams import raw
from .websocket import BINARY, TEXT, WebSocket, handshake_problem, handshake_response

if TYPE_CHECKING:
    from ..daemon.core import Daemon


def stream_options(req: Request) -> dict[str, Any]:
    """attach_session's keyword arguments from the query, by API version."""
    if version_at_least(req, "1.42"):
        streams = {name: req.q_bool(name) for name in ("stdin", "stdout", "stderr")}
    else:
        streams = dict.fromkeys(("stdin", "stdout", "stderr"), True)
    return {
        **streams,
        "stream": req.q_bool("stream"),
        "logs": req.q_bool("logs"),
        "detach_keys": req.q("detachKeys"),
        "encode": raw,  # one frame per write, never stdcopy
    }


def register(router: Router, daemon: Daemon) -> None:
    @router.route("GET", "/containers/{id}/attach/ws")
    async def attach_ws(req: Request, id: str) -> Response | Hijack:
        from ..containers.attach import AttachOptions, AttachSnapshot, attach_session

        svc = daemon.services.containers
        if svc is None:
            raise NotFound("containers are not available")
        c = svc.get(id)
        problem = handshake_problem(req.method, req.headers)
        if problem is not None:
            status, text = problem
            headers = {"Sec-WebSocket-Version": "13"} if "Version" in text else {}
            return Response(status, text.encode(), headers, content_type="text/plain")
        opts = stream_options(req)
        opcode = BINARY if version_at_least(req, "1.28") else TEXT
        snapshot = AttachSnapshot.take(c)
        svc.attached(c)  # dockerd's attach event, before any start the client sends next

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            ws = WebSocket(reader, writer, opcode)
            await attach_session(svc, c, ws, ws, AttachOptions(**opts), snapshot)  # type: ignore[arg-type]

        return Hijack(handler, head=handshake_response(req.headers))
