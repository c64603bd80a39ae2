"""Manifest media types, parsing, platform choice, and the manifests we push."""

from __future__ import annotations

import hashlib
import json
import platform as _platform
from dataclasses import dataclass
from typing import Any

from .errors import BadManifest

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"
DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_LAYER_FOREIGN = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
OCI_LAYER_ND = "application/vnd.oci.image.layer.nondistributable.v1.tar"
OCI_LAYER_ND_GZIP = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
OCI_LAYER_ND_ZSTD = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"

ACCEPT = ", ".join([DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, DOCKER_SCHEMA1_SIGNED])
INDEX_TYPES = (DOCKER_LIST, OCI_INDEX)
MANIFEST_TYPES = (DOCKER_MANIFEST, OCI_MANIFEST)
LAYER_TYPES = (
    DOCKER_LAYER_GZIP,
    DOCKER_LAYER_FOREIGN,
    OCI_LAYER,
    OCI_LAYER_GZIP,
    OCI_LAYER_ZSTD,
    OCI_LAYER_ND,
    OCI_LAYER_ND_GZIP,
    OCI_LAYER_ND_ZSTD,
    "application/vnd.docker.image.rootfs.diff.tar",
)
MAX_MANIFEST = 4 << 20
SCHEMA1_REMOVED = (
    "[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, "
    "schema 1 support has been removed. Suggest the author of {ref} to upgrade the image "
    "to the OCI Format or Docker Image manifest v2, schema 2."
)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    platform: dict[str, Any] | None = None


@dataclass
class Manifest:
    media_type: str
    doc: dict[str, Any]
    raw: bytes

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES

    @property
    def config(self) -> Descriptor:
        return _descriptor(self.doc.get("config"), "config")

    @property
    def layers(self) -> list[Descriptor]:
        layers = self.doc.get("layers")
        if not isinstance(layers, list):
            raise BadManifest("invalid manifest: no layers")
        return [_descriptor(x, "layer") for x in layers]

    @property
    def manifests(self) -> list[Descriptor]:
        items = self.doc.get("manifests")
        if not isinstance(items, list):
            raise BadManifest("invalid manifest list: no manifests")
        return [_descriptor(x, "manifest") for x in items]


def _descriptor(x: Any, what: str) -> Descriptor:
    if not isinstance(x, dict) or not isinstance(x.get("digest"), str):
        raise BadManifest(f"invalid manifest: bad {what} descriptor")
    try:
        size = int(x.get("size") or 0)
    except (TypeError, ValueError):
        raise BadManifest(f"invalid manifest: bad {what} size") from None
    plat = x.get("platform")
    return Descriptor(
        str(x.get("mediaType") or ""), x["digest"], size, plat if isinstance(plat, dict) else None
    )


def parse(raw: bytes, content_type: str | None, ref: str) -> Manifest:
    try:
        doc = json.loads(raw)
    except ValueError:
        raise BadManifest(f"invalid manifest for {ref}: not JSON") from None
    if not isinstance(doc, dict):
        raise BadManifest(f"invalid manifest for {ref}")
    ctype = (content_type or "").split(";", 1)[0].strip()
    media = str(doc.get("mediaType") or "")
    if doc.get("schemaVersion") == 1 or ctype in (DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED):
        raise BadManifest(SCHEMA1_REMOVED.format(ref=ref))
    if not media:
        if ctype in INDEX_TYPES + MANIFEST_TYPES:
            media = ctype
        elif "manifests" in doc:
            media = OCI_INDEX
        elif "layers" in doc:
            media = OCI_MANIFEST
    if media not in INDEX_TYPES + MANIFEST_TYPES:
        raise BadManifest(
            f"unsupported manifest media type and no default available: {media or ctype}"
        )
    return Manifest(media, doc, raw)


# --- platforms ---------------------------------------------------------------------------

_ARCH = {
    "x86_64": ("amd64", ""),
    "amd64": ("amd64", ""),
    "aarch64": ("arm64", "v8"),
    "arm64": ("arm64", "v8"),
    "armv7l": ("arm", "v7"),
    "armv6l": ("arm", "v6"),
    "i386": ("386", ""),
    "i686": ("386", ""),
    "ppc64le": ("ppc64le", ""),
    "s390x": ("s390x", ""),
    "riscv64": ("riscv64", ""),
}


def host_platform() -> dict[str, str]:
    arch, variant = _ARCH.get(_platform.machine().lower(), (_platform.machine().lower(), ""))
    return {"os": "linux", "architecture": arch, "variant": variant}


