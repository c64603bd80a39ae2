"""Docker's request-body rules for JSON routes (moby daemon/server/httputils ReadJSON).

Routes that decode a struct first check the Content-Type and the JSON itself, so a bad body
is a 400 even where the route would fail later (a swarm route on a non-swarm node).
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidParameter
from .decode import decode_json
from .http import Request


def check_content_type(content_type: str, body: bytes) -> None:
    """No Content-Type is fine for an empty body; otherwise it must be application/json."""
    if not content_type and not body:
        return
    media = content_type.partition(";")[0].strip()
    if "/" not in media:
        why = "mime: expected slash after first token" if media else "mime: no media type"
        raise InvalidParameter(f"malformed Content-Type header ({content_type}): {why}")
    from email.message import Message  # 13 modules the daemon's start does without

    msg = Message()
    msg["content-type"] = content_type
    mimetype = msg.get_content_type()
    if mimetype != "application/json":
        raise InvalidParameter(
            f"unsupported Content-Type header ({content_type}): must be 'application/json'"
        )


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
