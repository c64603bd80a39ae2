"""Request bodies checked field by field against the Engine API's Go types before any work
starts, with dockerd's wording (Go's json.UnmarshalTypeError behind moby's "invalid JSON: "
prefix). Unknown fields are ignored, as Go ignores them.

A table is written as lines of `GoType: Field Field ...`; `check()` walks a body with a
table and, for object-valued (or list-of-object) fields, the nested tables it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..errors import InvalidParameter

Check = Callable[[Any], bool]
# (check, Go type) per field.
Table = Mapping[str, tuple[Check, str]]

# Go's int64 range; larger numbers do not fit the struct fields.
_I64 = 2**63


_NUMERIC = ("int", "int64", "uint16", "uint64", "time.Duration")


def go_kind(value: Any, go_type: str = "") -> str:
    """How Go's decoder names a JSON value in its type errors (a number that does not fit a
    numeric field is named with its literal)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        literal = isinstance(value, float) or abs(value) >= _I64 or go_type in _NUMERIC
        return f"number {value}" if literal else "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "value")


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -_I64 <= value < _I64


def _uint(value: Any) -> bool:
    return _int(value) and value >= 0


def _str(value: Any) -> bool:
    return isinstance(value, str)


def _bool(value: Any) -> bool:
    return isinstance(value, bool)


def _obj(value: Any) -> bool:
    return isinstance(value, dict)


def _objs(value: Any) -> bool:
    return isinstance(value, list) and all(v is None or isinstance(v, dict) for v in value)


def _strs(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _strslice(value: Any) -> bool:
    """strslice.StrSlice: a string or a list of strings."""
    return isinstance(value, str) or _strs(value)


def _str_map(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def _port_map(value: Any) -> bool:
    return isinstance(value, dict) and all(v is None or _objs(v) for v in value.values())


def _obj_map(value: Any) -> bool:
    return isinstance(value, dict) and all(v is None or isinstance(v, dict) for v in value.values())


def _pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(_uint(v) for v in value)


# The check for each Go type the tables name; other types are objects ([]T: lists of them).
CHECKS: dict[str, Check] = {
    "string": _str,
    "bool": _bool,
    "int": _int,
    "int64": _int,
    "uint16": _uint,
    "uint64": _uint,
    "time.Duration": _int,
    "[]string": _strs,
    "strslice.StrSlice": _strslice,
    "map[string]string": _str_map,
    "nat.PortMap": _port_map,
    "[2]uint": _pair,
    "map[string]*network.EndpointSettings": _obj_map,
}


def table(spec: str) -> Table:
    """Lines of `GoType: Field Field ...` (the Engine API's types for those fields)."""
    out: dict[str, tuple[Check, str]] = {}
    for line in spec.strip().splitlines():
        go_type, _, names = line.strip().rpartition(": ")
        check = CHECKS.get(go_type) or (_objs if go_type.startswith("[]") else _obj)
        out.update({name: (check, go_type) for name in names.split()})
    return out


def check(
    body: Mapping[str, Any],
    fields: Table,
    struct: str,
    nested: Mapping[str, Table] | None = None,
    prefix: str = "",
) -> None:
    """Raise InvalidParameter naming the first field whose value does not fit its Go type."""
    nested = nested or {}
    for key, (ok, go_type) in fields.items():
        value = body.get(key)
        if value is None:
            continue  # null leaves a Go field at its zero value
        path = f"{prefix}{key}"
        if not ok(value):
            raise InvalidParameter(
                f"invalid JSON: json: cannot unmarshal {go_kind(value, go_type)} into Go struct field "
                f"{struct}.{path} of type {go_type}"
            )
        inner = nested.get(path) or nested.get(key)
        if inner is None:
            continue
        if isinstance(value, list):
            for item in value:
                if item is not None:
                    check(item, inner, struct, nested, f"{path}.")
        elif go_type.startswith("map["):
            for item in value.values():
                if item is not None:
                    check(item, inner, struct, nested, f"{path}.")
        else:
            check(value, inner, struct, nested, f"{path}.")
