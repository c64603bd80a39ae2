"""One repository on one registry endpoint: the Distribution v2 calls we need."""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Callable
from typing import BinaryIO

from .auth import Authorizer, repository_scope
from .credentials import Credentials
from .endpoints import Endpoint, check_enabled
from .errors import NoBasicCredentials, ResponseError, describe
from .manifests import ACCEPT, MAX_MANIFEST
from .transport import Response, Session, method_word

log = logging.getLogger(__name__)

UPLOAD_CHUNK = 32 << 20  # PATCH size for chunked uploads


class Registry:
    """An endpoint with its authorization state (shared by the repositories on it)."""

    def __init__(self, session: Session, endpoint: Endpoint, creds: Credentials) -> None:
        self.session = session
        self.endpoint = endpoint
        self.auth = Authorizer(session, creds)
        if endpoint.scheme == "https" and not endpoint.tls_verify:
            session.tls_verify[endpoint.host] = False
        self._pinged = False

    def ping(self) -> Response:
        """GET /v2/: learns the auth challenge; raises when the endpoint is unusable."""
        url = self.endpoint.url("/v2/")
        check_enabled(self.endpoint, "GET", url)
        resp = self.session.request("GET", url)
        body = resp.read(1 << 20)
        if resp.status == 401:
            self.auth.set_challenge(resp.header_all("WWW-Authenticate"))
        elif resp.status >= 400:
            text, code = describe(resp.status, resp.reason, body)
            err = ResponseError(f'GET "{url}": {text}', resp.status, code)
            err.fallback = True
            raise err
        self._pinged = True
        return resp

    def request(
        self,
        method: str,
        url: str,
        scopes: tuple[str, ...],
        headers: dict[str, str] | None = None,
        body: bytes | BinaryIO | None = None,
        length: int | None = None,
        follow: bool = True,
    ) -> Response:
        if not self._pinged:
            self.ping()
        check_enabled(self.endpoint, method, url)
        hdrs = dict(headers or {})
        for attempt in (0, 1):
            try:
                auth = self.auth.header(scopes)
            except NoBasicCredentials:
                raise NoBasicCredentials(f'{method_word(method)} "{url}"') from None
            if auth:
                hdrs["Authorization"] = auth
            start = body.tell() if body is not None and not isinstance(body, bytes) else None
            resp = self.session.request(method, url, hdrs, body, follow=follow, length=length)
            if resp.status != 401 or attempt == 1:
                return resp
            challenges = resp.header_all("WWW-Authenticate")
            if not challenges:
                return resp
            resp.drain()
            self.auth.set_challenge(challenges)  # e.g. error="insufficient_scope"
            self.auth.forget(scopes)
            if self.auth.challenge is None:
                break
            if start is not None:
                body.seek(start)  # type: ignore[union-attr]
        return resp


