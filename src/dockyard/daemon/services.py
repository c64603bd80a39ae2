"""Wires the domain services together; each one is a plain object with no HTTP in it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .core import Daemon


def build_services(daemon: Daemon) -> dict[str, Any]:
    services: dict[str, Any] = {}
    return services
