"""Managed-plugin routes: dockyard has none installed and cannot install any.

Routes on a named plugin answer as Docker does for a plugin that does not exist (moby
daemon/pkg/plugin/errors.go errNotFound, after the checks of daemon/server/router/plugin/
plugin_routes.go). Routes that would install one (pull, create, privileges of a remote
plugin) answer 501: pretending to install would be a lie.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import DockyardError, InvalidParameter, NotFound
from .decode import decode_json
from .http import Request, Response, json_response
from .jsonbody import check_content_type
from .router import Router

if TYPE_CHECKING:
    from ..daemon.core import Daemon

PLUGIN_FILTERS = ("enabled", "capability")
NO_PLUGINS = "dockyard does not support managed plugins: none can be installed on this node"


class PluginsNotSupported(DockyardError):
    status = 501


def plugin_not_found(name: str) -> NotFound:
    # Go's %q: a double-quoted string with backslash escapes.
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return NotFound(f'plugin "{quoted}" not found')


def no_install() -> PluginsNotSupported:
    return PluginsNotSupported(NO_PLUGINS)


def register(router: Router, daemon: Daemon) -> None:
    @router.route("GET", "/plugins")
    async def list_(req: Request) -> Response:
        for key in req.q_filters():
            if key not in PLUGIN_FILTERS:
                raise InvalidParameter(f"invalid filter '{key}'")
        return json_response([])

    async def missing(req: Request, name: str) -> Response:
        raise plugin_not_found(name)

    for method, pattern in (
        ("GET", "/plugins/{name:path}/json"),
        ("DELETE", "/plugins/{name:path}"),
        ("POST", "/plugins/{name:path}/disable"),
        ("POST", "/plugins/{name:path}/push"),
    ):
        router.add(method, pattern, missing)

    @router.route("POST", "/plugins/{name:path}/enable")
    async def enable(req: Request, name: str) -> Response:
        timeout = req.q("timeout") or ""
        if not timeout.lstrip("+-").isdigit():
            raise InvalidParameter(f'strconv.Atoi: parsing "{timeout}": invalid syntax')
        raise plugin_not_found(name)

    @router.route("POST", "/plugins/{name:path}/set")
    async def set_(req: Request, name: str) -> Response:
        await _json_body(req)
        raise plugin_not_found(name)

    @router.route("POST", "/plugins/{name:path}/upgrade")
    async def upgrade(req: Request, name: str) -> Response:
        await _json_body(req)
        raise plugin_not_found(name)

    @router.route("POST", "/plugins/pull")
    async def pull(req: Request) -> Response:
        await _json_body(req)
        raise no_install()

    @router.route("GET", "/plugins/privileges")
    async def privileges(req: Request) -> Response:
        raise no_install()

    @router.route("POST", "/plugins/create")
    async def create(req: Request) -> Response:
        await req.drain()
        raise no_install()


async def _json_body(req: Request) -> None:
    body = await req.read()
    check_content_type(req.headers.get("content-type", ""), body)
    decode_json(body)
