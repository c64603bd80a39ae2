"""The `# syntax=` and `# check=` parser directives.

`# syntax=docker/dockerfile:1` (any docker/dockerfile version, tag or digest) names the
frontend dockyard has built in; another frontend image cannot run here and fails clearly.
`# check=skip=A,B;error=true` configures `build --check`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import InvalidParameter

_OURS = re.compile(
    r"^(docker\.io/)?docker/dockerfile(-upstream)?(:[\w][\w.-]*)?(@sha256:[0-9a-f]{64})?$"
)


def check_syntax(value: str | None) -> None:
    if value is None or _OURS.match(value.strip()):
        return
    raise InvalidParameter(
        f"unsupported Dockerfile frontend {value!r} (# syntax directive): dockyard builds "
        "with its built-in frontend, which reads the docker/dockerfile:1 syntax; remove the "
        "directive or use # syntax=docker/dockerfile:1"
    )


@dataclass
class CheckConfig:
    skip: set[str] = field(default_factory=set)  # rule names, or "all"
    error: bool = False


def parse_check(value: str | None) -> CheckConfig:
    cfg = CheckConfig()
    if not value:
        return cfg
    for part in value.split(";"):
        key, eq, val = part.strip().partition("=")
        key = key.strip().lower()
        if not eq:
            raise InvalidParameter(f"invalid check directive: {part.strip()}")
        if key == "skip":
            cfg.skip |= {v.strip() for v in val.split(",") if v.strip()}
        elif key == "error":
            if val.strip().lower() not in ("true", "false"):
                raise InvalidParameter(f"invalid check directive: {part.strip()}")
            cfg.error = val.strip().lower() == "true"
        else:
            raise InvalidParameter(f"invalid check directive option: {key}")
    return cfg
