"""Exec routes: create, start (hijacked unless detached), resize, inspect."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ..errors import Conflict, NotFound
from .http import Hijack, Request, Response, json_response
from .resourcebodies import EXEC_CREATE, EXEC_START, checked
from .router import Router
from .streams import STDOUT, encoder

if TYPE_CHECKING:
    from ..daemon.core import Daemon


def register(router: Router, daemon: Daemon) -> None:
    def execs():  # type: ignore[no-untyped-def]
        s = daemon.services.containers
        if s is None:
            raise NotFound("containers are not available")
        return s.execs

    @router.route("POST", "/containers/{id}/exec")
    async def create(req: Request, id: str) -> Response:
        body = checked(await req.json({}), EXEC_CREATE, "ExecConfig")
        return json_response(await asyncio.to_thread(execs().create, id, body), 201)

    @router.route("POST", "/exec/{id}/start")
    async def start(req: Request, id: str) -> Response | Hijack:
        body = checked(await req.json({}), EXEC_START, "ExecStartCheck")
        mgr = execs()
        session = mgr.get(id)
        if session.started:
            raise Conflict(f"Exec {id} has already been started")
        if not session.container.running:
            raise Conflict(f"Container {session.container.id} is not running")
        tty = bool(body.get("Tty", session.config.get("Tty")))
        session.config["Tty"] = tty
        if body.get("Detach"):
            await mgr.start(session, None, None, detach=True, tty=tty)
            return Response(200, content_type="application/json")

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            size = body.get("ConsoleSize")
            encode = encoder(tty)
            try:
                await mgr.start(session, reader, writer, detach=False, tty=tty, encode=encode)
            except Exception as exc:
                msg = getattr(exc, "message", str(exc))
                # dockerd writes a failed start on the output stream
                writer.write(encode(STDOUT, (msg + "\r\n").encode()))
                writer.close()
                return
            if size:
                mgr.resize(session, int(size[0]), int(size[1]))

        ctype = (
            "application/vnd.docker.raw-stream"
            if tty
            else "application/vnd.docker.multiplexed-stream"
        )
        return Hijack(handler, content_type=ctype)

    @router.route("POST", "/exec/{id}/resize")
    async def resize(req: Request, id: str) -> Response:
        mgr = execs()
        session = mgr.get(id)
        mgr.resize(session, req.q_int("h", 0) or 0, req.q_int("w", 0) or 0)
        return Response(200)

    @router.route("GET", "/exec/{id}/json")
    async def inspect(req: Request, id: str) -> Response:
        return json_response(execs().get(id).inspect())
