"""The config hash that tells `up` whether a service's containers are still what the file
asks for (label com.docker.compose.config-hash), computed as Docker Compose v2 computes it:
sha256 of the service as Go marshals it, without the fields that do not change a container
(build, pull_policy, scale, deploy.replicas, depends_on, profiles). So a project started by
either Compose is seen as unchanged by the other."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .render import service_json

_IGNORED = ("build", "pull_policy", "scale", "depends_on", "profiles")
_GO_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def _go_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _go_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_go_numbers(v) for v in value]
    return value


def go_json(value: Any) -> str:
    """json.Marshal's bytes: compact, UTF-8, HTML characters escaped, 1.0 written 1."""
    text = json.dumps(_go_numbers(value), separators=(",", ":"), ensure_ascii=False)
    for char, escape in _GO_ESCAPES.items():
        text = text.replace(char, escape)
    return text


def config_hash(service: dict[str, Any]) -> str:
    svc = {k: v for k, v in service.items() if k not in _IGNORED}
    if isinstance(svc.get("deploy"), dict):
        svc["deploy"] = {k: v for k, v in svc["deploy"].items() if k != "replicas"}
    return hashlib.sha256(go_json(service_json(svc)).encode()).hexdigest()
