"""Docker's container filters for list and prune."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..common.timefmt import parse_since_until, seconds_of
from ..errors import InvalidParameter
from . import health

if TYPE_CHECKING:
    from .record import Container

_LIST_KEYS = {
    "id",
    "name",
    "label",
    "status",
    "ancestor",
    "exited",
    "before",
    "since",
    "network",
    "volume",
    "health",
    "isolation",
    "is-task",
    "publish",
    "expose",
}
_STATUSES = {"created", "restarting", "running", "removing", "paused", "exited", "dead"}


def _label_ok(labels: dict[str, str], spec: str) -> bool:
    key, sep, value = spec.partition("=")
    negate = key.endswith("!")
    key = key.rstrip("!")
    has = key in labels and (not sep or labels[key] == value)
    return not has if negate else has


def check_list_filters(filters: dict[str, list[str]]) -> None:
    """Refuse bad list filters before looking at any container, as dockerd does (so an
    empty list still says what was wrong)."""
    for key, values in filters.items():
        if key not in _LIST_KEYS:
            raise InvalidParameter(f"invalid filter '{key}'")
        if key == "health":
            health.matches_filter(None, values)


def container_matches(c: Container, filters: dict[str, list[str]], prune: bool = False) -> bool:
    for key, values in filters.items():
        if not values:
            continue
        if prune:
            if key == "until":
                limit = _parse_until(values[0])
                if seconds_of(c.record.created) >= limit:
                    return False
                continue
            if key in ("label", "label!"):
                if not all(
                    _label_ok(c.config.labels or {}, v if key == "label" else _negate(v))
                    for v in values
                ):
                    return False
                continue
            raise InvalidParameter(f"invalid filter '{key}'")
        if key not in _LIST_KEYS:
            raise InvalidParameter(f"invalid filter '{key}'")
        if not _match_one(c, key, values):
            return False
    return True


def _negate(spec: str) -> str:
    k, sep, v = spec.partition("=")
    return f"{k}!{sep}{v}"


def _parse_until(value: str) -> float:
    try:
        return parse_since_until(value) or 0.0
    except ValueError:
        raise InvalidParameter(f"invalid until value: {value}") from None


def _match_one(c: Container, key: str, values: list[str]) -> bool:
    cfg = c.config
    if key == "id":
        return any(c.id.startswith(v) for v in values)
    if key == "name":
        import re

        return any(re.search(v.lstrip("/"), c.name) for v in values)
    if key == "label":
        return all(_label_ok(cfg.labels or {}, v) for v in values)
    if key == "status":
        for v in values:
            if v not in _STATUSES:
                raise InvalidParameter(f"invalid filter 'status={v}'")
        return c.state.status in values
    if key == "exited":
        return c.state.status == "exited" and any(str(c.state.exit_code) == v for v in values)
    if key == "ancestor":
        ref = c.record.image_ref
        return any(
            v in (ref, c.record.image_id)
            or c.record.image_id.startswith("sha256:" + v)
            or ref.split(":")[0] == v
            or c.record.image_id.startswith(v)
            for v in values
        )
    if key == "network":
        nets = c.network.networks
        return any(
            v in nets or any(n.get("NetworkID", "").startswith(v) for n in nets.values())
            for v in values
        )
    if key == "volume":
        mounts = [m for m in c.record.mounts if m.in_inspect]
        return any(m.name == v or m.destination == v for m in mounts for v in values)
    if key in ("publish", "expose"):
        ports = set(c.network.ports or {})
        ports |= set(cfg.exposed_ports or {})
        return any((v if "/" in v else v + "/tcp") in ports for v in values)
    if key == "health":
        return health.matches_filter(c.state.health, values)
    return True
