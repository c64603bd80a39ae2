"""System: ping, version, info, events, df, auth."""

from __future__ import annotations

from .api import Client

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    Filters = dict[str, Any]


class System:
    def __init__(self, transport: Client) -> None:
        self._t = transport

    def ping(self, timeout: float = 2.0) -> dict[str, str]:
        """GET /_ping. Returns the response headers, lower-cased (api-version, server...)."""
        return self._t.ping(timeout)

    def version(self) -> dict[str, Any]:
        """GET /version: the daemon's version, API versions, OS, kernel."""
        return self._t.get("/version")

    def info(self) -> dict[str, Any]:
        """GET /info: counts, drivers, runtimes, host facts."""
        return self._t.get("/info")

    def df(self) -> dict[str, Any]:
        """GET /system/df: Images, Containers, Volumes, BuildCache with their sizes."""
        return self._t.get("/system/df")

    def check(self, repair: bool = False) -> list[dict[str, Any]]:
        """POST /_dockyard/system/check (dockyard's own): host state the daemon owns that is
        not as its networks want it, e.g. stray addresses on its bridges.

        Args:
            repair: remove what was found.
        Returns:
            [{"Resource": ..., "Problem": ..., "Repaired": bool}, ...]
        """
        return self._t.post("/_dockyard/system/check", {"repair": repair})["Problems"]

    def events(
        self, since: str | None = None, until: str | None = None, filters: Filters | None = None
    ) -> Iterator[dict[str, Any]]:
        """GET /events.

        Args:
            since, until: unix timestamps as strings; without `until` the stream stays open.
            filters: {"type": ["container"], "event": ["start"], ...}.
        Returns:
            The events as they happen: {"Type", "Action", "Actor", "time", "timeNano"}.
        """
        params = {"since": since, "until": until, "filters": filters or None}
        return self._t.request("GET", "/events", params).iter_json()

    def auth(self, username: str, password: str, server: str) -> dict[str, Any]:
        """POST /auth: check credentials against a registry.

        Returns:
            {"Status": "Login Succeeded", "IdentityToken": ...}.
        Raises:
            APIError: 401 when the registry refuses them.
        """
        body = {"username": username, "password": password, "serveraddress": server}
        return self._t.post("/auth", body=body) or {}
