"""JSON as Go's encoding/json writes it (dockerd's streams are made with it): compact,
UTF-8, and "<", ">", "&", U+2028, U+2029 escaped, so " ---> " travels as " ---\\u003e "."""

from __future__ import annotations

import json
from typing import Any

_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def dumps(value: Any) -> str:
    # The escaped characters never occur in JSON syntax outside strings, so translating
    # the whole text only touches string contents.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).translate(_ESCAPES)
