"""Container routes of the Engine API: thin wrappers around the container service."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from ..common.timefmt import parse_since_until
from ..containers import views
from ..containers.filters import ancestor_ids, check_list_filters, container_matches, window
from ..containers.logs import LogOptions, LogReader, Piece
from ..errors import InvalidParameter, NotFound
from .containerbody import check_create, check_update
from .http import Hijack, Request, Response, StreamResponse, json_response
from .resourcebodies import check_length
from .router import Router, version_at_least
from .streams import BodyReader, encoder, json_line, writer_stream

if TYPE_CHECKING:
    from ..daemon.core import Daemon

RAW = "application/vnd.docker.raw-stream"
MULTIPLEXED = "application/vnd.docker.multiplexed-stream"
JSON = "application/json"


def _time_query(req: Request, name: str) -> float | None:
    try:
        return parse_since_until(req.q(name))
    except ValueError:
        raise InvalidParameter(f"invalid value for {name}: {req.q(name)!r}") from None


def log_options(req: Request) -> LogOptions:
    """GET /containers/{id}/logs's query."""
    stdout, stderr = req.q_bool("stdout"), req.q_bool("stderr")
    if not stdout and not stderr:
        raise InvalidParameter("Bad parameters: you must choose at least one stream")
    tail_raw = (req.q("tail") or "all").strip()
    if tail_raw == "all" or tail_raw == "":
        tail = None
    else:
        try:
            tail = int(tail_raw)
        except ValueError:
            raise InvalidParameter(f"invalid value for tail: {tail_raw!r}") from None
        if tail < 0:
            tail = None
    return LogOptions(
        stdout=stdout,
        stderr=stderr,
        follow=req.q_bool("follow"),
        timestamps=req.q_bool("timestamps"),
        since=_time_query(req, "since") or None,
        until=_time_query(req, "until"),
        tail=tail,
        details=req.q_bool("details"),
    )


async def log_body(reader: LogReader, tty: bool) -> AsyncIterator[bytes]:
    encode = encoder(tty)

    def wire(pieces: list[Piece]) -> bytes:
        return b"".join(encode(sid, data) for sid, data in pieces)

    def history(out: Any) -> None:
        for pieces in reader.history():
            out.write(wire(pieces))

    try:
        async for chunk in writer_stream(history, name="logs"):
            yield chunk
        async for pieces in reader.live():
            yield wire(pieces)
    finally:
        reader.close()


