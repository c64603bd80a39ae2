"""The functions a Docker --format template can call: Go's builtins and Docker's own.

Functions raise ValueError; the executor reports it as Go does
("error calling index: index out of range: 9").
"""

from __future__ import annotations

from dockyard.cli.gofmt import (
    MISSING,
    go_json,
    go_str,
    go_type,
    sprint,
    sprintf,
    sprintln,
)

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def truth(v: Any) -> bool:
    """Go's isTrue: zero values, nil and empty collections are false."""
    if v is None or v is MISSING:
        return False
    # Collections and scalars by emptiness; other objects (Go structs, funcs) are
    # true unless they say otherwise (the executor's "absent field" marker does).
    return bool(v)


TYPE_NAMES = {str: "string", int: "int", list: "[]string", float: "float64"}


class FuncSpec:
    """A template function with Go-style arity and parameter type checks."""

    __slots__ = ("fn", "min_args", "max_args", "types")

    def __init__(
        self, fn: Callable[..., Any], min_args: int, max_args: int | None, types: tuple
    ) -> None:
        self.fn, self.min_args, self.max_args, self.types = fn, min_args, max_args, types

    def param(self, i: int) -> type | None:
        return self.types[i] if i < len(self.types) else None


# --- builtin functions ---------------------------------------------------------


def _eq(a: Any, *rest: Any) -> bool:
    if not rest:
        raise ValueError("missing argument for comparison")
    ka = _kind(a)
    for b in rest:
        kb = _kind(b)
        if ka in _NON_BASIC and kb in _NON_BASIC:
            # Go: both "invalid" basic kinds, compared by type.
            if go_type(a) != go_type(b):
                raise ValueError(
                    f"non-comparable types {sprintf('%s', [a])}: {go_type(a)}, "
                    f"{go_type(b)}: {go_str(b)}"
                )
            raise ValueError(f"non-comparable type {sprintf('%s', [a])}: {go_type(a)}")
        if ka != kb:
            if ka == "nil" or kb == "nil":
                continue
            raise ValueError("incompatible types for comparison")
        if ka == "nil" or a == b:
            return True
    return False


_NON_BASIC = frozenset(["list", "map", "other"])


# Go type name -> the kind the comparison functions group values by
_KINDS = {
    "<nil>": "nil",
    "bool": "bool",
    "int": "int",
    "float64": "float",
    "string": "string",
    "[]interface {}": "list",
    "map[string]interface {}": "map",
}


def _kind(v: Any) -> str:
    return _KINDS.get(go_type(v), "other")


def _ne(a: Any, b: Any) -> bool:
    return not _eq(a, b)


def _lt(a: Any, b: Any) -> bool:
    ka, kb = _kind(a), _kind(b)
    if ka not in ("int", "float", "string") or kb not in ("int", "float", "string"):
        raise ValueError("invalid type for comparison")
    if ka != kb:
        raise ValueError("incompatible types for comparison")
    return a < b


def _le(a: Any, b: Any) -> bool:
    return _lt(a, b) or _eq(a, b)


def _gt(a: Any, b: Any) -> bool:
    return not _le(a, b)


def _ge(a: Any, b: Any) -> bool:
    return not _lt(a, b)


def _not(a: Any) -> bool:
    return not truth(a)


def _len(v: Any) -> int:
    if v is None or v is MISSING:
        raise ValueError("len of nil pointer")
    if isinstance(v, str):
        return len(v.encode())
    if isinstance(v, list | tuple | dict):
        return len(v)
    raise ValueError(f"len of type {go_type(v)}")


def _index_int(i: Any, n: int) -> int:
    if i is None or i is MISSING:
        raise ValueError("cannot index slice/array with nil")
    if isinstance(i, bool) or not isinstance(i, int):
        raise ValueError(f"cannot index slice/array with type {go_type(i)}")
    if i < 0 or i >= n:
        raise ValueError(f"index out of range: {i}")
    return i


def _index(item: Any, *keys: Any) -> Any:
    if item is None or item is MISSING:
        raise ValueError("index of untyped nil")
    for k in keys:
        if item is None or item is MISSING:
            raise ValueError("index of nil pointer")
        if isinstance(item, list | tuple):
            item = item[_index_int(k, len(item))]
        elif isinstance(item, str):
            item = item.encode()[_index_int(k, len(item.encode()))]
        elif isinstance(item, dict):
            if k in item:
                item = item[k]
            elif isinstance(k, str) and all(isinstance(x, str) for x in item.values()):
                # A string-valued map is Go's map[string]string (Labels, Options):
                # its zero value is "", as `index .Config.Labels "x"` prints in Docker.
                item = ""
            else:
                item = MISSING
        else:
            raise ValueError(f"can't index item of type {go_type(item)}")
    return item


def _slice(item: Any, *idx: Any) -> Any:
    if item is None or item is MISSING:
        raise ValueError("slice of untyped nil")
    if len(idx) > 3:
        raise ValueError(f"too many slice indexes: {len(idx)}")
    if isinstance(item, str):
        if len(idx) == 3:
            raise ValueError("cannot 3-index slice a string")
        b = item.encode()
        n = len(b)
    elif isinstance(item, list | tuple):
        n = len(item)
    else:
        raise ValueError(f"can't slice item of type {go_type(item)}")
    bounds = [0, n]
    for i, x in enumerate(idx[:2]):
        bounds[i] = _index_int(x, n + 1)
    if bounds[0] > bounds[1]:
        raise ValueError(f"invalid slice index: {bounds[0]} > {bounds[1]}")
    if isinstance(item, str):
        return b[bounds[0] : bounds[1]].decode(errors="replace")
    return list(item[bounds[0] : bounds[1]])


