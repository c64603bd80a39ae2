"""BuildKit's remote cache layout (the `registry` and `local` cache backends), written and
read without I/O.

The cache is one manifest: with `image-manifest=true` (BuildKit's default since v0.21) an
OCI image manifest whose config is the cache config (`application/vnd.buildkit.cacheconfig.v0`)
and whose layers are the layer blobs; with `image-manifest=false` an image index (or a
Docker manifest list without `oci-mediatypes`) listing the layer blobs and the cache config.
The cache config holds `layers` (blob, parent layer, annotations) and `records` (a cache
key, its input records, the layer its result ends with), as BuildKit's v1 cache spec.

dockyard's records are keyed by its own steps (the history entry continuing the parent
record), not by BuildKit's LLB digests: the two builders read each other's caches but
never match each other's steps. To rebuild the images its classic cache reuses, dockyard
adds the images' configs under the key `dockyard.images`, which BuildKit ignores.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

CACHE_CONFIG = "application/vnd.buildkit.cacheconfig.v0"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
IMAGES_KEY = "dockyard.images"
MAX_CONFIG = 1 << 20  # BuildKit refuses a larger cache config
_OCI_LAYERS = {
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
    "none": "application/vnd.oci.image.layer.v1.tar",
}
_DOCKER_LAYERS = {
    "gzip": "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
    "none": "application/vnd.docker.image.rootfs.diff.tar",
}


class CacheFormatError(ValueError):
    pass


@dataclass
class Layer:
    blob: str
    size: int
    diff_id: str
    compression: str = "gzip"


@dataclass
class CachedImage:
    config: bytes
    layers: list[Layer]  # bottom first


def sha256_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _compact(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


class _Writer:
    """Accumulates layers and records shared by several images (mode=max)."""

    def __init__(self, oci: bool) -> None:
        self.types = _OCI_LAYERS if oci else _DOCKER_LAYERS
        self.layers: list[dict[str, Any]] = []
        self.layer_at: dict[tuple[str, int], int] = {}
        self.descs: dict[str, dict[str, Any]] = {}
        self.records: list[dict[str, Any]] = []
        self.record_at: dict[str, int] = {}

    def layer(self, layer: Layer, parent: int, created: str) -> int:
        key = (layer.blob, parent)
        if key in self.layer_at:
            return self.layer_at[key]
        media = self.types.get(layer.compression, self.types["gzip"])
        notes = {"mediaType": media, "diffID": layer.diff_id, "size": layer.size}
        if created:
            notes["createdAt"] = created
        self.layers.append({"blob": layer.blob, "parent": parent, "annotations": notes})
        self.layer_at[key] = len(self.layers) - 1
        if layer.blob not in self.descs:
            ann = {"containerd.io/uncompressed": layer.diff_id}
            if created:
                ann["buildkit/createdat"] = created
            self.descs[layer.blob] = {
                "mediaType": media, "digest": layer.blob, "size": layer.size, "annotations": ann,
            }  # fmt: skip
        return self.layer_at[key]

    def record(self, parent: int, step: str, layer: int | None, created: str) -> int:
        parent_key = self.records[parent]["digest"] if parent >= 0 else ""
        digest = sha256_of(_compact(["dockyard.step.v0", parent_key, step]))
        if digest in self.record_at:
            return self.record_at[digest]
        rec: dict[str, Any] = {"digest": digest}
        if layer is not None:
            result: dict[str, Any] = {"layer": layer}
            if created:
                result["createdAt"] = created
            rec["layers"] = [result]
        if parent >= 0:
            rec["inputs"] = [[{"link": parent}]]
        self.records.append(rec)
        self.record_at[digest] = len(self.records) - 1
        return self.record_at[digest]

    def image(self, img: CachedImage) -> dict[str, Any]:
        """One record per history entry (a step), its result the layer it added."""
        doc = json.loads(img.config)
        history = [h for h in doc.get("history") or [] if isinstance(h, dict)]
        if sum(1 for h in history if not h.get("empty_layer")) != len(img.layers):
            # no usable history: one step per layer
            history = [{"created_by": f"layer {x.diff_id}"} for x in img.layers]
        parent_layer, parent_rec, n = -1, -1, 0
        indexes = []
        for entry in history:
            created = str(entry.get("created") or "")
            layer = None
            if not entry.get("empty_layer"):
                layer = parent_layer = self.layer(img.layers[n], parent_layer, created)
                indexes.append(layer)
                n += 1
            step = json.dumps([entry.get("created_by") or "", layer is not None])
            parent_rec = self.record(parent_rec, step, layer, created)
        return {"config": img.config.decode(), "layers": indexes}


def write_cache(
    images: list[CachedImage], oci: bool, image_manifest: bool
) -> tuple[bytes, bytes, str]:
    """(cache config, manifest, manifest media type) for these images' steps."""
    w = _Writer(oci)
    kept = [w.image(img) for img in images]
    config = _compact({"layers": w.layers, "records": w.records, IMAGES_KEY: kept})
    if len(config) > MAX_CONFIG:
        raise CacheFormatError(f"cache config is too large ({len(config)} > {MAX_CONFIG})")
    cfg_desc = {"mediaType": CACHE_CONFIG, "digest": sha256_of(config), "size": len(config)}
    layers = list(w.descs.values())
    if image_manifest:
        media = OCI_MANIFEST
        doc: dict[str, Any] = {
            "schemaVersion": 2, "mediaType": media, "config": cfg_desc, "layers": layers,
        }  # fmt: skip
    else:
        media = OCI_INDEX if oci else DOCKER_LIST
        doc = {"schemaVersion": 2, "mediaType": media, "manifests": [*layers, cfg_desc]}
    return config, _compact(doc), media


def read_manifest(raw: bytes) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A cache manifest (either layout): (cache config descriptor, layer descriptors by
    digest)."""
    try:
        doc = json.loads(raw)
    except ValueError:
        raise CacheFormatError("invalid cache manifest: not JSON") from None
    if not isinstance(doc, dict):
        raise CacheFormatError("invalid cache manifest")
    descs: list[Any]
    config: Any = None
    if isinstance(doc.get("config"), dict):
        config = doc["config"]
        descs = doc.get("layers") or []
    else:
        descs = []
        for d in doc.get("manifests") or []:
            if isinstance(d, dict) and d.get("mediaType") == CACHE_CONFIG:
                config = d
            else:
                descs.append(d)
    if not isinstance(config, dict) or config.get("mediaType") != CACHE_CONFIG:
        raise CacheFormatError(
            "not a cache manifest: no application/vnd.buildkit.cacheconfig.v0 config"
        )
    layers = {
        d["digest"]: d for d in descs if isinstance(d, dict) and isinstance(d.get("digest"), str)
    }
    return config, layers


def read_images(config: bytes, descs: dict[str, dict[str, Any]]) -> list[CachedImage]:
    """The images a dockyard cache carries (none in a cache BuildKit wrote)."""
    try:
        doc = json.loads(config)
        layers = doc.get("layers") or []
        out = []
        for item in doc.get(IMAGES_KEY) or []:
            chain = []
            for index in item["layers"]:
                entry = layers[index]
                desc = descs[entry["blob"]]
                diff_id = (entry.get("annotations") or {}).get("diffID") or (
                    desc.get("annotations") or {}
                ).get("containerd.io/uncompressed")
                chain.append(Layer(entry["blob"], int(desc.get("size") or 0), str(diff_id)))
            out.append(CachedImage(str(item["config"]).encode(), chain))
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise CacheFormatError(f"invalid cache config: {exc}") from None
    return out