def register(router: Router, daemon: Daemon) -> None:
    def svc() -> Any:
        s = daemon.services.containers
        if s is None:
            raise NotFound("containers are not available")
        return s

    @router.route("POST", "/containers/create")
    async def create(req: Request) -> Response:
        body = check_create(await req.json({}))
        name = req.q("name")
        if name:
            check_length("container", name.lstrip("/"))
        result = await asyncio.to_thread(svc().create, name, body, req.q("platform"))
        return json_response(result, 201)

    @router.route("GET", "/containers/json")
    async def list_(req: Request) -> Response:
        all_ = req.q_bool("all")
        limit = req.q_int("limit", -1) or -1
        size = req.q_bool("size")
        filters = req.q_filters()
        check_list_filters(filters)

        def collect() -> Response:
            s = svc()
            items = sorted(s.all(), key=lambda c: c.record.created, reverse=True)
            items = window(items, filters, s.get)
            if "ancestor" in filters:
                filters["ancestor"] = filters["ancestor"] + ancestor_ids(s.images.resolve, filters)
            show_all = all_ or limit > 0
            out = []
            links = views.link_names(items)
            for c in items:
                if (
                    not show_all
                    and not c.running
                    and not c.state.paused
                    and "status" not in filters
                    and "exited" not in filters
                ):
                    continue
                if filters and not container_matches(c, filters):
                    continue
                if size:
                    out.append(json.dumps(views.summary(s.store, s.images, c, True, links)))
                else:
                    out.append(views.summary_json(c, links))
                if limit > 0 and len(out) >= limit:
                    break
            # Encoded here, in the worker thread: a thousand rows keep the event loop busy.
            return Response(200, ("[" + ", ".join(out) + "]\n").encode(), content_type=JSON)

        return await asyncio.to_thread(collect)

    @router.route("GET", "/containers/{id}/json")
    async def inspect(req: Request, id: str) -> Response:
        s = svc()
        c = s.get(id)
        doc = await asyncio.to_thread(views.inspect, s.store, s.images, c, req.q_bool("size"))
        if not version_at_least(req, "1.45"):
            _old_aliases(doc)
        return json_response(doc)

    @router.route("POST", "/containers/{id}/start")
    async def start(req: Request, id: str) -> Response:
        from ..containers.starterrors import NotModifiedStart

        try:
            await asyncio.to_thread(svc().start, id)
        except NotModifiedStart:
            return Response(304)
        return Response(204)

    @router.route("POST", "/containers/{id}/stop")
    async def stop(req: Request, id: str) -> Response:
        t = req.q_int("t")
        changed = await asyncio.to_thread(svc().stop, id, t, req.q("signal"))
        return Response(204 if changed else 304)

    @router.route("POST", "/containers/{id}/restart")
    async def restart(req: Request, id: str) -> Response:
        await asyncio.to_thread(svc().restart, id, req.q_int("t"), req.q("signal"))
        return Response(204)

    @router.route("POST", "/containers/{id}/kill")
    async def kill(req: Request, id: str) -> Response:
        await asyncio.to_thread(svc().kill, id, req.q("signal") or "SIGKILL")
        return Response(204)

    @router.route("POST", "/containers/{id}/pause")
    async def pause(req: Request, id: str) -> Response:
        await asyncio.to_thread(svc().pause, id)
        return Response(204)

    @router.route("POST", "/containers/{id}/unpause")
    async def unpause(req: Request, id: str) -> Response:
        await asyncio.to_thread(svc().unpause, id)
        return Response(204)

    @router.route("POST", "/containers/{id}/rename")
    async def rename(req: Request, id: str) -> Response:
        name = req.q("name")
        if not name:
            raise InvalidParameter("name cannot be empty")
        check_length("container", name.lstrip("/"))
        await asyncio.to_thread(svc().rename, id, name)
        return Response(204)

    @router.route("POST", "/containers/{id}/update")
    async def update(req: Request, id: str) -> Response:
        body = check_update(await req.json({}))
        return json_response(await asyncio.to_thread(svc().update, id, body))

    # A path: `docker rm --link parent/alias` names a link.
    @router.route("DELETE", "/containers/{id:path}")
    async def remove(req: Request, id: str) -> Response:
        await asyncio.to_thread(
            svc().remove, id, req.q_bool("force"), req.q_bool("v"), req.q_bool("link")
        )
        return Response(204)

    @router.route("POST", "/containers/prune")
    async def prune(req: Request) -> Response:
        return json_response(await asyncio.to_thread(svc().prune, req.q_filters()))

    @router.route("POST", "/containers/{id}/wait")
    async def wait(req: Request, id: str) -> StreamResponse:
        s = svc()
        s.get(id)  # 404 before the 200 header goes out
        condition = req.q("condition") or "not-running"
        if condition not in ("not-running", "next-exit", "removed"):
            raise InvalidParameter(f"invalid condition: {condition}")

        async def body() -> AsyncIterator[bytes]:
            result = await s.wait(id, condition)
            yield json_line(result)

        return StreamResponse(body())

    @router.route("POST", "/containers/{id}/resize")
    async def resize(req: Request, id: str) -> Response:
        s = svc()
        c = s.get(id)
        h, w = req.q_int("h", 0) or 0, req.q_int("w", 0) or 0
        if not c.running:
            raise InvalidParameter(f"Container {c.id} is not running")
        await asyncio.to_thread(s.runtime.resize, c.id, h, w)
        return Response(200)

    @router.route("GET", "/containers/{id}/logs")
    async def logs(req: Request, id: str) -> StreamResponse:
        c = svc().get(id)
        opts = log_options(req)
        tty = c.config.tty
        return StreamResponse(
            log_body(LogReader(c, opts), tty), content_type=RAW if tty else MULTIPLEXED
        )

    @router.route("POST", "/containers/{id}/attach")
    async def attach(req: Request, id: str) -> Hijack:
        from ..containers.attach import AttachOptions, AttachSnapshot, attach_session

        s = svc()
        c = s.get(id)
        tty = c.config.tty
        opts = AttachOptions(
            stdin=req.q_bool("stdin"),
            stdout=req.q_bool("stdout"),
            stderr=req.q_bool("stderr"),
            stream=req.q_bool("stream"),
            logs=req.q_bool("logs"),
            detach_keys=req.q("detachKeys"),
            encode=encoder(tty),
        )

        snapshot = AttachSnapshot.take(c)
        s.attached(c)  # dockerd's attach event, before any start the client sends next

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await attach_session(s, c, reader, writer, opts, snapshot)

        ctype = RAW if tty or not version_at_least(req, "1.42") else MULTIPLEXED
        return Hijack(handler, content_type=ctype)

    @router.route("GET", "/containers/{id}/top")
    async def top(req: Request, id: str) -> Response:
        from ..containers.inspect_proc import top as top_fn

        s = svc()
        c = s.get(id)
        return json_response(await asyncio.to_thread(top_fn, s, c, req.q("ps_args") or "-ef"))

    @router.route("GET", "/containers/{id}/stats")
    async def stats(req: Request, id: str) -> Response | StreamResponse:
        from ..containers.inspect_proc import stats_stream

        s = svc()
        c = s.get(id)
        stream = req.q_bool("stream", True)
        one_shot = req.q_bool("one-shot")
        gen = stats_stream(s, c, stream=stream, one_shot=one_shot)
        return StreamResponse(gen)

    @router.route("GET", "/containers/{id}/changes")
    async def changes(req: Request, id: str) -> Response:
        from ..containers.inspect_proc import changes as changes_fn

        s = svc()
        c = s.get(id)
        return json_response(await asyncio.to_thread(changes_fn, s, c))

    @router.route("GET", "/containers/{id}/export")
    async def export(req: Request, id: str) -> StreamResponse:
        from ..containers.archive import write_export

        s = svc()
        c = s.get(id)
        body = writer_stream(lambda out: write_export(s, c, out), name="export")
        return StreamResponse(body, content_type="application/x-tar")

    @router.route("HEAD", "/containers/{id}/archive")
    async def archive_head(req: Request, id: str) -> Response:
        from ..containers.archive import stat_path

        s = svc()
        c = s.get(id)
        path = req.q("path")
        if not path:
            raise InvalidParameter("path is required")
        header = await asyncio.to_thread(stat_path, s, c, path)
        return Response(200, headers={"X-Docker-Container-Path-Stat": header})

    @router.route("GET", "/containers/{id}/archive")
    async def archive_get(req: Request, id: str) -> StreamResponse:
        from ..containers.archive import stat_path, write_archive

        s = svc()
        c = s.get(id)
        path = req.q("path")
        if not path:
            raise InvalidParameter("path is required")
        header = await asyncio.to_thread(stat_path, s, c, path)
        chunks = writer_stream(lambda out: write_archive(s, c, path, out), name="archive")
        return StreamResponse(
            chunks,
            content_type="application/x-tar",
            headers={"X-Docker-Container-Path-Stat": header},
        )

    @router.route("PUT", "/containers/{id}/archive")
    async def archive_put(req: Request, id: str) -> Response:
        from ..containers.archive import PutOptions, extract_archive

        s = svc()
        c = s.get(id)
        path = req.q("path")
        if not path:
            raise InvalidParameter("path is required")
        opts = PutOptions(
            path,
            no_overwrite_dir_non_dir=req.q_bool("noOverwriteDirNonDir"),
            copy_uid_gid=req.q_bool("copyUIDGID"),
        )
        body = BodyReader(asyncio.get_running_loop(), req.stream())
        try:
            await asyncio.to_thread(extract_archive, s, c, body, opts)  # type: ignore[arg-type]
        finally:
            await req.drain()
        return Response(200)


def _old_aliases(doc: dict[str, Any]) -> None:
    """Before API 1.45 dockerd listed the short ID and the hostname among the aliases of
    every user-defined network (DNSNames took their place)."""
    extra = [doc["Id"][:12], doc["Config"].get("Hostname") or ""]
    for name, ep in ((doc.get("NetworkSettings") or {}).get("Networks") or {}).items():
        if name in ("bridge", "host", "none") or not isinstance(ep, dict):
            continue
        aliases = list(ep.get("Aliases") or [])
        ep["Aliases"] = aliases + [a for a in dict.fromkeys(extra) if a and a not in aliases]
