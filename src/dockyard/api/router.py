"""Routes with Docker's URL shapes, API version prefixes and error bodies."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from .. import API_VERSION, MIN_API_VERSION
from ..errors import DockyardError
from .http import Hijack, Request, Response, StreamResponse, error_response

log = logging.getLogger(__name__)

Result = Response | StreamResponse | Hijack
RouteHandler = Callable[..., Awaitable[Result]]

_VERSION_PREFIX = re.compile(r"^/v(\d+)\.(\d+)(/.*)$")


def _version_tuple(v: str) -> tuple[int, int]:
    major, _, minor = v.partition(".")
    return int(major), int(minor or 0)


def _compile(pattern: str) -> re.Pattern[str]:
    # {name} matches one segment; {name:path} matches the rest (image names contain '/').
    def repl(m: re.Match[str]) -> str:
        name, kind = m.group(1), m.group(2)
        return f"(?P<{name}>.+)" if kind == "path" else f"(?P<{name}>[^/]+)"

    return re.compile("^" + re.sub(r"\{(\w+)(?::(\w+))?\}", repl, pattern) + "$")


class Router:
    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], RouteHandler]] = []

    def route(self, method: str, pattern: str) -> Callable[[RouteHandler], RouteHandler]:
        def deco(fn: RouteHandler) -> RouteHandler:
            self.add(method, pattern, fn)
            return fn

        return deco

    def add(self, method: str, pattern: str, handler: RouteHandler) -> None:
        self._routes.append((method, _compile(pattern), handler))

    def match(self, method: str, path: str) -> tuple[RouteHandler | None, dict[str, str], bool]:
        """Return (handler, params, path_known). path_known tells 404 from 405-ish misses."""
        path_known = False
        lookup = "GET" if method == "HEAD" else method
        for m, regex, handler in self._routes:
            found = regex.match(path)
            if not found:
                continue
            path_known = True
            if m == method or m == lookup:
                return handler, found.groupdict(), True
        return None, {}, path_known

    async def dispatch(self, request: Request) -> Result:
        try:
            self._apply_version(request)
            handler, params, known = self.match(request.method, request.path)
            if handler is None:
                # Docker answers unknown routes with 404 "page not found" (405 is not used).
                return error_response(404, "page not found")
            request.path_params = params
            return await handler(request, **params)
        except DockyardError as exc:
            if exc.status >= 500:
                log.warning("%s %s: %s", request.method, request.path, exc.message)
            if exc.status == 304:
                return Response(304)
            return error_response(exc.status, exc.message)

    @staticmethod
    def _apply_version(request: Request) -> None:
        from ..errors import InvalidParameter

        m = _VERSION_PREFIX.match(request.path)
        if not m:
            request.api_version = API_VERSION
            return
        version = f"{int(m.group(1))}.{int(m.group(2))}"
        request.path = m.group(3)
        if _version_tuple(version) > _version_tuple(API_VERSION):
            raise InvalidParameter(
                f"client version {version} is too new. Maximum supported API version is {API_VERSION}"
            )
        if _version_tuple(version) < _version_tuple(MIN_API_VERSION):
            raise InvalidParameter(
                f"client version {version} is too old. Minimum supported API version is "
                f"{MIN_API_VERSION}, please upgrade your client to a newer version"
            )
        request.api_version = version


def version_at_least(request: Request, version: str) -> bool:
    return _version_tuple(request.api_version) >= _version_tuple(version)
