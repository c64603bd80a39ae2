"""Docker's container filters for list and prune."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..common.timefmt import parse_since_until, seconds_of
from ..errors import DockyardError, InvalidParameter, NotFound
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
        if key == "exited":
            for v in values:
                try:
                    int(v)
                except ValueError:
                    raise InvalidParameter(f'strconv.Atoi: parsing "{v}": invalid syntax') from None
        if key in ("publish", "expose"):
            for v in values:
                port_filter(key, v)


def port_filter(key: str, value: str) -> set[str]:
    """dockerd's `publish=`/`expose=` value: a port or a range, with an optional
    protocol; the `port/proto` keys it stands for."""
    if ":" in value:
        raise InvalidParameter(f"filter for '{key}' should not contain ':': {value}")
    port, _, proto = value.partition("/")
    first, _, last = port.partition("-")
    try:
        start, end = int(first), int(last or first)
        if not (0 <= start <= 65535 and 0 <= end <= 65535):
            raise ValueError
    except ValueError:
        bad = first if not first.isdigit() else last
        raise InvalidParameter(
            f"error while looking up for {key} {value}: "
            f'strconv.ParseUint: parsing "{bad}": invalid syntax'
        ) from None
    return {f"{n}/{proto or 'tcp'}" for n in range(start, end + 1)}


def window(
    items: list[Container], filters: dict[str, list[str]], get: Callable[[str], Container]
) -> list[Container]:
    """dockerd's `since=`/`before=`: of `items` (newest first), those created after /
    before the named containers."""
    for key in ("since", "before"):
        for value in filters.get(key) or []:
            try:
                mark = get(value).id
            except NotFound:
                raise NotFound(f"no such container {value}") from None
            ids = [c.id for c in items]
            if mark in ids:
                i = ids.index(mark)
                items = items[:i] if key == "since" else items[i + 1 :]
    return items


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
        # dockerd matches publish= on the host port, expose= on the container port
        bound = c.network.ports or {}
        if key == "publish":
            ports = {
                f"{b.get('HostPort')}/{k.partition('/')[2] or 'tcp'}"
                for k, bindings in bound.items()
                for b in bindings or []
            }
        else:
            ports = set(bound) | set(cfg.exposed_ports or {})
        return any(port_filter(key, v) & ports for v in values)
    if key == "health":
        return health.matches_filter(c.state.health, values)
    return True


def ancestor_ids(resolve: Callable[[str], Any], filters: dict[str, list[str]]) -> list[str]:
    """The image IDs `ancestor=` names (a tag, fully qualified or not, or an ID); dockerd
    skips a name it cannot resolve."""
    ids = []
    for value in filters.get("ancestor") or []:
        try:
            ids.append(resolve(value).id)
        except DockyardError:
            continue
    return ids