def _html(*args: Any) -> str:
    s = _eval_args(args)
    return (
        s.replace("&", "&amp;")
        .replace("'", "&#39;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("\0", "\ufffd")
    )


_JS_ESC = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "<": "\\u003C",
    ">": "\\u003E",
    "&": "\\u0026",
    "=": "\\u003D",
}


def _js(*args: Any) -> str:
    out = []
    for c in _eval_args(args):
        if c in _JS_ESC:
            out.append(_JS_ESC[c])
        elif ord(c) < 0x20 or not c.isprintable():
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return "".join(out)


def _urlquery(*args: Any) -> str:
    from urllib.parse import quote_plus

    return quote_plus(_eval_args(args), safe="")


def _eval_args(args: tuple) -> str:
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    # Go turns nil into the string "<no value>" before fmt.Sprint sees it.
    return sprint(["<no value>" if a is None or a is MISSING else a for a in args])


def _printf(fmt: str, *args: Any) -> str:
    return sprintf(fmt, list(args))


def _call(fn: Any, *args: Any) -> Any:
    if not callable(fn):
        raise ValueError(f"non-function of type {go_type(fn)}")
    return fn(*args)


# Docker's additions (docker/cli templates package).


def _split(s: str, sep: str) -> list[str]:
    if sep == "":
        return list(s)
    return s.split(sep)


def _join(elems: Any, sep: str) -> str:
    if elems is None or elems is MISSING:
        return ""
    if isinstance(elems, list | tuple):
        return sep.join(go_str(x) for x in elems)
    if isinstance(elems, dict):
        return sep.join(sorted(go_str(x) for x in elems.values()))
    raise ValueError(f"expected slice, got {go_type(elems)}")


def _title(s: str) -> str:
    """strings.Title: upper-case the first letter of each word, leave the rest."""
    out = []
    prev_sep = True
    for c in s:
        out.append(c.upper() if prev_sep and len(c.upper()) == 1 else c)
        if c.isascii():
            prev_sep = not (c.isalnum() or c == "_")
        else:
            prev_sep = c.isspace()
    return "".join(out)


def _case(s: str, upper: bool) -> str:
    conv = s.upper() if upper else s.lower()
    if len(conv) == len(s):
        return conv
    # Python maps ß to SS; Go maps rune by rune.
    return "".join(
        (c.upper() if upper else c.lower()) if len(c.upper() if upper else c.lower()) == 1 else c
        for c in s
    )


def _pad(s: str, prefix: int, suffix: int) -> str:
    if s == "":
        return s
    return " " * prefix + s + " " * suffix


def _truncate(s: str, length: int) -> str:
    b = s.encode()
    if len(b) < length:
        return s
    return b[:length].decode(errors="replace")


def _spec(fn: Callable[..., Any], lo: int, hi: int | None, *types: Any) -> FuncSpec:
    return FuncSpec(fn, lo, hi, types)


_ANY = None

FUNCS: dict[str, Any] = {
    # Go builtins
    "and": _spec(lambda *a: a[-1], 1, None),
    "or": _spec(lambda *a: a[-1], 1, None),
    "not": _spec(_not, 1, 1),
    "len": _spec(_len, 1, 1),
    "index": _spec(_index, 1, None),
    "slice": _spec(_slice, 1, None),
    "print": _spec(lambda *a: sprint(list(a)), 0, None),
    "println": _spec(lambda *a: sprintln(list(a)), 0, None),
    "printf": _spec(_printf, 1, None, str),
    "html": _spec(_html, 0, None),
    "js": _spec(_js, 0, None),
    "urlquery": _spec(_urlquery, 0, None),
    "eq": _spec(_eq, 1, None),
    "ne": _spec(_ne, 2, 2),
    "lt": _spec(_lt, 2, 2),
    "le": _spec(_le, 2, 2),
    "gt": _spec(_gt, 2, 2),
    "ge": _spec(_ge, 2, 2),
    "call": _spec(_call, 1, None),
    # Docker's
    "json": _spec(go_json, 1, 1),
    "split": _spec(_split, 2, 2, str, str),
    "join": _spec(_join, 2, 2, _ANY, str),
    "title": _spec(_title, 1, 1, str),
    "lower": _spec(lambda s: _case(s, False), 1, 1, str),
    "upper": _spec(lambda s: _case(s, True), 1, 1, str),
    "pad": _spec(_pad, 3, 3, str, int, int),
    "truncate": _spec(_truncate, 2, 2, str, int),
}


def _first(v: Any, *_: Any) -> Any:
    return v


# Docker renders table headers with these in place of the formatting functions,
# so `{{upper .Name}}` still prints the header "NAME" (pad is kept for alignment).
HEADER_FUNCS: dict[str, Any] = {
    **FUNCS,
    "json": _spec(_first, 1, 1, str),
    "split": _spec(_first, 2, 2, str, str),
    "join": _spec(_first, 2, 2, str, str),
    "title": _spec(_first, 1, 1, str),
    "lower": _spec(_first, 1, 1, str),
    "upper": _spec(_first, 1, 1, str),
    "truncate": _spec(_first, 2, 2, str, int),
}
