"""Typed reads of a decoded JSON body: a wrong type is the client's error (400), never a
crash further down."""

from __future__ import annotations

import json
import math
from typing import Any

from ..errors import InvalidParameter


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidParameter(f"invalid JSON: number {text} is out of range")
    return value


def _constant(text: str) -> Any:
    raise InvalidParameter(
        f"invalid JSON: invalid character '{text[0]}' looking for beginning of value"
    )


def decode_json(body: bytes) -> Any:
    """The value of a JSON body; None for an empty one (an empty body is not an error).

    NaN, Infinity and numbers beyond a double are refused (they would be stored and then
    rendered as invalid JSON), and so is nesting deeper than Go allows.
    """
    if not body:
        return None
    text = body.decode("utf-8", errors="replace")
    if not text.strip():
        raise InvalidParameter("invalid JSON: got EOF while reading request body")
    decoder = json.JSONDecoder(parse_float=_finite, parse_constant=_constant)
    try:
        value, end = decoder.raw_decode(text, len(text) - len(text.lstrip()))
    except RecursionError:
        raise InvalidParameter("invalid JSON: exceeded max depth") from None
    except ValueError as exc:
        raise InvalidParameter(f"invalid JSON: {exc}") from None
    if text[end:].strip():
        raise InvalidParameter("unexpected content after JSON")
    return value


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
