"""POST /build: the classic builder's JSON stream ({"stream": ...}, {"aux": {"ID": ...}},
{"errorDetail": ..., "error": ...}); errors before any output answer as plain HTTP errors."""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, BinaryIO

from ..errors import DockyardError, InvalidParameter
from .http import Request, Response, StreamResponse, json_response
from .router import Router
from .streams import MessageStream, progress_error, progress_message

if TYPE_CHECKING:
    from ..build.builder import BuildOptions
    from ..build.cachemounts import CacheMounts
    from ..daemon.core import Daemon

log = logging.getLogger(__name__)

# The classic build API has no session to ask the client for secrets: dockyard's CLI sends
# `--secret` values and `--ssh` agent sockets in these headers (never in the query, which
# proxies and logs keep); see docs/build.md.
SECRETS_HEADER = "X-Dockyard-Build-Secrets"
SSH_HEADER = "X-Dockyard-Build-Ssh"
SPOOL_MAX = 4 << 20  # the context is kept in memory up to this size


def _json_param(req: Request, name: str) -> Any:
    raw = req.q(name)
    if raw in (None, ""):
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise InvalidParameter(f"invalid {name} value: {raw!r}") from None


def _registry_config(req: Request) -> dict[str, Any]:
    raw = req.headers.get("x-registry-config")
    if not raw:
        return {}
    try:
        doc = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, binascii.Error):
        return {}
    return doc if isinstance(doc, dict) else {}


def _header_map(req: Request, name: str) -> dict[str, str]:
    """A dockyard build header: base64url JSON of {id: string} (see docs/build.md)."""
    raw = req.headers.get(name.lower())
    if not raw:
        return {}
    try:
        doc = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, binascii.Error):
        doc = None
    if not isinstance(doc, dict) or not all(isinstance(v, str) for v in doc.values()):
        raise InvalidParameter(f"invalid {name} header: must be base64url JSON of id: string")
    return {str(k): v for k, v in doc.items()}


def _secrets(req: Request) -> dict[str, bytes]:
    out = {}
    for key, value in _header_map(req, SECRETS_HEADER).items():
        try:
            out[key] = base64.b64decode(value, validate=True)
        except (ValueError, binascii.Error):
            raise InvalidParameter(f"invalid {SECRETS_HEADER} header: secret {key}") from None
    return out


def options_from_request(req: Request) -> BuildOptions:
    from ..build.builder import BuildOptions
    from ..build.namedcontexts import parse_contexts
    from ..images.records import parse_tag_ref

    tags = [t for t in req.query.get("t") or [] if t]
    for t in tags:
        parse_tag_ref(t)  # a bad tag fails before the build starts
    buildargs = _json_param(req, "buildargs") or {}
    if not isinstance(buildargs, dict):
        raise InvalidParameter("invalid buildargs value: must be a JSON object")
    labels = _json_param(req, "labels") or {}
    if not isinstance(labels, dict):
        raise InvalidParameter("invalid labels value: must be a JSON object")
    contexts = _json_param(req, "buildcontexts") or {}
    if not isinstance(contexts, dict):
        raise InvalidParameter("invalid buildcontexts value: must be a JSON object")
    cache_from = _json_param(req, "cachefrom") or []
    if not isinstance(cache_from, list):
        raise InvalidParameter("invalid cachefrom value: must be a JSON array")
    cache_to = _json_param(req, "cacheto") or []
    if not isinstance(cache_to, list):
        raise InvalidParameter("invalid cacheto value: must be a JSON array")
    extrahosts = [h for v in req.query.get("extrahosts") or [] for h in v.split(",") if h]
    rm = req.q("rm")
    return BuildOptions(
        tags=tags,
        dockerfile=req.q("dockerfile") or "Dockerfile",
        buildargs={str(k): (None if v is None else str(v)) for k, v in buildargs.items()},
        target=req.q("target") or "",
        nocache=req.q_bool("nocache"),
        quiet=req.q_bool("q"),
        rm=True if rm in (None, "") else req.q_bool("rm"),
        forcerm=req.q_bool("forcerm"),
        labels={str(k): str(v) for k, v in labels.items()},
        pull=req.q_bool("pull"),
        networkmode=req.q("networkmode") or "",
        platform=req.q("platform") or "",
        extrahosts=extrahosts,
        memory=req.q_int("memory", 0) or 0,
        shmsize=req.q_int("shmsize", 0) or 0,
        cpushares=req.q_int("cpushares", 0) or 0,
        auth_configs=_registry_config(req),
        cache_from=[str(c) for c in cache_from if c],
        cache_to=[str(c) for c in cache_to if c],
        secrets=_secrets(req),
        check=req.q_bool("check"),
        build_contexts=parse_contexts({str(k): str(v) for k, v in contexts.items()}),
        ssh=_header_map(req, SSH_HEADER),
    )