class Repository:
    def __init__(self, registry: Registry, path: str, actions: str = "pull") -> None:
        self.registry = registry
        self.path = path
        self.scopes: tuple[str, ...] = (repository_scope(path, actions),)

    @property
    def endpoint(self) -> Endpoint:
        return self.registry.endpoint

    def url(self, suffix: str) -> str:
        return self.endpoint.url(f"/v2/{self.path}/{suffix}")

    def _error(
        self, method: str, url: str, resp: Response, body: bytes | None = None
    ) -> ResponseError:
        if body is None:
            try:
                body = resp.read(1 << 20) if method != "HEAD" else b""
            except Exception:
                body = b""
        text, code = describe(resp.status, resp.reason, body)
        err = ResponseError(text, resp.status, code)
        err.url = f'{method_word(method)} "{url}"'  # type: ignore[attr-defined]
        return err

    # --- manifests ---
    def get_manifest(self, reference: str) -> tuple[bytes, str | None, str | None]:
        """(bytes, Content-Type, Docker-Content-Digest) of a manifest by tag or digest."""
        url = self.url("manifests/" + reference)
        resp = self.registry.request("GET", url, self.scopes, {"Accept": ACCEPT})
        if resp.status != 200:
            raise self._error("GET", url, resp)
        data = resp.read(MAX_MANIFEST)
        return data, resp.header("Content-Type"), resp.header("Docker-Content-Digest")

    def put_manifest(self, reference: str, data: bytes, media_type: str) -> str | None:
        url = self.url("manifests/" + reference)
        resp = self.registry.request("PUT", url, self.scopes, {"Content-Type": media_type}, data)
        body = resp.read(1 << 20)
        if resp.status not in (200, 201, 202):
            raise self._error("PUT", url, resp, body)
        return resp.header("Docker-Content-Digest")

    def tags(self, limit: int = 10000) -> list[str]:
        """GET tags/list, following Link pagination."""
        import json

        url = self.url(f"tags/list?n={limit}")
        out: list[str] = []
        for _ in range(100):
            resp = self.registry.request("GET", url, self.scopes)
            body = resp.read(16 << 20)
            if resp.status != 200:
                raise self._error("GET", url, resp, body)
            try:
                out.extend(str(t) for t in json.loads(body).get("tags") or [])
            except (ValueError, AttributeError):
                break
            link = resp.header("Link") or ""
            if not link.startswith("<"):
                break
            url = self._abs(link[1:].split(">", 1)[0])
        return out

    # --- blobs ---
    def open_blob(self, digest: str) -> Response:
        url = self.url("blobs/" + digest)
        resp = self.registry.request("GET", url, self.scopes)
        if resp.status != 200:
            raise self._error("GET", url, resp)
        return resp

    def read_blob(self, digest: str, limit: int = 64 << 20) -> bytes:
        return self.open_blob(digest).read(limit)

    def blob_size(self, digest: str) -> int | None:
        """HEAD: the blob's size when the repository has it, else None."""
        url = self.url("blobs/" + digest)
        resp = self.registry.request("HEAD", url, self.scopes)
        resp.drain()
        if resp.status == 200:
            try:
                return int(resp.header("Content-Length") or 0)
            except ValueError:
                return 0
        if resp.status == 404:
            return None
        raise self._error("HEAD", url, resp, b"")

    def _abs(self, location: str) -> str:
        return urllib.parse.urljoin(self.endpoint.base + "/", location)

    def start_upload(self, mount: str | None = None, source: str | None = None) -> str | None:
        """POST an upload; with `mount`/`source` try a cross-repository mount first.
        Returns the upload URL, or None when the blob got mounted."""
        query = ""
        scopes = self.scopes
        if mount and source:
            query = "?" + urllib.parse.urlencode({"mount": mount, "from": source})
            scopes = (*self.scopes, repository_scope(source, "pull"))
        url = self.url("blobs/uploads/") + query
        resp = self.registry.request("POST", url, scopes)
        body = resp.read(1 << 20)
        if resp.status == 201 and mount:
            return None
        if resp.status != 202:
            raise self._error("POST", url, resp, body)
        location = resp.header("Location")
        if not location:
            raise ResponseError("registry answered an upload without a Location", resp.status)
        return self._abs(location)

    def upload(
        self,
        location: str,
        f: BinaryIO,
        size: int,
        digest: str,
        progress: Callable[[int], None] | None = None,
        chunk: int = UPLOAD_CHUNK,
    ) -> None:
        """Send a blob: one monolithic PUT when small, else PATCH chunks and a closing PUT."""
        if size <= chunk and progress is None:
            self._finish(location, digest, f, size)
            return
        sent = 0
        while sent < size:
            n = min(chunk, size - sent)
            reader = _Limited(f, n, progress, sent)
            headers = {
                "Content-Type": "application/octet-stream",
                "Content-Range": f"{sent}-{sent + n - 1}",
            }
            resp = self.registry.request(
                "PATCH",
                location,
                self.scopes,
                headers,
                reader,
                length=n,  # type: ignore[arg-type]
            )
            body = resp.read(1 << 20)
            if resp.status != 202:
                raise self._error("PATCH", location, resp, body)
            location = self._abs(resp.header("Location") or location)
            sent += n
        self._finish(location, digest, None, 0)

    def _finish(self, location: str, digest: str, f: BinaryIO | None, size: int) -> None:
        sep = "&" if "?" in location else "?"
        url = location + sep + urllib.parse.urlencode({"digest": digest})
        headers = {"Content-Type": "application/octet-stream"}
        resp = self.registry.request(
            "PUT", url, self.scopes, headers, f, length=size if f else None
        )
        body = resp.read(1 << 20)
        if resp.status not in (201, 204):
            raise self._error("PUT", url, resp, body)

    def catalog(self, limit: int = 1000) -> list[str]:
        url = self.endpoint.url(f"/v2/_catalog?n={limit}")
        resp = self.registry.request("GET", url, ("registry:catalog:*",))
        body = resp.read(8 << 20)
        if resp.status != 200:
            raise self._error("GET", url, resp, body)
        import json

        try:
            return [str(r) for r in json.loads(body).get("repositories") or []]
        except (ValueError, AttributeError):
            return []


class _Limited:
    """At most `n` bytes of `f`, reporting the running total."""

    def __init__(
        self, f: BinaryIO, n: int, progress: Callable[[int], None] | None, base: int
    ) -> None:
        self._f = f
        self._left = n
        self._progress = progress
        self._done = base
        self._start = f.tell()
        self._n = n

    def tell(self) -> int:
        return self._start + (self._n - self._left)

    def seek(self, pos: int) -> None:
        self._f.seek(pos)
        self._left = self._n - (pos - self._start)

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        want = self._left if size < 0 else min(size, self._left)
        data = self._f.read(want)
        self._left -= len(data)
        self._done += len(data)
        if self._progress is not None and data:
            self._progress(self._done)
        return data
