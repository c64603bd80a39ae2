"""GET/HEAD /_ping: the one route a starting daemon answers before its recovery is done."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .http import Request, Response
from .router import Router

if TYPE_CHECKING:
    from ..daemon.core import Daemon


def register(router: Router, daemon: Daemon) -> None:
    @router.route("GET", "/_ping")
    async def ping(req: Request) -> Response:
        return Response(
            200,
            b"OK",
            # Builder-Version 1: the classic builder (clients must not ask for BuildKit).
            {
                "Cache-Control": "no-cache, no-store, must-revalidate",
                "Pragma": "no-cache",
                "Builder-Version": "1",
                # As moby's ping on a node outside a swarm (Cluster.Status()).
                "Swarm": "inactive",
            },
            content_type="text/plain; charset=utf-8",
        )

    router.add("HEAD", "/_ping", ping)
