"""Image routes of the Engine API: parse, call the image service in a thread, serialise.

Progress streams use Docker's JSON message format ({"status": ...}, {"stream": ...},
{"errorDetail": {...}, "error": ...}), one object per line. As in Docker, an operation that
fails before it produced any output answers with a plain HTTP error instead of a stream.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, BinaryIO

from dockyard.common.reference import InvalidReference, parse_normalized

from ..errors import DockyardError, InvalidParameter
from ..images.archive_common import ArchiveError
from ..images.archive_members import sniff_compression
from .containerbody import check_config
from .http import Request, Response, StreamResponse, json_response
from .router import Router
from .streams import MessageStream, progress_error, progress_message, writer_stream

if TYPE_CHECKING:
    from ..daemon.core import Daemon
    from ..images.service import ImageService

_SAVE_QUEUE = 16
_SAVE_CHUNK = 1 << 20
_DOWNLOAD_LIMIT = 64 << 30


def registry_auth(req: Request) -> dict[str, Any] | None:
    """X-Registry-Auth: base64url JSON; Docker ignores what it cannot decode."""
    raw = req.headers.get("x-registry-auth")
    if not raw:
        return None
    try:
        padded = raw + "=" * (-len(raw) % 4)
        doc = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, binascii.Error):
        return None
    return doc if isinstance(doc, dict) else None


async def body_to_file(req: Request, svc: ImageService) -> BinaryIO:
    """Spool the request body to a temp file under the data root (uploads can be GBs)."""
    f = svc.tempfile()
    try:
        async for chunk in req.stream():
            f.write(chunk)
        f.seek(0)
    except BaseException:
        f.close()
        raise
    return f


def _uncompressed(f: BinaryIO, svc: ImageService) -> BinaryIO:
    """docker load accepts gzip/xz/... archives: decompress them to a second temp file."""
    head = f.read(6)
    f.seek(0)
    if not sniff_compression(head):
        return f
    from ..images.archive_format import spool_archive  # load and import only

    try:
        return spool_archive(f, dir=str(svc.tmp))
    except ArchiveError:
        # a corrupt or cut compressed archive: dockerd's untar meets the end of its input
        raise InvalidParameter("Error processing tar file(exit status 1): unexpected EOF") from None
    finally:
        f.close()


async def run_with_progress(
    work: Callable[[Callable[[dict[str, Any]], None]], list[dict[str, Any]] | None],
) -> Response | StreamResponse:
    """Run `work(emit)` in a thread; the messages it returns follow those it emitted.
    Errors before the first message become an HTTP error; later ones become an error
    message at the end of the stream."""

    def run(emit: Callable[[dict[str, Any]], None]) -> None:
        for msg in work(emit) or []:
            emit(msg)

    stream = MessageStream(run, "image-progress")
    await stream.start()

    async def chunks() -> AsyncIterator[bytes]:
        try:
            async for msg in stream:
                yield progress_message(msg)
        except Exception as exc:
            yield progress_error(exc.message if isinstance(exc, DockyardError) else str(exc))

    return StreamResponse(chunks(), content_type="application/json")


def stream_from_thread(produce: Callable[[Any], None]) -> AsyncIterator[bytes]:
    """What `produce(writer)` writes in a thread (a tar), in chunks of about 1 MiB."""
    return writer_stream(produce, name="image-save", chunk=_SAVE_CHUNK, depth=_SAVE_QUEUE)


def _download(url: str, svc: ImageService) -> BinaryIO:
    """Fetch an import source the user named (http/https only) into a temp file."""
    import http.client
    import urllib.parse
    import urllib.request
    try:
        parsed = urllib.parse.urlparse(url)
    except ValueError:  # "http://[]": a bracketed host that is no IPv6 address
        parsed = urllib.parse.ParseResult("", "", "", "", "", "")
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidParameter(f"invalid import source URL: {url}")
    f = svc.tempfile()
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:  # noqa: S310 - user's own URL
            copied = 0
            while chunk := resp.read(1 << 20):
                copied += len(chunk)
                if copied > _DOWNLOAD_LIMIT:
                    raise InvalidParameter(f"{url}: download too large")
                f.write(chunk)
        f.seek(0)
    except (OSError, ValueError, http.client.HTTPException) as exc:  # a URL it cannot send
        f.close()
        raise InvalidParameter(f"Get {url!r}: {exc}") from None
    except BaseException:
        f.close()
        raise
    return f


def register(router: Router, daemon: Daemon) -> None:
    def svc() -> ImageService:
        return daemon.services.images

    @router.route("GET", "/images/json")
    async def list_(req: Request) -> Response:
        filters = req.q_filters()
        legacy = req.q("filter")  # API < 1.41: a reference pattern
        if legacy:
            filters.setdefault("reference", []).append(legacy)
        result = await asyncio.to_thread(
            svc().list, req.q_bool("all"), filters, req.q_bool("shared-size"), req.api_version
        )
        return json_response(result)

    @router.route("POST", "/images/create")
    async def create(req: Request) -> Response | StreamResponse:
        if req.q("fromSrc") is not None:
            return await _import(req)
        image = req.q("fromImage")
        if not image:
            raise InvalidParameter("fromImage or fromSrc is required")
        return await _pull(req, image)

    async def _import(req: Request) -> Response | StreamResponse:
        s = svc()
        src = req.q("fromSrc") or "-"
        repo, tag = req.q("repo") or None, req.q("tag") or None
        changes = req.query.get("changes") or []
        message_ = req.q("message") or ""
        if src == "-":
            f = await body_to_file(req, s)
        else:
            url = src if "://" in src else "http://" + src
            f = await asyncio.to_thread(_download, url, s)

        def work(emit: Callable[[dict[str, Any]], None]) -> list[dict[str, Any]]:
            with f:
                image_id = s.import_image(f, repo, tag, message_, changes, source=src)
            return [{"status": image_id}]

        return await run_with_progress(work)

    async def _pull(req: Request, image: str) -> Response | StreamResponse:
        tag = req.q("tag") or ""
        try:
            ref = parse_normalized(image, default_tag=False)
            if tag:
                if ":" in tag and not tag.startswith(":"):
                    ref = ref.trim().with_digest(tag)
                else:
                    ref = ref.with_tag(tag)
            # No tag at all is `docker pull -a`: the puller fetches every tag of the name.
        except InvalidReference as exc:
            raise InvalidParameter(str(exc)) from None
        auth = registry_auth(req)
        platform = req.q("platform") or None
        if platform:
            _check_platform(platform)

        def work(emit: Callable[[dict[str, Any]], None]) -> None:
            daemon.services.distribution.pull(ref, auth, platform, emit)

        return await run_with_progress(work)

    @router.route("POST", "/images/load")
    async def load(req: Request) -> Response | StreamResponse:
        s = svc()
        quiet = req.q_bool("quiet")
        f = await body_to_file(req, s)

        def work(emit: Callable[[dict[str, Any]], None]) -> list[dict[str, Any]]:
            try:
                archive = _uncompressed(f, s)
                with archive:
                    lines = s.load(archive, None if quiet else emit)
            except DockyardError as exc:
                # dockerd answers 200 and reports a load failure in the stream
                return [{"errorDetail": {"message": exc.message}, "error": exc.message}]
            return [{"stream": line} for line in lines]

        return await run_with_progress(work)

    async def _save(names: list[str]) -> StreamResponse:
        s = svc()
        if not names:
            raise InvalidParameter("no images to save: give at least one name")
        plan = await asyncio.to_thread(s.save_plan, names)

        def produce(out: Any) -> None:
            from ..images.archive_format import write_docker_archive

            with s.lock.shared():  # no rmi pulls layers away mid-stream
                write_docker_archive(out, plan)
            for name in names:
                try:
                    s.log_event("save", s.resolve(name).id)
                except DockyardError:
                    pass

        return StreamResponse(stream_from_thread(produce), content_type="application/x-tar")

    @router.route("GET", "/images/get")
    async def save_many(req: Request) -> StreamResponse:
        return await _save([n for n in req.query.get("names") or [] if n])

    @router.route("GET", "/images/search")
    async def search(req: Request) -> Response:
        term = req.q("term") or ""
        if not term:
            raise InvalidParameter("term is required")
        limit = req.q_int("limit")
        results = await asyncio.to_thread(
            daemon.services.distribution.search, term, limit, registry_auth(req)
        )
        filters = req.q_filters()
        results = _filter_search(results, filters)
        return json_response(results)

    @router.route("POST", "/images/prune")
    async def prune(req: Request) -> Response:
        return json_response(await asyncio.to_thread(svc().prune, req.q_filters()))

    @router.route("GET", "/images/{name:path}/json")
    async def inspect(req: Request, name: str) -> Response:
        return json_response(await asyncio.to_thread(svc().inspect, name, req.api_version))

    @router.route("GET", "/images/{name:path}/history")
    async def history(req: Request, name: str) -> Response:
        return json_response(await asyncio.to_thread(svc().history, name))

    @router.route("GET", "/images/{name:path}/get")
    async def save_one(req: Request, name: str) -> StreamResponse:
        return await _save([name])

    @router.route("POST", "/images/{name:path}/push")
    async def push(req: Request, name: str) -> Response | StreamResponse:
        auth = registry_auth(req)
        tag = req.q("tag") or None

        def work(emit: Callable[[dict[str, Any]], None]) -> None:
            daemon.services.distribution.push(name, tag, auth, emit)

        return await run_with_progress(work)

    @router.route("POST", "/images/{name:path}/tag")
    async def tag(req: Request, name: str) -> Response:
        repo = req.q("repo") or ""
        await asyncio.to_thread(svc().tag, name, repo, req.q("tag") or None)
        return Response(201)

    @router.route("DELETE", "/images/{name:path}")
    async def delete(req: Request, name: str) -> Response:
        records = await asyncio.to_thread(
            svc().delete, name, req.q_bool("force"), not req.q_bool("noprune")
        )
        return json_response(records)

    @router.route("POST", "/commit")
    async def commit(req: Request) -> Response:
        containers = daemon.services.containers
        body = check_config(await req.json(None))
        container = req.q("container") or ""
        if not container:
            raise InvalidParameter("container is required")
        repo, tag = req.q("repo") or None, req.q("tag") or None
        if repo:  # checked before any work, so a bad name leaves no image behind
            try:
                parse_normalized(f"{repo}:{tag}" if tag else repo, default_tag=False)
            except InvalidReference as exc:
                raise InvalidParameter(str(exc)) from None
        pause = req.q_bool("pause", True) if req.q("pause") not in (None, "") else True
        image_id = await asyncio.to_thread(
            containers.commit,
            container,
            repo,
            tag,
            req.q("comment") or "",
            req.q("author") or "",
            req.query.get("changes") or [],
            pause,
            body,
        )
        return json_response({"Id": image_id}, 201)


def _filter_search(
    results: list[dict[str, Any]], filters: dict[str, list[str]]
) -> list[dict[str, Any]]:
    out = []
    for r in results:
        if "is-official" in filters and str(bool(r.get("is_official"))).lower() not in [
            v.lower() for v in filters["is-official"]
        ]:
            continue
        if "stars" in filters:
            try:
                if int(r.get("star_count") or 0) < max(int(v) for v in filters["stars"]):
                    continue
            except ValueError:
                raise InvalidParameter("invalid filter 'stars'") from None
        out.append(r)
    return out


# containerd's known operating systems and architectures (with its aliases), which dockerd
# checks a --platform against before it pulls anything
_KNOWN_OS = frozenset(
    "aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd plan9 "
    "solaris wasip1 windows zos macos".split()
)
_KNOWN_ARCH = frozenset(
    "386 amd64 amd64p32 arm armbe arm64 arm64be ppc64 ppc64le loong64 mips mipsle mips64 "
    "mips64le mips64p32 mips64p32le ppc riscv riscv64 s390 s390x sparc sparc64 wasm "
    "x86_64 x86-64 aarch64 armhf armel i386 i686".split()
)


def _check_platform(spec: str) -> None:
    parts = spec.lower().split("/")
    if len(parts) == 1:
        if parts[0] in _KNOWN_OS or parts[0] in _KNOWN_ARCH:
            return
        raise InvalidParameter(f'"{spec}": unknown operating system or architecture: invalid argument')
    if len(parts) > 3:
        raise InvalidParameter(f'"{spec}": cannot parse platform specifier: invalid argument')
    if parts[0] not in _KNOWN_OS:
        raise InvalidParameter(f'"{spec}": unknown operating system: invalid argument')
    if parts[1] not in _KNOWN_ARCH:
        raise InvalidParameter(f'"{spec}": unknown architecture: invalid argument')
