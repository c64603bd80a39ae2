"""Docker's request-body rules for JSON routes (moby daemon/server/httputils ReadJSON).

Routes that decode a struct first check the Content-Type and the JSON itself, so a bad body
is a 400 even where the route would fail later (a swarm route on a non-swarm node).
"""

from __future__ import annotations

import json
from email.message import Message
from typing import Any

from ..errors import InvalidParameter
from .http import Request


def check_content_type(content_type: str, body: bytes) -> None:
    """No Content-Type is fine for an empty body; otherwise it must be application/json."""
    if not content_type and not body:
        return
    media = content_type.partition(";")[0].strip()
    if "/" not in media:
        why = "mime: expected slash after first token" if media else "mime: no media type"
        raise InvalidParameter(f"malformed Content-Type header ({content_type}): {why}")
    msg = Message()
    msg["content-type"] = content_type
    mimetype = msg.get_content_type()
    if mimetype != "application/json":
        raise InvalidParameter(
            f"unsupported Content-Type header ({content_type}): must be 'application/json'"
        )


def decode_json(body: bytes) -> Any:
    """The value of a JSON body; None for an empty one (an empty body is not an error)."""
    if not body:
        return None
    text = body.decode("utf-8", errors="replace")
    if not text.strip():
        raise InvalidParameter("invalid JSON: got EOF while reading request body")
    try:
        value, end = json.JSONDecoder().raw_decode(text, len(text) - len(text.lstrip()))
    except ValueError as exc:
        raise InvalidParameter(f"invalid JSON: {exc}") from None
    if text[end:].strip():
        raise InvalidParameter("unexpected content after JSON")
    return value


async def read_json_object(req: Request, go_type: str) -> dict[str, Any]:
    """A body that decodes into a Go struct: an object, null or nothing."""
    body = await req.read()
    check_content_type(req.headers.get("content-type", ""), body)
    value = decode_json(body)
    if value is None:
        return {}
    if not isinstance(value, dict):
        kind = {list: "array", str: "string", bool: "bool"}.get(type(value), "number")
        raise InvalidParameter(
            f"invalid JSON: json: cannot unmarshal {kind} into Go value of type {go_type}"
        )
    return value
