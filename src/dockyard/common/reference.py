"""Image references, parsed and normalised the way Docker does.

The grammar, the normalisation rules (``nginx`` -> ``docker.io/library/nginx:latest``) and the
error texts follow distribution/reference and go-digest, because clients show our errors to
users who know Docker's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
OFFICIAL_REPO_PREFIX = "library/"
DEFAULT_TAG = "latest"
NAME_TOTAL_LENGTH_MAX = 255

# Go's \w and [[:xdigit:]] are ASCII-only; re.ASCII keeps Python's \w the same.
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = _ALNUM + r"(?:" + _SEPARATOR + _ALNUM + r")*"
_REMOTE_NAME = _PATH_COMPONENT + r"(?:/" + _PATH_COMPONENT + r")*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = _DOMAIN_COMPONENT + r"(?:\." + _DOMAIN_COMPONENT + r")*"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN_AND_PORT = r"(?:" + _DOMAIN_NAME + r"|" + _IPV6 + r")(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}"
_NAME = r"(?:" + _DOMAIN_AND_PORT + r"/)?" + _REMOTE_NAME

_REFERENCE_RE = re.compile(
    r"^(" + _NAME + r")(?::(" + _TAG + r"))?(?:@(" + _DIGEST + r"))?$", re.ASCII
)
_ANCHORED_NAME_RE = re.compile(
    r"^(?:(" + _DOMAIN_AND_PORT + r")/)?(" + _REMOTE_NAME + r")$", re.ASCII
)
_TAG_RE = re.compile(r"^" + _TAG + r"$", re.ASCII)
_DIGEST_RE = re.compile(r"^" + _DIGEST + r"$", re.ASCII)
_DOMAIN_RE = re.compile(r"^" + _DOMAIN_AND_PORT + r"$", re.ASCII)
_IDENTIFIER_RE = re.compile(r"^[a-f0-9]{64}$")
_ID_PREFIX_RE = re.compile(r"^(?:sha256:)?[a-f0-9]{1,64}$")

# go-digest's registered algorithms and their hex lengths.
_DIGEST_HEX_LEN = {"sha256": 64, "sha384": 96, "sha512": 128}
_DIGEST_ENCODED_RE = re.compile(r"^[a-f0-9]+$")


class InvalidReference(ValueError):
    """A string that is not a valid image reference; str() is Docker's message."""


@dataclass(frozen=True, slots=True)
class Reference:
    """A parsed reference; ``domain`` is "" only for non-normalised parses of bare names."""

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """The full repository name, e.g. ``docker.io/library/nginx``."""
        return f"{self.domain}/{self.path}" if self.domain else self.path

    @property
    def familiar_name(self) -> str:
        """The short name Docker shows, e.g. ``nginx`` or ``localhost:5000/x``."""
        if self.domain != DEFAULT_DOMAIN:
            return self.name
        path = self.path
        if path.startswith(OFFICIAL_REPO_PREFIX):
            rest = path[len(OFFICIAL_REPO_PREFIX) :]
            if "/" not in rest:
                path = rest
        return path

    def familiar(self) -> str:
        """The familiar form with tag and digest, e.g. ``nginx:latest``."""
        return self._with_suffix(self.familiar_name)

    def canonical(self) -> str:
        """The fully qualified form, e.g. ``docker.io/library/nginx:latest``."""
        return self._with_suffix(self.name)

    def _with_suffix(self, name: str) -> str:
        if not name and self.digest is not None:
            return self.digest  # a digest-only reference (parse_any_reference)
        out = name
        if self.tag is not None:
            out += ":" + self.tag
        if self.digest is not None:
            out += "@" + self.digest
        return out

    def __str__(self) -> str:
        return self.familiar()

    # Small constructors mirroring reference.WithTag / WithDigest / TrimNamed.
    def with_tag(self, tag: str) -> Reference:
        validate_tag(tag)
        return replace(self, tag=tag)

    def with_digest(self, digest: str) -> Reference:
        if not _DIGEST_RE.match(digest):
            raise InvalidReference("invalid digest format")
        return replace(self, digest=digest)

    def trim(self) -> Reference:
        """The repository alone, without tag or digest."""
        return replace(self, tag=None, digest=None)

    @property
    def is_name_only(self) -> bool:
        return self.tag is None and self.digest is None


