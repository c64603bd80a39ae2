"""POST /session: BuildKit's interactive session upgrade.

Docker hands this to BuildKit's session manager (moby/buildkit session/manager.go
HandleHTTPRequest; every error wrapped as 400 by moby daemon/server/router/session). dockyard
builds with the classic builder only (/_ping says Builder-Version 1), which has no session
manager, so after the same header checks an h2c upgrade is refused with 400 too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InvalidParameter
from .http import Request, Response
from .router import Router

if TYPE_CHECKING:
    from ..daemon.core import Daemon

NO_SESSIONS = (
    "sessions are not supported: this daemon builds with the classic builder only "
    "(Builder-Version 1), which has no BuildKit session manager"
)


def check_session_request(headers: dict[str, str]) -> str:
    """The error for a session request, in BuildKit's order of checks."""
    proto = headers.get("upgrade", "")
    if not proto:
        return "no upgrade proto in request"
    if proto != "h2c":
        return f"protocol {proto} not supported"
    return NO_SESSIONS


def register(router: Router, daemon: Daemon) -> None:
    @router.route("POST", "/session")
    async def session(req: Request) -> Response:
        raise InvalidParameter(check_session_request(req.headers))
