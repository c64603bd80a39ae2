"""Writing docker-archive tars the way Docker >= 25 does: an OCI image layout plus
Docker's manifest.json and legacy `repositories`, accepted by `docker load` (old and
new) and `podman load`.

The tar is streamed to any writable file object (a socket, stdout): the small metadata
goes first, then config and manifest blobs, then each layer copied in chunks.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from .archive_common import (
    ANNOTATION_CONTAINERD_NAME,
    ANNOTATION_REF_NAME,
    INDEX_JSON,
    MANIFEST_JSON,
    MT_OCI_CONFIG,
    MT_OCI_INDEX,
    MT_OCI_LAYER,
    MT_OCI_MANIFEST,
    OCI_LAYOUT,
    OCI_LAYOUT_VERSION,
    REPOSITORIES,
    ArchiveError,
    blob_path,
    dump_json,
    expect_dict,
    load_json,
    new_hash,
    parse_digest,
    sha256_digest,
)
from .archive_model import check_layer_count, diff_ids_of
from .archive_refs import familiar_name, full_name, split_tag

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class LayerToWrite:
    """An uncompressed layer tar; `open` is called once, when the layer is written."""

    diff_id: str
    size: int
    open: Callable[[], BinaryIO]


@dataclass(frozen=True)
class ImageToWrite:
    config: bytes  # exact bytes: their sha256 is the image ID
    repo_tags: Sequence[str]  # "busybox:latest", "example.com/app:1"; may be empty
    layers: Sequence[LayerToWrite]  # in rootfs order, matching config rootfs.diff_ids


@dataclass(frozen=True)
class _Planned:
    image: ImageToWrite
    config_digest: str
    manifest: bytes
    manifest_digest: str
    platform: dict[str, str]
    tags: list[tuple[str, str]]  # (repository, tag) as given, e.g. ("busybox", "latest")


def write_docker_archive(out: BinaryIO, images: Sequence[ImageToWrite], mtime: int = 0) -> None:
    """Stream a docker-archive of `images` to `out`. Every entry gets `mtime`.

    Raises ArchiveError when an image is inconsistent (diff_ids vs layers) or a layer
    stream does not match its declared size and diff_id; `out` is then unusable.
    """
    if not images:
        raise ArchiveError("nothing to save: no images")
    planned = [_plan(image, i) for i, image in enumerate(_merge_same(images))]
    tar = tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT, copybufsize=_CHUNK)
    try:
        entries = _TarEntries(tar, mtime)
        entries.add_bytes(OCI_LAYOUT, dump_json({"imageLayoutVersion": OCI_LAYOUT_VERSION}))
        entries.add_bytes(INDEX_JSON, _index(planned))
        entries.add_bytes(MANIFEST_JSON, _manifest_json(planned))
        repositories = _repositories(planned)
        if repositories:
            entries.add_bytes(REPOSITORIES, repositories)
        entries.add_dir("blobs")
        entries.add_dir("blobs/sha256")
        for p in planned:
            entries.add_bytes(blob_path(p.config_digest), p.image.config)
            entries.add_bytes(blob_path(p.manifest_digest), p.manifest)
        for p in planned:
            for layer in p.image.layers:
                entries.add_layer(layer)
    finally:
        tar.close()


def _merge_same(images: Sequence[ImageToWrite]) -> list[ImageToWrite]:
    """One entry per image ID, with the tags of every request for it (as Docker does)."""
    by_config: dict[bytes, ImageToWrite] = {}
    for image in images:
        seen = by_config.get(image.config)
        if seen is None:
            by_config[image.config] = image
        else:
            tags = [*seen.repo_tags, *image.repo_tags]
            by_config[image.config] = ImageToWrite(seen.config, tags, seen.layers)
    return list(by_config.values())


def _plan(image: ImageToWrite, i: int) -> _Planned:
    what = f"image {i}"
    config = expect_dict(load_json(image.config, f"{what} config"), f"{what} config")
    diff_ids = diff_ids_of(image.config, f"{what} config")
    check_layer_count(len(image.layers), diff_ids, what)
    for layer, diff_id in zip(image.layers, diff_ids, strict=True):
        if layer.diff_id != diff_id:
            raise ArchiveError(f"{what}: layer {layer.diff_id} does not match config {diff_id}")
        if parse_digest(layer.diff_id, what)[0] != "sha256":
            raise ArchiveError(f"{what}: layer digests must be sha256")
    config_digest = sha256_digest(image.config)
    platform = {"architecture": str(config.get("architecture") or "amd64")}
    platform["os"] = str(config.get("os") or "linux")
    if config.get("variant"):
        platform["variant"] = str(config["variant"])
    manifest = dump_json(
        {
            "schemaVersion": 2,
            "mediaType": MT_OCI_MANIFEST,
            "config": {
                "mediaType": MT_OCI_CONFIG,
                "digest": config_digest,
                "size": len(image.config),
            },
            "layers": [
                {"mediaType": MT_OCI_LAYER, "digest": layer.diff_id, "size": layer.size}
                for layer in image.layers
            ],
        }
    )
    tags = list(dict.fromkeys(split_tag(t) for t in image.repo_tags))
    return _Planned(image, config_digest, manifest, sha256_digest(manifest), platform, tags)


def _index(planned: list[_Planned]) -> bytes:
    manifests = []
    for p in planned:
        base = {
            "mediaType": MT_OCI_MANIFEST,
            "digest": p.manifest_digest,
            "size": len(p.manifest),
            "platform": p.platform,
        }
        if not p.tags:
            manifests.append(base)
        for name, tag in p.tags:
            annotations = {
                ANNOTATION_CONTAINERD_NAME: f"{full_name(name)}:{tag}",
                ANNOTATION_REF_NAME: tag,
            }
            manifests.append({**base, "annotations": annotations})
    return dump_json({"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": manifests})


def _manifest_json(planned: list[_Planned]) -> bytes:
    entries = []
    for p in planned:
        entries.append(
            {
                "Config": blob_path(p.config_digest),
                "RepoTags": [f"{familiar_name(n)}:{t}" for n, t in p.tags] or None,
                "Layers": [blob_path(layer.diff_id) for layer in p.image.layers],
            }
        )
    return dump_json(entries) + b"\n"


def _repositories(planned: list[_Planned]) -> bytes | None:
    # Legacy: repository -> tag -> top layer's ID; only pre-1.10 loaders read it.
    repos: dict[str, dict[str, str]] = {}
    for p in planned:
        if not p.image.layers:
            continue
        top = parse_digest(p.image.layers[-1].diff_id, "layer")[1]
        for name, tag in p.tags:
            repos.setdefault(familiar_name(name), {})[tag] = top
    return dump_json(repos) + b"\n" if repos else None


class _TarEntries:
    """Adds deterministic entries (root-owned, fixed mtime) and each blob only once."""

    def __init__(self, tar: tarfile.TarFile, mtime: int) -> None:
        self._tar = tar
        self._mtime = mtime
        self._written: set[str] = set()

    def _info(self, name: str, size: int, mode: int, kind: bytes) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.size = size
        info.mode = mode
        info.type = kind
        info.mtime = self._mtime
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    def add_dir(self, name: str) -> None:
        self._tar.addfile(self._info(name, 0, 0o755, tarfile.DIRTYPE))

    def add_bytes(self, name: str, data: bytes) -> None:
        if name in self._written:
            return
        self._written.add(name)
        info = self._info(name, len(data), 0o644, tarfile.REGTYPE)
        self._tar.addfile(info, io.BytesIO(data))

    def add_layer(self, layer: LayerToWrite) -> None:
        name = blob_path(layer.diff_id)
        if name in self._written:
            return
        self._written.add(name)
        info = self._info(name, layer.size, 0o644, tarfile.REGTYPE)
        with layer.open() as src:
            hashing = _HashingReader(src, layer.diff_id)
            try:
                self._tar.addfile(info, hashing)
            except OSError as e:
                msg = f"layer {layer.diff_id}: {e} (declared {layer.size} bytes)"
                raise ArchiveError(msg) from None
            if src.read(1):
                raise ArchiveError(f"layer {layer.diff_id}: longer than declared {layer.size}")
        got = hashing.digest()
        if got != layer.diff_id:
            raise ArchiveError(f"layer {layer.diff_id}: content digest is {got}")


class _HashingReader:
    """Hashes what tarfile copies so the layer is verified in the same single pass."""

    def __init__(self, src: BinaryIO, digest: str) -> None:
        self._src = src
        self._hash = new_hash(digest)

    def read(self, size: int = -1) -> bytes:
        data = self._src.read(size)
        self._hash.update(data)
        return data

    def digest(self) -> str:
        return f"{self._hash.name}:{self._hash.hexdigest()}"
