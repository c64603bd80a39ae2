"""The little reference handling archives need: familiar vs. fully qualified names.

docker-archive's manifest.json and `repositories` use familiar names ("busybox:latest"),
OCI index annotations use full ones ("docker.io/library/busybox:latest").
"""

from __future__ import annotations

from .archive_common import ArchiveError

DEFAULT_DOMAIN = "docker.io"
_LEGACY_DOMAIN = "index.docker.io"
_OFFICIAL_PREFIX = "library/"


def _split_domain(name: str) -> tuple[str, str]:
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return "", name


def split_tag(ref: str) -> tuple[str, str]:
    """Split "repo[:tag]" into (repo, tag); the tag defaults to "latest".

    Digest references cannot be tags in a docker-archive, so they are refused.
    """
    if not ref or "@" in ref or any(c.isspace() for c in ref):
        raise ArchiveError(f"invalid tagged reference {ref!r}")
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        name, tag = ref[:colon], ref[colon + 1 :]
        if not tag:
            raise ArchiveError(f"invalid tagged reference {ref!r}")
    else:
        name, tag = ref, "latest"
    if not name or name.startswith("/") or name.endswith("/") or "//" in name:
        raise ArchiveError(f"invalid tagged reference {ref!r}")
    if name != name.lower() and not _split_domain(name)[0]:
        raise ArchiveError(f"invalid reference {ref!r}: repository name must be lowercase")
    return name, tag


def familiar_name(name: str) -> str:
    """docker.io/library/busybox -> busybox; docker.io/user/app -> user/app."""
    domain, path = _split_domain(name)
    if domain in (DEFAULT_DOMAIN, _LEGACY_DOMAIN):
        if path.startswith(_OFFICIAL_PREFIX) and "/" not in path[len(_OFFICIAL_PREFIX) :]:
            return path[len(_OFFICIAL_PREFIX) :]
        return path
    return name


def full_name(name: str) -> str:
    """busybox -> docker.io/library/busybox; example.com/app stays as it is."""
    domain, path = _split_domain(name)
    if domain:
        return name
    if "/" not in path:
        path = _OFFICIAL_PREFIX + path
    return f"{DEFAULT_DOMAIN}/{path}"


def familiar_tag(ref: str) -> str:
    """Normalise any tagged reference to Docker's familiar "repo:tag" form."""
    name, tag = split_tag(ref)
    return f"{familiar_name(name)}:{tag}"
