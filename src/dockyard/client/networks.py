"""Networks: one method per Engine API call under /networks."""

from __future__ import annotations

from typing import Any

from .api import Client, quote_ref

Filters = dict[str, Any]


class Networks:
    def __init__(self, transport: Client) -> None:
        self._t = transport

    def list(self, filters: Filters | None = None) -> list[dict[str, Any]]:
        """GET /networks. Returns the network documents (unsorted)."""
        return self._t.get("/networks", {"filters": filters}) or []

    def inspect(self, ref: str) -> dict[str, Any]:
        """GET /networks/{id}. Raises APIError 404 when there is no such network."""
        return self._t.get(f"/networks/{quote_ref(ref)}")

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /networks/create.

        Args:
            body: {"Name", "Driver", "IPAM": {...}, "Options", "Labels", ...} as the docker
                CLI sends it.
        Returns:
            {"Id": ..., "Warning": ...}.
        Raises:
            APIError: 409 when the name is taken, 400 for a bad subnet or driver.
        """
        return self._t.post("/networks/create", body=body) or {}

    def remove(self, ref: str) -> None:
        """DELETE /networks/{id}. Raises APIError 403 while containers are connected."""
        self._t.request("DELETE", f"/networks/{quote_ref(ref)}").read()

    def connect(
        self, ref: str, container: str, endpoint_config: dict[str, Any] | None = None
    ) -> None:
        """POST /networks/{id}/connect.

        Args:
            endpoint_config: EndpointSettings (common.apishapes.endpoint_settings builds it).
        """
        body = {"Container": container, "EndpointConfig": endpoint_config}
        self._t.request("POST", f"/networks/{quote_ref(ref)}/connect", body=body).read()

    def disconnect(self, ref: str, container: str, force: bool = False) -> None:
        """POST /networks/{id}/disconnect."""
        body = {"Container": container, "Force": force}
        self._t.request("POST", f"/networks/{quote_ref(ref)}/disconnect", body=body).read()

    def prune(self, filters: Filters | None = None) -> dict[str, Any]:
        """POST /networks/prune. Returns {"NetworksDeleted": [...]}."""
        return self._t.post("/networks/prune", {"filters": filters}) or {}
