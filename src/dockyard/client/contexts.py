"""Docker contexts: the docker CLI's own store under ~/.docker/contexts (or $DOCKER_CONFIG).

A context is `contexts/meta/<sha256 of its name>/meta.json` holding
{"Name", "Metadata": {"Description"}, "Endpoints": {"docker": {"Host", "SkipTLSVerify"}}};
the one in use is config.json's `currentContext`. Contexts made by `docker context create`
are seen here and the other way round. "default" is not stored: it is DOCKER_HOST's (or
dockyard's) socket. TLS material is not supported.
"""

from __future__ import annotations

import os

from ..common import dockerconfig, leanjson

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from typing import Any

DEFAULT = "default"
DEFAULT_DESCRIPTION = "Current DOCKER_HOST based configuration"
_NAME = r"^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$"  # the docker CLI's rule for context names


class ContextError(Exception):
    """A context that cannot be found, made or removed; the message is the docker CLI's."""


def _root() -> str:
    return os.path.join(os.path.dirname(dockerconfig.config_path()), "contexts")


def _dir(kind: str, name: str) -> str:
    import hashlib  # only when a context other than "default" is used

    return os.path.join(_root(), kind, hashlib.sha256(name.encode()).hexdigest())


def meta_dir(name: str) -> str:
    return _dir("meta", name)


def tls_dir(name: str) -> str:
    return _dir("tls", name)


def default_context(host: str) -> dict[str, Any]:
    return {
        "Name": DEFAULT,
        "Metadata": {"Description": DEFAULT_DESCRIPTION},
        "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}},
    }


def load(name: str) -> dict[str, Any]:
    """A stored context's document.

    Raises:
        ContextError: there is no such context (Docker's "context not found" text).
    """
    path = os.path.join(meta_dir(name), "meta.json")
    try:
        with open(path, "rb") as f:
            doc = leanjson.loads(f.read())
    except FileNotFoundError:
        raise ContextError(
            f'context "{name}": context not found: open {path}: no such file or directory'
        ) from None
    except (OSError, ValueError) as exc:
        raise ContextError(f'context "{name}": {exc}') from None
    return doc if isinstance(doc, dict) else {}


def host_of(doc: dict[str, Any]) -> str:
    return str(((doc.get("Endpoints") or {}).get("docker") or {}).get("Host") or "")


def names() -> list[str]:
    """The stored contexts' names, sorted (without "default")."""
    found = []
    try:
        entries = os.listdir(os.path.join(_root(), "meta"))
    except FileNotFoundError:
        return []
    for entry in entries:
        try:
            with open(os.path.join(_root(), "meta", entry, "meta.json"), "rb") as f:
                found.append(str(leanjson.loads(f.read()).get("Name", "")))
        except (OSError, ValueError, AttributeError):
            continue
    return sorted(n for n in found if n)


def validate_name(name: str) -> None:
    """Raises ContextError for a name Docker refuses."""
    if name == DEFAULT:
        raise ContextError(f'"{DEFAULT}" is a reserved context name')
    import re

    if not re.match(_NAME, name):
        raise ContextError(
            f'context name "{name}" is invalid, names are validated against regexp "{_NAME}"'
        )


def save(name: str, description: str, host: str, skip_tls_verify: bool = False) -> None:
    """Store a new context (the caller checked that the name is free and valid)."""
    meta: dict[str, Any] = {"Description": description} if description else {}
    doc = {
        "Name": name,
        "Metadata": meta,
        "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": skip_tls_verify}},
    }
    os.makedirs(meta_dir(name), mode=0o755, exist_ok=True)
    path = os.path.join(meta_dir(name), "meta.json")
    import json  # compact separators: the writer alone needs the full module

    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    os.replace(path + ".tmp", path)


def remove(name: str) -> None:
    import shutil

    shutil.rmtree(meta_dir(name), ignore_errors=True)
    shutil.rmtree(tls_dir(name), ignore_errors=True)


def current_name(flag: str | None = None) -> str:
    """The context in force, as the docker CLI picks it: --context, then "default" when
    a host is set by environment, then DOCKER_CONTEXT, then config.json's currentContext."""
    if flag:
        return flag
    if os.environ.get("DOCKYARD_HOST") or os.environ.get("DOCKER_HOST"):
        return DEFAULT
    return os.environ.get("DOCKER_CONTEXT") or chosen()


def chosen() -> str:
    """The context `context use` left in config.json ("default" when none)."""
    current = dockerconfig.load(strict=False).get("currentContext")
    return str(current) if current else DEFAULT


def set_current(name: str) -> None:
    """Make `name` the context `docker context use` left in force ("default" clears it)."""
    doc = dockerconfig.load()
    if name == DEFAULT:
        if "currentContext" not in doc:
            return
        doc.pop("currentContext", None)
    else:
        doc["currentContext"] = name
    dockerconfig.save(doc)
