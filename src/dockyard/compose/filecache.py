"""What compose remembers between commands, under $XDG_CACHE_HOME/dockyard: files found
valid, and parsed documents. Every compose command reads the same file again; parsing it
needs PyYAML, whose import alone costs more than reading the answer back as JSON."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from .errors import ComposeError

_LIMIT = 512  # entries per kind: a cache, not a log


def path(kind: str, key: str) -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "dockyard", kind, key)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def remember(where: str, content: str = "") -> None:
    """Write an entry (best effort: a read-only home only makes the next command slower)."""
    directory = os.path.dirname(where)
    try:
        os.makedirs(directory, exist_ok=True)
        names = os.listdir(directory)
        if len(names) > _LIMIT:  # start over
            for name in names:
                try:
                    os.unlink(os.path.join(directory, name))
                except OSError:
                    pass
        tmp = f"{where}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(content)
        os.replace(tmp, where)
    except OSError:
        pass


def _plain(value: Any) -> bool:
    """True when JSON gives `value` back exactly: str keys, no dates, bytes, sets, NaN."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    return value is None or isinstance(value, str | int | bool)


def parse_yaml(text: str) -> Any:
    """yamlio.load(text), from the cache when this exact text was parsed before; bad YAML
    is a ComposeError naming the line."""
    where = path("compose-parsed", digest(text))
    try:
        with open(where, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        pass
    from . import yamlio  # PyYAML: only for a text not seen before

    try:
        doc = yamlio.load(text)
    except yamlio.YAMLError as exc:
        raise ComposeError(str(exc)) from None
    if _plain(doc):
        remember(where, json.dumps(doc))
    return doc
