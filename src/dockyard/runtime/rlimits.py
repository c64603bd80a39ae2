"""Docker `--ulimit` values to OCI rlimits, never above the host's hard limits.

runc fails to start a container whose rlimit exceeds what its own process may raise to,
so each asked value is capped at the daemon's hard limit (which conmon and runc inherit).
"""

from __future__ import annotations

import resource

from .errors import SpecError

# Linux resource numbers (Python's resource module lacks some of them).
_NAMES = {
    "core": 4,
    "cpu": 0,
    "data": 2,
    "fsize": 1,
    "locks": 10,
    "memlock": 8,
    "msgqueue": 12,
    "nice": 13,
    "nofile": 7,
    "nproc": 6,
    "rss": 5,
    "rtprio": 14,
    "rttime": 15,
    "sigpending": 11,
    "stack": 3,
    "as": 9,
}
_UNLIMITED = 2**64 - 1


def host_hard_limit(name: str) -> int | None:
    """The hard limit of this process for `name`; None when unlimited."""
    hard = resource.getrlimit(_NAMES[name])[1]
    return None if hard == resource.RLIM_INFINITY else hard


def _value(v: object) -> int:
    try:
        n = int(v)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise SpecError(f"invalid ulimit value: {v!r}") from None
    return _UNLIMITED if n < 0 else n


def build_rlimits(ulimits: list[dict] | None) -> list[dict]:
    """OCI `process.rlimits` for HostConfig.Ulimits ([{Name, Soft, Hard}])."""
    out: dict[str, dict] = {}
    for u in ulimits or []:
        name = str(u.get("Name", "")).lower()
        if name not in _NAMES:
            raise SpecError(f"invalid ulimit type: {name}")
        soft, hard = _value(u.get("Soft", 0)), _value(u.get("Hard", 0))
        if soft > hard:
            raise SpecError(
                f"ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}"
            )
        cap = host_hard_limit(name)
        if cap is not None:
            soft, hard = min(soft, cap), min(hard, cap)
        out[name] = {"type": "RLIMIT_" + name.upper(), "hard": hard, "soft": soft}
    return list(out.values())
