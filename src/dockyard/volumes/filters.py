"""Docker's volume filters (`volume ls -f`, `volume prune -f`) with its error texts.

Filters arrive as the API layer parses them: {"key": ["value", ...]}.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ..errors import InvalidParameter

Filters = Mapping[str, Iterable[str]]

LIST_FILTERS = frozenset({"dangling", "name", "driver", "label"})
PRUNE_FILTERS = frozenset({"label", "label!", "all"})


def normalize(filters: Filters | None, accepted: frozenset[str]) -> dict[str, list[str]]:
    out = {key: list(values) for key, values in (filters or {}).items()}
    for key in out:
        if key not in accepted:
            raise InvalidParameter(f"invalid filter '{key}'")
    return out


def bool_filter(filters: dict[str, list[str]], key: str, default: bool) -> bool:
    """Go's GetBoolOrDefault: exactly one of true/1 or false/0 may be given."""
    if key not in filters:
        return default
    values = set(filters[key])
    is_true = bool(values & {"1", "true"})
    is_false = bool(values & {"0", "false"})
    if not values or is_true == is_false:
        shown = "[" + " ".join(filters[key]) + "]"
        raise InvalidParameter(
            f"invalid filter '{key}={shown}'" if values else f"invalid filter '{key}'"
        )
    return is_true


def match_name(patterns: list[str], name: str) -> bool:
    """Exact match, else the value is a regular expression searched in the name."""
    for pattern in patterns:
        if pattern == name:
            return True
        try:
            if re.search(pattern, name):
                return True
        except re.error:
            continue
    return False


def match_labels(wanted: list[str], labels: Mapping[str, str] | None) -> bool:
    """Every `key` or `key=value` must be present (Go's MatchKVList)."""
    if not wanted:
        return True
    if not labels:
        return False
    for item in wanted:
        key, sep, value = item.partition("=")
        if key not in labels or (sep and labels[key] != value):
            return False
    return True


def match_volume(filters: dict[str, list[str]], volume: Mapping[str, object], in_use: bool) -> bool:
    if "driver" in filters and volume.get("Driver") not in filters["driver"]:
        return False
    if "name" in filters and not match_name(filters["name"], str(volume.get("Name"))):
        return False
    labels = volume.get("Labels") or {}
    assert isinstance(labels, Mapping)
    if not match_labels(filters.get("label", []), labels):
        return False
    if filters.get("label!") and match_labels(filters["label!"], labels):
        return False
    if "dangling" in filters:
        dangling = bool_filter(filters, "dangling", False)
        if dangling == in_use:
            return False
    return True
