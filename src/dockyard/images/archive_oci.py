"""Reading OCI image layouts (index.json + blobs/), nested indexes included."""

from __future__ import annotations

from typing import Any

from .archive_common import (
    ANNOTATION_CONTAINERD_NAME,
    ANNOTATION_REF_NAME,
    ANNOTATION_REFERENCE_TYPE,
    CONFIG_TYPES,
    INDEX_JSON,
    INDEX_TYPES,
    LAYER_TYPES,
    MANIFEST_TYPES,
    MAX_JSON_BYTES,
    OCI_LAYOUT,
    ArchiveError,
    blob_path,
    digest_of,
    expect_dict,
    expect_list,
    load_json,
    parse_digest,
)
from .archive_members import MemberIndex
from .archive_model import ArchiveImage, ArchiveLayer, check_layer_count, diff_ids_of
from .archive_refs import familiar_tag

_MAX_DEPTH = 8


def read_oci_layout(members: MemberIndex) -> list[ArchiveImage]:
    _check_layout_file(members)
    index = expect_dict(members.read_json(INDEX_JSON), INDEX_JSON)
    reader = _LayoutReader(members)
    for i, desc in enumerate(expect_list(index.get("manifests") or [], f"{INDEX_JSON}")):
        desc = expect_dict(desc, f"{INDEX_JSON} manifests[{i}]")
        reader.visit(desc, _tags_of(desc), depth=0, parents=(), optional=False)
    return reader.images()


def _check_layout_file(members: MemberIndex) -> None:
    # Some tools omit oci-layout; tolerate its absence but not a malformed one.
    if OCI_LAYOUT not in members:
        return
    layout = expect_dict(members.read_json(OCI_LAYOUT), OCI_LAYOUT)
    version = layout.get("imageLayoutVersion")
    if not isinstance(version, str) or not version.startswith("1."):
        raise ArchiveError(f"{OCI_LAYOUT}: unsupported imageLayoutVersion {version!r}")


def _tags_of(desc: dict[str, Any]) -> list[str]:
    """Repo tags named by a descriptor's annotations (a bare tag names no repository)."""
    annotations = desc.get("annotations")
    if not isinstance(annotations, dict):
        return []
    for key in (ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME):
        name = annotations.get(key)
        if isinstance(name, str) and ("/" in name or ":" in name):
            try:
                return [familiar_tag(name)]
            except ArchiveError:
                continue
    return []


class _LayoutReader:
    def __init__(self, members: MemberIndex) -> None:
        self._members = members
        self._images: dict[str, ArchiveImage] = {}
        self._tags: dict[str, list[str]] = {}

    def images(self) -> list[ArchiveImage]:
        out = []
        for digest, image in self._images.items():
            tags = tuple(dict.fromkeys(self._tags[digest]))
            out.append(
                ArchiveImage(
                    config=image.config,
                    config_digest=image.config_digest,
                    layers=image.layers,
                    repo_tags=tags,
                    manifest_digest=digest,
                )
            )
        return out

    def _read_blob(self, desc: dict[str, Any], what: str, limit: int) -> bytes | None:
        digest = desc.get("digest")
        algo, _ = parse_digest(digest, what)
        size = desc.get("size")
        if not isinstance(size, int) or size < 0:
            raise ArchiveError(f"{what}: invalid size {size!r}")
        if size > limit:
            raise ArchiveError(f"{what}: blob too large ({size} bytes)")
        path = blob_path(digest)
        if path not in self._members:
            return None
        data = self._members.read(path, limit)
        if len(data) != size:
            raise ArchiveError(f"{what}: size mismatch: expected {size}, got {len(data)}")
        if digest_of(data, algo) != digest:
            raise ArchiveError(f"{what}: digest mismatch for {digest}")
        return data

    def visit(
        self,
        desc: dict[str, Any],
        tags: list[str],
        depth: int,
        parents: tuple[str, ...],
        optional: bool,
    ) -> None:
        annotations = desc.get("annotations")
        if isinstance(annotations, dict) and ANNOTATION_REFERENCE_TYPE in annotations:
            return  # an attestation or signature, not an image
        digest = desc.get("digest")
        what = f"manifest {digest}"
        parse_digest(digest, what)
        if digest in parents or depth > _MAX_DEPTH:
            raise ArchiveError(f"{what}: index nesting is cyclic or too deep")
        if digest in self._images:
            self._tags[digest].extend(tags)
            return
        data = self._read_blob(desc, what, MAX_JSON_BYTES)
        if data is None:
            # A multi-platform index often ships only the host's platform: skip the others.
            if optional:
                return
            raise ArchiveError(f"{what}: blob missing from the archive")
        doc = expect_dict(load_json(data, what), what)
        media_type = desc.get("mediaType") or doc.get("mediaType")
        if not media_type:
            media_type = next(iter(INDEX_TYPES if "manifests" in doc else MANIFEST_TYPES))
        if media_type in INDEX_TYPES:
            children = expect_list(doc.get("manifests") or [], f"{what}: manifests")
            for i, child in enumerate(children):
                child = expect_dict(child, f"{what}: manifests[{i}]")
                self.visit(child, tags + _tags_of(child), depth + 1, parents + (digest,), True)
        elif media_type in MANIFEST_TYPES:
            self._images[digest] = self._read_manifest(doc, what)
            self._tags[digest] = list(tags)
        else:
            raise ArchiveError(f"{what}: unknown media type {media_type!r}")

    def _read_manifest(self, doc: dict[str, Any], what: str) -> ArchiveImage:
        config_desc = expect_dict(doc.get("config"), f"{what}: config")
        config_type = config_desc.get("mediaType")
        if config_type not in CONFIG_TYPES:
            raise ArchiveError(f"{what}: unknown config media type {config_type!r}")
        config = self._read_blob(config_desc, f"{what}: config", MAX_JSON_BYTES)
        if config is None:
            raise ArchiveError(f"{what}: config blob {config_desc.get('digest')} missing")
        diff_ids = diff_ids_of(config, f"{what}: config")
        layer_descs = expect_list(doc.get("layers") or [], f"{what}: layers")
        check_layer_count(len(layer_descs), diff_ids, what)
        layers = []
        for i, (ld, diff_id) in enumerate(zip(layer_descs, diff_ids, strict=True)):
            ld = expect_dict(ld, f"{what}: layers[{i}]")
            layers.append(self._layer(ld, diff_id, f"{what}: layers[{i}]"))
        return ArchiveImage(
            config=config,
            config_digest=str(config_desc["digest"]),
            layers=tuple(layers),
            repo_tags=(),
        )

    def _layer(self, desc: dict[str, Any], diff_id: str, what: str) -> ArchiveLayer:
        media_type = desc.get("mediaType")
        if media_type not in LAYER_TYPES:
            raise ArchiveError(f"{what}: unknown layer media type {media_type!r}")
        digest = desc.get("digest")
        parse_digest(digest, what)
        size = desc.get("size")
        path = blob_path(digest)
        if path not in self._members:
            raise ArchiveError(f"{what}: layer blob {digest} missing from the archive")
        actual = self._members.size(path)
        if size != actual:
            raise ArchiveError(f"{what}: size mismatch: descriptor {size!r}, blob {actual}")
        return ArchiveLayer(
            member=path,
            size=actual,
            diff_id=diff_id,
            digest=digest,
            media_type=media_type,
            _members=self._members,
        )