def validate_digest(digest: str) -> None:
    """go-digest's Digest.Validate, with its error texts."""
    algorithm, sep, encoded = digest.partition(":")
    if not sep or not algorithm or not encoded:
        raise InvalidReference("invalid checksum digest format")
    want = _DIGEST_HEX_LEN.get(algorithm)
    if want is None:
        if not _DIGEST_RE.match(digest):
            raise InvalidReference("invalid checksum digest format")
        raise InvalidReference("unsupported digest algorithm")
    if len(encoded) != want:
        raise InvalidReference("invalid checksum digest length")
    if not _DIGEST_ENCODED_RE.match(encoded):
        raise InvalidReference("invalid checksum digest format")


def validate_tag(tag: str) -> None:
    if not _TAG_RE.match(tag):
        raise InvalidReference("invalid tag format")


def is_valid_domain(domain: str) -> bool:
    """True for a registry host[:port] as the reference grammar allows it."""
    return bool(_DOMAIN_RE.match(domain))


def parse_reference(s: str) -> Reference:
    """reference.Parse: syntax only, no normalisation (``nginx`` keeps an empty domain)."""
    if s == "":
        raise InvalidReference("repository name must have at least one component")
    m = _REFERENCE_RE.match(s)
    if m is None:
        low = s.lower()
        if low != s and _REFERENCE_RE.match(low):
            raise InvalidReference("repository name must be lowercase")
        raise InvalidReference("invalid reference format")
    name, tag, digest = m.group(1), m.group(2), m.group(3)
    # The whole name, domain included, as in distribution/reference v0.6 (Docker 2x).
    if len(name) > NAME_TOTAL_LENGTH_MAX:
        raise InvalidReference(
            f"repository name must not be more than {NAME_TOTAL_LENGTH_MAX} characters"
        )
    nm = _ANCHORED_NAME_RE.match(name)
    domain, path = (nm.group(1) or "", nm.group(2)) if nm else ("", name)
    if digest is not None:
        validate_digest(digest)
    return Reference(domain, path, tag, digest)


def split_docker_domain(name: str) -> tuple[str, str]:
    """Split a familiar name into (domain, remainder) with Docker Hub defaults applied."""
    first, slash, rest = name.partition("/")
    if not slash:
        return DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX + name
    if first == "localhost":
        domain, remainder = first, rest
    elif first == LEGACY_DEFAULT_DOMAIN:
        domain, remainder = DEFAULT_DOMAIN, rest
    elif "." in first or ":" in first or first.lower() != first:
        # A dot or port marks a host; uppercase cannot be a path, so it must be a host too.
        domain, remainder = first, rest
    else:
        domain, remainder = DEFAULT_DOMAIN, name
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = OFFICIAL_REPO_PREFIX + remainder
    return domain, remainder


def parse_normalized(s: str, default_tag: bool = True) -> Reference:
    """ParseNormalizedNamed (+ TagNameOnly when ``default_tag``): what ``docker pull`` does."""
    if _IDENTIFIER_RE.match(s):
        raise InvalidReference(
            f"invalid repository name ({s}), cannot specify 64-byte hexadecimal strings"
        )
    domain, remainder = split_docker_domain(s)
    remote = remainder.split(":", 1)[0]
    if remote.lower() != remote:
        raise InvalidReference(
            f"invalid reference format: repository name ({remote}) must be lowercase"
        )
    ref = parse_reference(domain + "/" + remainder)
    if default_tag and ref.is_name_only:
        ref = replace(ref, tag=DEFAULT_TAG)
    return ref


def parse_any_reference(s: str) -> Reference:
    """ParseAnyReference: a 64-hex ID or a ``sha256:`` digest becomes a digest-only
    Reference (empty domain and path); anything else is normalised, without a default tag."""
    if _IDENTIFIER_RE.match(s):
        return Reference("", "", None, "sha256:" + s)
    if is_digest(s):
        return Reference("", "", None, s)
    return parse_normalized(s, default_tag=False)


def parse_docker_ref(s: str) -> Reference:
    """ParseDockerRef: normalised, tagged ``latest`` if bare; a digest wins over a tag."""
    ref = parse_normalized(s, default_tag=True)
    if ref.digest is not None and ref.tag is not None:
        ref = replace(ref, tag=None)
    return ref


def is_full_id(s: str) -> bool:
    """A full image/container ID, bare or ``sha256:``-prefixed."""
    return bool(_IDENTIFIER_RE.match(s.removeprefix("sha256:")))


def is_id_prefix(s: str) -> bool:
    """Could ``s`` be a (possibly short) ID, as in ``docker rmi 3f2a``?"""
    return bool(_ID_PREFIX_RE.match(s))


def is_digest(s: str) -> bool:
    """A well-formed, supported digest such as ``sha256:<64 hex>``."""
    try:
        validate_digest(s)
    except InvalidReference:
        return False
    return True
