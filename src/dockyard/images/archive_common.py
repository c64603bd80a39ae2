"""Shared pieces of the image archive readers and writer: errors, media types, digests."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

# File names at the root of docker-archive and OCI layout tars.
MANIFEST_JSON = "manifest.json"
INDEX_JSON = "index.json"
OCI_LAYOUT = "oci-layout"
REPOSITORIES = "repositories"
OCI_LAYOUT_VERSION = "1.0.0"

MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
MT_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MT_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"

INDEX_TYPES = frozenset({MT_OCI_INDEX, MT_DOCKER_LIST})
MANIFEST_TYPES = frozenset({MT_OCI_MANIFEST, MT_DOCKER_MANIFEST})
CONFIG_TYPES = frozenset({MT_OCI_CONFIG, MT_DOCKER_CONFIG})
LAYER_TYPES = frozenset(
    {
        MT_OCI_LAYER,
        MT_OCI_LAYER + "+gzip",
        MT_OCI_LAYER + "+zstd",
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
        "application/vnd.docker.image.rootfs.diff.tar",
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
    }
)

# Annotations that carry an image name in an OCI index.
ANNOTATION_CONTAINERD_NAME = "io.containerd.image.name"
ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name"
# buildx stores attestations next to images; they are not images to load.
ANNOTATION_REFERENCE_TYPE = "vnd.docker.reference.type"

# JSON documents (manifests, configs, indexes) are small; refuse absurd ones
# instead of reading a hostile multi-GB member into memory.
MAX_JSON_BYTES = 64 * 1024 * 1024

_HASHES = {"sha256": 64, "sha512": 128}
_DIGEST_RE = re.compile(r"^([a-z0-9]+):([a-f0-9]+)$")


class ArchiveError(Exception):
    """The archive is malformed, inconsistent, or corrupt."""


def parse_digest(value: object, what: str) -> tuple[str, str]:
    """Split "sha256:<hex>" into (algorithm, hex), validating both parts."""
    if not isinstance(value, str):
        raise ArchiveError(f"{what}: digest must be a string, got {value!r}")
    m = _DIGEST_RE.match(value)
    if not m or _HASHES.get(m.group(1)) != len(m.group(2)):
        raise ArchiveError(f"{what}: invalid or unsupported digest {value!r}")
    return m.group(1), m.group(2)


def new_hash(digest: str) -> hashlib._Hash:
    """A fresh hash object of the algorithm named by `digest`."""
    algo, _ = parse_digest(digest, "digest")
    return hashlib.new(algo)


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def digest_of(data: bytes, algo: str) -> str:
    return f"{algo}:{hashlib.new(algo, data).hexdigest()}"


def blob_path(digest: str) -> str:
    """Path of a blob inside an OCI layout: blobs/<alg>/<hex>."""
    algo, hexpart = parse_digest(digest, "blob")
    return f"blobs/{algo}/{hexpart}"


def load_json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ArchiveError(f"{what}: invalid JSON: {e}") from None


def expect_dict(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ArchiveError(f"{what}: expected a JSON object")
    return value


def expect_list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ArchiveError(f"{what}: expected a JSON array")
    return value


def dump_json(value: object) -> bytes:
    """Compact JSON, the way Docker writes its metadata files."""
    return json.dumps(value, separators=(",", ":")).encode()
