"""`${VAR}` substitution as Compose does it: pure functions over strings and parsed documents.

Forms: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
`${VAR?error}`, `${VAR:+replacement}`, `${VAR+replacement}`, `$$` for a literal `$`;
defaults and replacements are templates themselves, so they nest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Lookup = Callable[[str], "str | None"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class InterpolationError(Exception):
    """A template Compose refuses: bad syntax or a required variable without a value."""


def substitute(text: str, lookup: Lookup, warn: Callable[[str], None] | None = None) -> str:
    """Replace every variable reference in `text`."""
    if "$" not in text:
        return text
    out, pos = _expand(text, 0, lookup, warn, closing=False)
    return out


def _expand(
    text: str, pos: int, lookup: Lookup, warn: Callable[[str], None] | None, closing: bool
) -> tuple[str, int]:
    """Expand from `pos`; with `closing`, stop at the `}` that ends an enclosing `${...}`."""
    out: list[str] = []
    n = len(text)
    while pos < n:
        ch = text[pos]
        if closing and ch == "}":
            return "".join(out), pos
        if ch != "$":
            out.append(ch)
            pos += 1
            continue
        nxt = text[pos + 1] if pos + 1 < n else ""
        if nxt == "$":
            out.append("$")
            pos += 2
        elif nxt == "{":
            value, pos = _braced(text, pos + 2, lookup, warn)
            out.append(value)
        else:
            match = _NAME.match(text, pos + 1)
            if match is None:
                out.append("$")
                pos += 1
                continue
            out.append(_value(match.group(), lookup, warn))
            pos = match.end()
    if closing:
        raise InterpolationError(f"Invalid template: {text!r}")
    return "".join(out), pos


def _braced(
    text: str, pos: int, lookup: Lookup, warn: Callable[[str], None] | None
) -> tuple[str, int]:
    match = _NAME.match(text, pos)
    if match is None:
        raise InterpolationError(f'Invalid template: "{text}"')
    name = match.group()
    pos = match.end()
    if pos >= len(text):
        raise InterpolationError(f'Invalid template: "{text}"')
    if text[pos] == "}":
        return _value(name, lookup, warn), pos + 1
    for op in (":-", ":?", ":+", "-", "?", "+"):
        if text.startswith(op, pos):
            break
    else:
        raise InterpolationError(f'Invalid template: "{text}"')
    arg, end = _expand(text, pos + len(op), lookup, warn, closing=True)
    value = lookup(name)
    empty_counts = op.startswith(":")
    missing = value is None or (empty_counts and value == "")
    kind = op[-1]
    if kind == "-":
        result = arg if missing else value
    elif kind == "+":
        result = "" if missing else arg
    else:
        if missing:
            raise InterpolationError(f"required variable {name} is missing a value: {arg}")
        result = value
    return result or "", end + 1


def _value(name: str, lookup: Lookup, warn: Callable[[str], None] | None) -> str:
    value = lookup(name)
    if value is None:
        if warn is not None:
            warn(f'The "{name}" variable is not set. Defaulting to a blank string.')
        return ""
    return value


def interpolate_tree(
    doc: Any, env: Mapping[str, str], warn: Callable[[str], None] | None = None
) -> Any:
    """Substitute in every string value of a parsed document (keys stay as written)."""
    lookup = env.get

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return substitute(node, lookup, warn)
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(doc)
