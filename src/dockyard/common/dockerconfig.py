"""~/.docker/config.json (or $DOCKER_CONFIG/config.json): the one reader and writer.

The CLI keeps registry credentials (`auths`) and default list formats (psFormat, ...) there,
as the docker CLI does; the registry client reads the same credentials. Credential helpers
are not run. Standard library only.
"""

from __future__ import annotations

import os

from . import leanjson

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from typing import Any

INDEX_SERVER = "https://index.docker.io/v1/"
HUB_NAMES = ("docker.io", "index.docker.io", "registry-1.docker.io")


class ConfigError(ValueError):
    """The file exists but is not JSON; the message is the docker CLI's."""


def config_path() -> str:
    base = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    return os.path.join(base, "config.json")


def load(path: str | None = None, strict: bool = True) -> dict[str, Any]:
    """The config document; {} when there is none.

    Raises:
        ConfigError: the file is not a JSON object (only when `strict`; else {}).
    """
    path = path or config_path()
    try:
        with open(path, "rb") as f:
            doc = leanjson.loads(f.read())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        if strict:
            raise ConfigError(f"loading config file: {path}: {exc}") from None
        return {}
    return doc if isinstance(doc, dict) else {}


def save(doc: dict[str, Any], path: str | None = None) -> None:
    """Write the document atomically, readable by its owner only (it holds credentials)."""
    import json  # indented output: only the writer needs the full module

    path = path or config_path()
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f, indent="\t")
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def default_format(key: str) -> str | None:
    """A default format the user set (psFormat, imagesFormat, ...); None when unset."""
    value = load(strict=False).get(key)
    return value if isinstance(value, str) and value else None


def detach_keys() -> str:
    """The detachKeys the user set: attach, exec, run and start use them when no
    --detach-keys is given (as the docker CLI does); "" when unset."""
    return default_format("detachKeys") or ""


# --- registries and their credentials ---------------------------------------------------------


def server_key(server: str) -> str:
    """The `auths` key of a registry as `docker login` writes it: the host[:port], or
    Docker Hub's v1 index URL for any of Hub's names."""
    d = server
    for prefix in ("https://", "http://"):
        d = d.removeprefix(prefix)
    d = d.rstrip("/")
    for suffix in ("/v1", "/v2"):
        d = d.removesuffix(suffix)
    if d in HUB_NAMES or d == "":
        return INDEX_SERVER
    return d


def registry_of(image: str) -> str:
    """The `auths` key for an image's registry (Docker Hub's when the name has no host)."""
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return server_key(first)
    return INDEX_SERVER


def decode_basic(value: str) -> tuple[str, str]:
    """An entry's `auth` (base64 "user:password") -> (user, password); ("", "") if bad."""
    import binascii  # base64's own import loads `re`: binascii is what it calls

    try:
        user, _, password = binascii.a2b_base64(value.encode("ascii")).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return "", ""
    return user, password


def encode_basic(username: str, password: str) -> str:
    import binascii

    return binascii.b2a_base64(f"{username}:{password}".encode(), newline=False).decode()


def find_auth(doc: dict[str, Any], server: str) -> dict[str, Any] | None:
    """The first stored `auths` entry for a registry that holds credentials."""
    auths = doc.get("auths")
    if not isinstance(auths, dict):
        return None
    want = server_key(server)
    for key, entry in auths.items():
        if server_key(key) != want or not isinstance(entry, dict):
            continue
        if entry.get("auth") or entry.get("identitytoken"):
            return entry
    return None


def auth_config(entry: dict[str, Any] | None, server: str) -> dict[str, str]:
    """An `auths` entry as the Engine API's AuthConfig (empty without credentials)."""
    if entry and entry.get("auth"):
        user, password = decode_basic(entry["auth"])
        return {"username": user, "password": password, "serveraddress": server}
    if entry and entry.get("identitytoken"):
        return {"identitytoken": entry["identitytoken"], "serveraddress": server}
    return {}


def encode_header(value: Any) -> str:
    """X-Registry-Auth / X-Registry-Config: base64url of compact JSON."""
    import binascii  # base64 and json load `re`: ~8 ms of every build, pull and push

    raw = leanjson.dumps_compact(value).encode()
    return binascii.b2a_base64(raw, newline=False).decode().replace("+", "-").replace("/", "_")
