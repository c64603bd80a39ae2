"""The image routes' streaming helpers and the routes themselves on an in-process server."""

from __future__ import annotations

import asyncio
import io
import json
import tarfile
from pathlib import Path

import pytest
from testing.images import classic_archive, image_config, layer, make_service

from dockyard.api.http import Response, StreamResponse
from dockyard.api.images import run_with_progress, stream_from_thread
from dockyard.errors import NotFound

L1 = layer(("bin/sh", b"#!shell"))


def layer_id(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()[:12]


async def _collect(resp: StreamResponse) -> bytes:
    return b"".join([c async for c in resp.chunks])


def test_error_before_output_is_an_http_error() -> None:
    def work(emit):
        raise NotFound("No such image: x:latest")

    with pytest.raises(NotFound):
        asyncio.run(run_with_progress(work))


def test_error_after_output_ends_the_stream() -> None:
    def work(emit):
        emit({"status": "one"})
        raise NotFound("gone")

    async def go() -> bytes:
        resp = await run_with_progress(work)
        assert isinstance(resp, StreamResponse)
        return await _collect(resp)

    lines = [json.loads(x) for x in asyncio.run(go()).splitlines()]
    assert lines == [{"status": "one"}, {"errorDetail": {"message": "gone"}, "error": "gone"}]


def test_stream_from_thread_batches_and_finishes() -> None:
    def produce(out):
        for _ in range(300):
            out.write(b"x" * 10240)

    async def go() -> list[bytes]:
        return [c async for c in stream_from_thread(produce)]

    chunks = asyncio.run(go())
    assert b"".join(chunks) == b"x" * 10240 * 300
    assert len(chunks) <= 4


class _FakeReq:
    """Just enough of api.http.Request for the image handlers."""

    def __init__(self, query: dict[str, list[str]], body: bytes = b"") -> None:
        self.query = query
        self.headers: dict[str, str] = {}
        self.api_version = "1.45"
        self._body = body

    def q(self, name, default=None):
        v = self.query.get(name)
        return v[-1] if v else default

    def q_bool(self, name, default=False):
        v = self.q(name)
        return default if v is None else v.lower() not in ("", "0", "false", "no")

    def q_int(self, name, default=None):
        v = self.q(name)
        return default if not v else int(v)

    def q_filters(self):
        return json.loads(self.q("filters") or "{}")

    async def stream(self):
        yield self._body

    async def json(self, default=None):
        return json.loads(self._body) if self._body else default


@pytest.fixture
def routes(tmp_path: Path):
    from dockyard.api import images as image_routes
    from dockyard.api.router import Router

    svc, d = make_service(tmp_path / "root")
    router = Router()
    image_routes.register(router, d)  # type: ignore[arg-type]

    def call(method: str, path: str, query=None, body: bytes = b""):
        """The response, with a streamed body already collected into .body."""
        handler, params, _ = router.match(method, path)
        assert handler is not None, path

        async def go():
            resp = await handler(_FakeReq(query or {}, body), **params)
            if isinstance(resp, StreamResponse):
                resp.body = await _collect(resp)
            return resp

        return asyncio.run(go())

    return call, svc


def test_routes_load_list_inspect_tag_save_delete(routes) -> None:
    call, svc = routes
    archive = classic_archive([(image_config([L1]), [L1], ["bb:1"])])
    resp = call("POST", "/images/load", {"quiet": ["1"]}, archive)
    assert isinstance(resp, StreamResponse)
    assert json.loads(resp.body) == {"stream": "Loaded image: bb:1\n"}
    # without quiet, "Loading layer" progress comes first (only for layers not stored yet)
    svc.delete("bb:1")
    resp = call("POST", "/images/load", {}, archive)
    lines = [json.loads(x) for x in resp.body.splitlines()]
    assert lines[0]["status"] == "Loading layer" and lines[0]["id"] == layer_id(L1)
    assert lines[-2]["progressDetail"] == {"current": len(L1), "total": len(L1)}
    assert lines[-1] == {"stream": "Loaded image: bb:1\n"}
    listing = json.loads(call("GET", "/images/json").body)
    assert listing[0]["RepoTags"] == ["bb:1"]
    assert json.loads(call("GET", "/images/bb:1/json").body)["RepoTags"] == ["bb:1"]
    assert (
        call("POST", "/images/bb:1/tag", {"repo": ["localhost:5000/x/y"], "tag": ["2"]}).status
        == 201
    )
    assert json.loads(call("GET", "/images/localhost:5000/x/y:2/history").body)[0]["Tags"]
    saved = call("GET", "/images/get", {"names": ["bb:1"]})
    data = saved.body
    assert "manifest.json" in tarfile.open(fileobj=io.BytesIO(data)).getnames()
    resp = call("DELETE", "/images/localhost:5000/x/y:2")
    assert json.loads(resp.body) == [{"Untagged": "localhost:5000/x/y:2"}]
    resp = call("POST", "/images/prune", {"filters": ['{"dangling": ["false"]}']})
    assert isinstance(resp, Response) and json.loads(resp.body)["ImagesDeleted"]


def test_route_import_and_bad_load(routes) -> None:
    call, svc = routes
    resp = call("POST", "/images/create", {"fromSrc": ["-"], "repo": ["imp"], "tag": ["1"]}, L1)
    status = json.loads(resp.body)["status"]
    assert status.startswith("sha256:") and svc.resolve("imp:1").id == status
    # dockerd answers 200 and reports what its untar said in the stream
    resp = call("POST", "/images/load", body=b"garbage" * 100)
    assert json.loads(resp.body)["errorDetail"]["message"] == (
        "Error processing tar file(exit status 1): archive/tar: invalid tar header"
    )
    # a cut compressed archive (the fuzz test's bzip2 magic alone) is the same kind of error
    resp = call("POST", "/images/load", body=b"BZh")
    assert json.loads(resp.body)["errorDetail"]["message"] == (
        "Error processing tar file(exit status 1): unexpected EOF"
    )
