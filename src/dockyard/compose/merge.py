"""Merging canonical documents: `-f a.yml -f b.yml` and `extends`, with Compose v2's rules.

Mappings merge key by key; scalars are replaced; sequences are appended without
duplicates, except those whose items have an identity (ports, volumes by target,
secrets/configs by target or source), where a later item replaces the earlier one, and
those Compose replaces outright (command, entrypoint, healthcheck test, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_REPLACED = {
    "services.*.command",
    "services.*.entrypoint",
    "services.*.healthcheck.test",
    "services.*.profiles",
}


def _port_key(p: Any) -> Any:
    if not isinstance(p, dict):
        return p
    return (p.get("host_ip"), p.get("target"), p.get("published"), p.get("protocol"))


def _keyed_by(name: str) -> Callable[[Any], Any]:
    return lambda item: item.get(name) if isinstance(item, dict) else item


def _file_key(item: Any) -> Any:
    return item.get("target") or item.get("source") if isinstance(item, dict) else item


_IDENTITY: dict[str, Callable[[Any], Any]] = {
    "services.*.ports": _port_key,
    "services.*.volumes": _keyed_by("target"),
    "services.*.secrets": _file_key,
    "services.*.configs": _file_key,
    "services.*.devices": _keyed_by("target"),
    "services.*.env_file": _keyed_by("path"),
}


def _match(path: tuple[str, ...], patterns: set[str] | dict[str, Any]) -> str | None:
    for pattern in patterns:
        parts = pattern.split(".")
        if len(parts) == len(path) and all(p in ("*", q) for p, q in zip(parts, path, strict=True)):
            return pattern
    return None


def merge(base: Any, override: Any, path: tuple[str, ...] = ()) -> Any:
    """A new value: `override` laid over `base`."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            out[key] = merge(base[key], value, (*path, str(key))) if key in base else value
        return out
    if isinstance(base, list) and isinstance(override, list):
        if _match(path, _REPLACED):
            return override
        pattern = _match(path, _IDENTITY)
        if pattern is not None:
            key = _IDENTITY[pattern]
            merged = {key(item): item for item in base}
            for item in override:
                k = key(item)
                merged[k] = merge(merged[k], item, path) if k in merged else item
            return list(merged.values())
        out_list = list(base)
        for item in override:
            if item not in out_list:
                out_list.append(item)
        return out_list
    return override
