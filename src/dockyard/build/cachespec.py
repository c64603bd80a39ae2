"""`--cache-to` / `--cache-from` values in buildx's CSV grammar ("type=registry,ref=R,
mode=max", "type=local,src=DIR"), checked with BuildKit's error texts. A value without
"=" is a plain image name (the classic `cachefrom`)."""

from __future__ import annotations

import csv
from dataclasses import dataclass

from dockyard.common.reference import InvalidReference, parse_normalized

from ..errors import InvalidParameter

_KEYS = {
    "registry": {"type", "ref", "mode", "oci-mediatypes", "image-manifest", "ignore-error",
                 "compression", "compression-level", "force-compression"},
    "local": {"type", "src", "dest", "tag", "digest", "mode", "oci-mediatypes", "image-manifest",
              "ignore-error", "compression", "compression-level", "force-compression"},
}  # fmt: skip


@dataclass
class CacheSpec:
    type: str  # "registry" or "local"
    ref: str = ""  # registry: name:tag
    path: str = ""  # local: the directory (src or dest)
    tag: str = "latest"  # local: the index.json entry
    digest: str = ""  # local import: this manifest rather than the tag's
    mode: str = "min"  # min: the final image's steps; max: every built stage's
    oci: bool = True  # OCI media types (else Docker's)
    image_manifest: bool = True  # an image manifest (else BuildKit's older image index)
    ignore_error: bool = False

    def where(self) -> str:
        return self.ref or self.path


def is_spec(value: str) -> bool:
    """Image names never hold '=': anything with one is a typed cache value."""
    return "=" in value


def _bool(kv: dict[str, str], key: str, default: bool) -> bool:
    if key not in kv:
        return default
    val = kv[key].lower()
    if val in ("1", "t", "true"):
        return True
    if val in ("0", "f", "false"):
        return False
    raise InvalidParameter(
        f'failed to parse {key}: strconv.ParseBool: parsing "{kv[key]}": invalid syntax'
    )


def parse_cache_spec(value: str, direction: str) -> CacheSpec:
    """One `--cache-to` (direction "to") or `--cache-from` ("from") value."""
    kv: dict[str, str] = {}
    for field in next(csv.reader([value]), []):
        key, eq, val = field.partition("=")
        key = key.strip().lower()
        if not eq:
            raise InvalidParameter(f"invalid value {field}")
        kv[key] = val
    kind = kv.get(
        "type", "registry" if "ref" in kv else "local" if "src" in kv or "dest" in kv else ""
    )
    word = "exporter" if direction == "to" else "importer"
    if kind not in _KEYS:
        raise InvalidParameter(f"unknown cache {word}: {kind!r}".replace("'", '"'))
    unknown = sorted(set(kv) - _KEYS[kind])
    if unknown:
        raise InvalidParameter(f"unknown cache {word} option: {unknown[0]!r}".replace("'", '"'))
    spec = CacheSpec(kind)
    mode = kv.get("mode", "min")
    if mode not in ("min", "max"):
        raise InvalidParameter(f'invalid mode "{mode}": must be min or max')
    spec.mode = mode
    spec.oci = _bool(kv, "oci-mediatypes", True)
    spec.image_manifest = _bool(kv, "image-manifest", spec.oci)
    if spec.image_manifest and not spec.oci:
        raise InvalidParameter("the oci-mediatypes option is required to use image-manifest")
    spec.ignore_error = _bool(kv, "ignore-error", False)
    if kv.get("compression", "gzip") not in ("gzip", "uncompressed", "zstd", "estargz"):
        raise InvalidParameter(f"unsupported compression type {kv['compression']}")
    if kind == "registry":
        if not kv.get("ref"):
            raise InvalidParameter("missing ref")
        try:
            ref = parse_normalized(kv["ref"])
        except InvalidReference as exc:
            raise InvalidParameter(f"invalid reference {kv['ref']}: {exc}") from None
        spec.ref = ref.canonical()
        return spec
    key = "dest" if direction == "to" else "src"
    if not kv.get(key):
        raise InvalidParameter(f"local cache {word} requires {key}")
    spec.path = kv[key]
    spec.tag = kv.get("tag") or "latest"
    spec.digest = kv.get("digest", "")
    return spec
