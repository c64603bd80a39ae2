"""Volumes: one method per Engine API call under /volumes."""

from __future__ import annotations

from typing import Any

from .api import Client, quote_ref

Filters = dict[str, Any]


def create_body(
    name: str = "",
    driver: str = "local",
    driver_opts: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The POST /volumes/create body; empty maps and names are left out as the docker CLI
    leaves them."""
    body: dict[str, Any] = {"Driver": driver}
    if driver_opts:
        body["DriverOpts"] = driver_opts
    if labels:
        body["Labels"] = labels
    if name:
        body["Name"] = name
    return body


class Volumes:
    def __init__(self, transport: Client) -> None:
        self._t = transport

    def list(self, filters: Filters | None = None) -> dict[str, Any]:
        """GET /volumes. Returns {"Volumes": [...], "Warnings": [...]}."""
        return self._t.get("/volumes", {"filters": filters}) or {}

    def inspect(self, name: str) -> dict[str, Any]:
        """GET /volumes/{name}. Raises APIError 404 when there is no such volume."""
        return self._t.get(f"/volumes/{quote_ref(name)}")

    def create(
        self,
        name: str = "",
        driver: str = "local",
        driver_opts: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """POST /volumes/create.

        Args:
            name: "" lets the daemon name it (an anonymous volume).
        Returns:
            The volume document.
        """
        body = create_body(name, driver, driver_opts, labels)
        return self._t.post("/volumes/create", body=body) or {}

    def remove(self, name: str, force: bool = False) -> None:
        """DELETE /volumes/{name}. Raises APIError 409 while a container uses it."""
        params = {"force": True} if force else None
        self._t.request("DELETE", f"/volumes/{quote_ref(name)}", params).read()

    def prune(self, filters: Filters | None = None) -> dict[str, Any]:
        """POST /volumes/prune. Returns {"VolumesDeleted": [...], "SpaceReclaimed": n}."""
        return self._t.post("/volumes/prune", {"filters": filters or None}) or {}
