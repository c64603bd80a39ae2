"""json.loads and json.dumps on the C accelerator alone, for the CLI's start-up path.

Why: `import json` pulls in `re` (and with it enum, functools, collections): about 8 ms of
every short command before anything is done. The `_json` C module it wraps has the whole
scanner and encoder; here they are driven directly. Results are those of json.loads and of
json.dumps with its defaults (no indent, ", " and ": ", ASCII only, NaN allowed).
"""

from __future__ import annotations

import _json

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_WHITESPACE = " \t\n\r"
_CONSTANTS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


class _Options:
    """What the C scanner reads from json.JSONDecoder (the defaults)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = _CONSTANTS.__getitem__


_scan = _json.make_scanner(_Options())


def _decode_error(msg: str, doc: str, pos: int) -> ValueError:
    from json import JSONDecodeError  # only on bad input: keeps `re` out of the good path

    return JSONDecodeError(msg, doc, pos)


def loads(data: str | bytes | bytearray) -> Any:
    """json.loads (UTF-8 for bytes); raises ValueError (json.JSONDecodeError) on bad input."""
    doc = (
        data.decode("utf-8-sig" if data[:3] == b"\xef\xbb\xbf" else "utf-8")
        if isinstance(data, bytes | bytearray)
        else data
    )
    start = len(doc) - len(doc.lstrip(_WHITESPACE))
    try:
        value, end = _scan(doc, start)
    except StopIteration as exc:
        raise _decode_error("Expecting value", doc, exc.value) from None
    tail = doc[end:]
    if tail.strip(_WHITESPACE):
        raise _decode_error("Extra data", doc, end + len(tail) - len(tail.lstrip(_WHITESPACE)))
    return value


def _unserializable(obj: Any) -> Any:
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _encoder(item_sep: str, key_sep: str) -> Callable[[Any], str]:
    encode = _json.make_encoder(
        None, _unserializable, _json.encode_basestring_ascii, None, key_sep, item_sep,
        False, False, True,
    )  # fmt: skip

    def dumps(obj: Any) -> str:
        if isinstance(obj, str):
            return _json.encode_basestring_ascii(obj)
        return "".join(encode(obj, 0))

    return dumps


dumps = _encoder(", ", ": ")
dumps.__doc__ = "json.dumps(obj) with the default settings."
dumps_compact = _encoder(",", ":")
dumps_compact.__doc__ = 'json.dumps(obj, separators=(",", ":")).'


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is True or key is False or key is None:
        return {True: "true", False: "false", None: "null"}[key]
    if isinstance(key, int):
        return int.__repr__(key)
    if isinstance(key, float):
        return _float(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _indented(obj: Any, out: list[str], newline: str) -> None:
    """Appends obj's text; `newline` is "\\n" and the indent of the line obj starts on."""
    if isinstance(obj, str):
        out.append(_json.encode_basestring(obj))
    elif obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif isinstance(obj, int):
        out.append(int.__repr__(obj))
    elif isinstance(obj, float):
        out.append(_float(obj))
    elif isinstance(obj, list | tuple):
        if not obj:
            out.append("[]")
            return
        inner = newline + "    "
        out.append("[")
        for item in obj:
            out.append(inner)
            _indented(item, out, inner)
            out.append(",")
        out[-1] = newline + "]"
    elif isinstance(obj, dict):
        if not obj:
            out.append("{}")
            return
        inner = newline + "    "
        out.append("{")
        for key, value in obj.items():
            out.append(inner)
            out.append(_json.encode_basestring(_key(key)))
            out.append(": ")
            _indented(value, out, inner)
            out.append(",")
        out[-1] = newline + "}"
    else:
        _unserializable(obj)


def dumps_indented(obj: Any) -> str:
    """json.dumps(obj, indent=4, ensure_ascii=False): the pure-Python encoder json uses for
    indenting costs ~10 ms on an inspect document plus the import of json (and re)."""
    out: list[str] = []
    _indented(obj, out, "\n")
    return "".join(out)