def parse_platform(spec: str | None) -> dict[str, str]:
    """ "linux", "linux/arm64", "linux/arm/v7", "arm64" -> os/architecture/variant."""
    if not spec:
        return host_platform()
    parts = [p.strip().lower() for p in spec.split("/")]
    if len(parts) > 3 or not all(parts):
        raise BadManifest(f"invalid platform {spec!r}: expected os[/arch[/variant]]")
    host = host_platform()
    if len(parts) == 1:
        if parts[0] in ("linux", "windows", "darwin", "freebsd"):
            return {
                "os": parts[0],
                "architecture": host["architecture"],
                "variant": host["variant"],
            }
        arch, variant = _ARCH.get(parts[0], (parts[0], ""))
        return {"os": "linux", "architecture": arch, "variant": variant}
    arch, default_variant = _ARCH.get(parts[1], (parts[1], ""))
    variant = parts[2] if len(parts) == 3 else (default_variant if arch == "arm64" else "")
    if arch == "arm" and not variant:
        variant = "v7"
    return {"os": parts[0], "architecture": arch, "variant": variant}


def format_platform(p: dict[str, str]) -> str:
    out = f"{p.get('os', '')}/{p.get('architecture', '')}"
    variant = p.get("variant") or ""
    if p.get("architecture") == "arm64" and variant == "v8":
        variant = ""  # the normal arm64, written without it as containerd does
    return out + (f"/{variant}" if variant else "")


def _variant(arch: str, v: str) -> str:
    return v or ("v8" if arch == "arm64" else "")


def select(index: Manifest, spec: str | None) -> Descriptor:
    want = parse_platform(spec)
    for d in index.manifests:
        p = d.platform or {}
        if d.media_type and d.media_type not in MANIFEST_TYPES + INDEX_TYPES:
            continue
        if str(p.get("os", "")).lower() != want["os"]:
            continue
        if str(p.get("architecture", "")).lower() != want["architecture"]:
            continue
        if (
            want["variant"]
            and _variant(want["architecture"], str(p.get("variant") or "")) != want["variant"]
        ):
            continue
        return d
    raise BadManifest(
        f"no matching manifest for {format_platform(want)} in the manifest list entries"
    )


# --- what we push ------------------------------------------------------------------------


def build_manifest(config: bytes, layers: list[tuple[str, str, int]]) -> tuple[bytes, str]:
    """A Docker schema 2 manifest (OCI when a layer is zstd): `layers` are (compression,
    digest, size) bottom first. Indented like Docker's, so equal input gives equal digests."""
    oci = any(c == "zstd" for c, _, _ in layers)
    if oci:
        media = OCI_MANIFEST
        cfg_type = OCI_CONFIG
        types = {"gzip": OCI_LAYER_GZIP, "zstd": OCI_LAYER_ZSTD, "none": OCI_LAYER}
    else:
        media = DOCKER_MANIFEST
        cfg_type = DOCKER_CONFIG
        types = {"gzip": DOCKER_LAYER_GZIP, "none": DOCKER_LAYER_GZIP}
    doc = {
        "schemaVersion": 2,
        "mediaType": media,
        "config": {"mediaType": cfg_type, "size": len(config), "digest": sha256(config)},
        "layers": [
            {"mediaType": types.get(c, types["gzip"]), "size": size, "digest": digest}
            for c, digest, size in layers
        ],
    }
    return json.dumps(doc, indent=3).encode(), media


def diff_ids_of(config: bytes) -> list[str]:
    """rootfs.diff_ids of an image config, checked."""
    try:
        doc = json.loads(config)
        ids = doc["rootfs"]["diff_ids"]
    except (ValueError, KeyError, TypeError):
        raise BadManifest("invalid image config: no rootfs.diff_ids") from None
    if not isinstance(ids, list) or not all(isinstance(x, str) for x in ids):
        raise BadManifest("invalid image config: bad rootfs.diff_ids")
    return list(ids)


def platform_doc(p: dict[str, Any]) -> dict[str, Any]:
    """An OCI platform as Docker serialises it: empty optional fields left out."""
    doc: dict[str, Any] = {
        "architecture": str(p.get("architecture") or ""),
        "os": str(p.get("os") or ""),
    }
    for key in ("os.version", "os.features", "variant", "features"):
        if p.get(key):
            doc[key] = p[key]
    return doc


def check_platform(config: bytes, platform: str, ref: str) -> None:
    """A single-platform image pulled with --platform must be that platform."""
    want = parse_platform(platform)
    try:
        doc = json.loads(config)
    except ValueError:
        return
    have = {
        "os": str(doc.get("os") or ""),
        "architecture": str(doc.get("architecture") or ""),
        "variant": str(doc.get("variant") or ""),
    }
    if have["os"] != want["os"] or have["architecture"] != want["architecture"]:
        raise BadManifest(
            f"image with reference {ref} was found but its platform "
            f"({format_platform(have)}) does not match the specified platform "
            f"({format_platform(want)})"
        )
