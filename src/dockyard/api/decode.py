"""Typed reads of a decoded JSON body: a wrong type is the client's error (400), never a
crash further down."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidParameter


def json_object(body: Any, what: str = "body") -> dict[str, Any]:
    """The body itself, which must be a JSON object (null or absent: empty)."""
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise InvalidParameter(f"invalid JSON: {what} must be an object")
    return body


def opt_object(body: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = body.get(key)
    if value in (None, {}):
        return None
    if not isinstance(value, dict):
        raise InvalidParameter(f"invalid JSON: {key} must be an object")
    return value


def str_map(body: dict[str, Any], key: str) -> dict[str, str]:
    """A {string: string} field (Labels, Options, DriverOpts); null or absent: empty."""
    value = body.get(key) or {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidParameter(f"invalid JSON: {key} must map strings to strings")
    return dict(value)


def string(body: dict[str, Any], key: str, default: str = "") -> str:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise InvalidParameter(f"invalid JSON: {key} must be a string")
    return value or default