def cache_mounts(daemon: Daemon) -> CacheMounts:
    """The daemon's RUN --mount=type=cache directories."""
    from ..build.cachemounts import CacheMounts

    return CacheMounts(daemon.root / "buildcache")


def register(router: Router, daemon: Daemon) -> None:
    @router.route("POST", "/build")
    async def build(req: Request) -> Response | StreamResponse:
        from ..build.builder import BuildError, BuildPeers, new_builder
        from ..build.context import BuildContext

        services = daemon.services
        images = services.images
        caches = cache_mounts(daemon)
        peers = BuildPeers(images, services.containers, services.distribution, caches)
        if req.q("version") == "2":
            raise InvalidParameter("buildkit not supported by daemon")
        remote = req.q("remote") or ""
        if remote == "client-session":
            raise InvalidParameter("buildkit not supported by daemon")
        opts = options_from_request(req)
        ctx = BuildContext(images.tmp)
        try:
            f = await _receive(req, images.tempfile)
            try:
                if remote:
                    await asyncio.to_thread(ctx.fetch_remote, remote, opts.dockerfile)
                else:
                    await asyncio.to_thread(ctx.extract, f)
            finally:
                f.close()
        except DockyardError:
            ctx.close()
            raise
        except Exception as exc:
            ctx.close()
            raise InvalidParameter(f"failed to read the build context: {exc}") from None

        holder: dict[str, Any] = {}

        def finish(emit: Callable[[dict[str, Any]], None], image_id: str) -> None:
            short = image_id.removeprefix("sha256:")[:12]
            emit({"aux": {"ID": image_id}})
            if opts.quiet:
                emit({"stream": image_id + "\n"})
            else:
                emit({"stream": f"Successfully built {short}\n"})
            for t in opts.tags:
                name = images.add_reference(image_id, t)
                if not opts.quiet:
                    emit({"stream": f"Successfully tagged {name}\n"})

        def work(emit: Callable[[dict[str, Any]], None]) -> None:
            builder = None
            try:
                if opts.build_contexts:
                    from ..build.namedcontexts import take_local

                    opts.named_contexts = take_local(ctx.root, ctx.dir, opts.build_contexts)
                dockerfile = ctx.read_dockerfile(opts.dockerfile)
                ctx.apply_dockerignore(opts.dockerfile)
                if re.fullmatch(r"\.dockerfile\.[0-9a-f]+", opts.dockerfile):
                    ctx.remove_file(opts.dockerfile)  # a -f file from outside the context
                builder = new_builder(peers, opts, emit, ctx)
                holder["builder"] = builder
                if opts.check:
                    builder.check(dockerfile)  # lint only: no image
                else:
                    finish(emit, builder.build(dockerfile))
            except BaseException as exc:  # logged, then handed to the event loop
                if not isinstance(exc, DockyardError):
                    log.exception("build failed unexpectedly")
                if builder is not None and builder.quiet_output:
                    emit({"stream": "".join(builder.quiet_output)})
                raise
            finally:
                ctx.close()

        stream = MessageStream(work, "build")
        try:
            await stream.start()
        except BuildError as exc:
            if not exc.code:
                raise
            return StreamResponse(_single(progress_error(exc.message, exc.code)))

        async def chunks() -> AsyncIterator[bytes]:
            try:
                async for msg in stream:
                    yield progress_message(msg)
            except DockyardError as exc:
                yield progress_error(exc.message, getattr(exc, "code", 0) or 0)
            except Exception as exc:  # noqa: BLE001 - the stream's last message says it
                yield progress_error(str(exc) or type(exc).__name__)
            finally:
                if not stream.done and "builder" in holder:
                    holder["builder"].cancel()  # the client went away mid-build

        return StreamResponse(chunks(), content_type="application/json")

    @router.route("POST", "/build/prune")
    async def prune(req: Request) -> Response:
        # The classic builder's step cache is its intermediate images (image prune
        # removes them); the build cache pruned here is RUN --mount=type=cache.
        filters = req.q_filters()
        deleted, freed = await asyncio.to_thread(cache_mounts(daemon).prune, filters)
        return json_response({"CachesDeleted": deleted or None, "SpaceReclaimed": freed})

    @router.route("POST", "/build/cancel")
    async def cancel(req: Request) -> Response:
        return Response(200)


async def _receive(req: Request, tempfile: Callable[[], BinaryIO]) -> BinaryIO:
    """The uploaded context, rewound: in memory up to SPOOL_MAX, else in a temp file."""
    f: BinaryIO = io.BytesIO()
    in_memory = True
    async for chunk in req.stream():
        if in_memory and f.tell() + len(chunk) > SPOOL_MAX:
            spilled = tempfile()
            spilled.write(f.getvalue())  # type: ignore[attr-defined]
            f, in_memory = spilled, False
        f.write(chunk)
    f.seek(0)
    return f


async def _single(data: bytes) -> AsyncIterator[bytes]:
    yield data
