"""Validation against the Compose Specification's JSON schema, with Compose v2's messages
("validating <file>: services.web.ports must be a array"), and the type casts that
interpolated strings need first (`replicas: ${N}` is an integer once substituted)."""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

from . import filecache
from .errors import ComposeError

SCHEMA_PATH = os.path.join(os.path.dirname(__file__), "compose-spec.schema.json")

_TYPE_WORDS = {
    "object": "mapping",
    "array": "array",
    "string": "string",
    "number": "number",
    "integer": "integer",
    "boolean": "boolean",
    "null": "null",
}

# Paths (dotted, `*` for one level) whose string values become numbers or booleans.
_CASTS: dict[str, type] = {
    "services.*.deploy.replicas": int,
    "services.*.scale": int,
    "services.*.cpus": float,
    "services.*.cpu_count": int,
    "services.*.cpu_shares": int,
    "services.*.cpu_period": int,
    "services.*.cpu_quota": int,
    "services.*.pids_limit": int,
    "services.*.oom_score_adj": int,
    "services.*.healthcheck.retries": int,
    "services.*.healthcheck.disable": bool,
    "services.*.ports.*.target": int,
    "services.*.ulimits.*": int,
    "services.*.ulimits.*.soft": int,
    "services.*.ulimits.*.hard": int,
    "services.*.privileged": bool,
    "services.*.read_only": bool,
    "services.*.stdin_open": bool,
    "services.*.tty": bool,
    "services.*.init": bool,
    "services.*.oom_kill_disable": bool,
    "services.*.depends_on.*.required": bool,
    "services.*.depends_on.*.restart": bool,
    "services.*.env_file.*.required": bool,
    "services.*.volumes.*.read_only": bool,
    "services.*.volumes.*.bind.create_host_path": bool,
    "services.*.volumes.*.volume.nocopy": bool,
    "networks.*.external": bool,
    "networks.*.internal": bool,
    "networks.*.attachable": bool,
    "networks.*.enable_ipv6": bool,
    "volumes.*.external": bool,
    "secrets.*.external": bool,
    "configs.*.external": bool,
}


_CAST_PATTERNS = [(tuple(p.split(".")), kind) for p, kind in _CASTS.items()]


def cast_types(doc: Any, path: tuple[str, ...] = ()) -> Any:
    """Turn the strings found at `_CASTS` paths into their types; raise as Compose does."""
    if isinstance(doc, dict):
        return {k: cast_types(v, (*path, str(k))) for k, v in doc.items()}
    if isinstance(doc, list):
        return [cast_types(v, (*path, str(i))) for i, v in enumerate(doc)]
    if not isinstance(doc, str):
        return doc
    for pattern, kind in _CAST_PATTERNS:
        if len(pattern) == len(path) and all(
            p in ("*", q) for p, q in zip(pattern, path, strict=True)
        ):
            return _cast(doc, kind, ".".join(path))
    return doc


def _cast(text: str, kind: type, path: str) -> Any:
    try:
        if kind is bool:
            lowered = text.lower()
            if lowered in ("true", "1", "t", "y", "yes", "on"):
                return True
            if lowered in ("false", "0", "f", "n", "no", "off"):
                return False
            raise ValueError(f'strconv.ParseBool: parsing "{text}": invalid syntax')
        return kind(text)
    except ValueError as exc:
        detail = str(exc) if kind is bool else f'strconv.Atoi: parsing "{text}": invalid syntax'
        raise ComposeError(
            f"error while interpolating {path}: failed to cast to expected type: {detail}"
        ) from None


@cache
def _validator() -> Any:
    import jsonschema  # only compose commands pay for this import

    with open(SCHEMA_PATH, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def _cache_marker(doc: dict[str, Any]) -> str:
    """Where a document already found valid is remembered: jsonschema's import alone costs
    more than the rest of a `compose ps`, and the same file is checked on every command."""
    text = json.dumps(doc, sort_keys=True, default=str)
    stat = os.stat(SCHEMA_PATH)
    return filecache.path(
        "compose-valid", filecache.digest(f"{stat.st_size}:{stat.st_mtime_ns}:{text}")
    )


def validate(doc: dict[str, Any], filename: str) -> None:
    """Raise ComposeError naming the file, the path in the document and what was expected."""
    marker = _cache_marker(doc)
    if os.path.exists(marker):
        return
    errors = list(_validator().iter_errors(doc))
    if not errors:
        filecache.remember(marker)
        return
    error = min(errors, key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    path = ".".join(str(p) for p in error.absolute_path)
    raise ComposeError(f"validating {filename}: {path} {_describe(error)}")


def _describe(error: Any) -> str:
    kind = error.validator
    if kind == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        patterns = list(error.schema.get("patternProperties", {}))
        import re

        extra = [
            k
            for k in error.instance
            if k not in allowed and not any(re.search(p, k) for p in patterns)
        ]
        return f"additional properties {', '.join(repr(k) for k in extra)} not allowed"
    if kind == "type":
        wanted = error.validator_value
        wanted = wanted[0] if isinstance(wanted, list) else wanted
        return f"must be a {_TYPE_WORDS.get(wanted, wanted)}"
    if kind in ("oneOf", "anyOf"):
        types = [s.get("type") for s in error.validator_value if isinstance(s, dict)]
        types = [t[0] if isinstance(t, list) else t for t in types if t]
        if types:
            word = "mapping" if "object" in types else _TYPE_WORDS.get(types[0], types[0])
            return f"must be a {word}"
    if kind == "enum":
        return f"must be one of {', '.join(json.dumps(v) for v in error.validator_value)}"
    if kind == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        return f"missing property {', '.join(repr(k) for k in missing)}"
    return error.message
