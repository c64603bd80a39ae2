"""Reading docker-archive's manifest.json (both the classic and the Docker >= 25 layout)."""

from __future__ import annotations

import posixpath
import re

from .archive_common import (
    MANIFEST_JSON,
    ArchiveError,
    digest_of,
    expect_dict,
    expect_list,
    parse_digest,
)
from .archive_members import MemberIndex, normalize_member
from .archive_model import ArchiveImage, ArchiveLayer, check_layer_count, diff_ids_of
from .archive_refs import familiar_tag

# Paths that name their content: blobs/sha256/<hex> (Docker >= 25), <hex>.json (classic
# config), sha256:<hex> (go-containerregistry).
_BLOB_RE = re.compile(r"^blobs/(sha256|sha512)/([a-f0-9]+)$")
_NAMED_RE = re.compile(r"^(?:sha256:)?([a-f0-9]{64})(?:\.json)?$")


def _digest_in_path(path: str) -> str | None:
    m = _BLOB_RE.match(path)
    if m:
        digest = f"{m.group(1)}:{m.group(2)}"
        parse_digest(digest, path)  # right length for its algorithm
        return digest
    m = _NAMED_RE.match(posixpath.basename(path))
    if m and "/" not in path:
        return f"sha256:{m.group(1)}"
    return None


def read_manifest_json(members: MemberIndex) -> list[ArchiveImage]:
    entries = expect_list(members.read_json(MANIFEST_JSON), MANIFEST_JSON)
    return [_read_entry(members, i, entry) for i, entry in enumerate(entries)]


def _read_entry(members: MemberIndex, i: int, entry: object) -> ArchiveImage:
    what = f"{MANIFEST_JSON}[{i}]"
    entry = expect_dict(entry, what)
    config_path = entry.get("Config")
    if not isinstance(config_path, str):
        raise ArchiveError(f"{what}: missing Config")
    config_path = normalize_member(config_path)
    config = members.read(config_path)
    expected = _digest_in_path(config_path)
    algo = expected.split(":", 1)[0] if expected else "sha256"
    config_digest = digest_of(config, algo)
    if expected and expected != config_digest:
        raise ArchiveError(f"{what}: config {config_path} digest mismatch: got {config_digest}")

    diff_ids = diff_ids_of(config, f"config {config_path}")
    layer_paths = expect_list(entry.get("Layers") or [], f"{what}: Layers")
    check_layer_count(len(layer_paths), diff_ids, what)
    sources = entry.get("LayerSources")
    sources = sources if isinstance(sources, dict) else {}
    layers = []
    for path, diff_id in zip(layer_paths, diff_ids, strict=True):
        if not isinstance(path, str):
            raise ArchiveError(f"{what}: layer path must be a string")
        path = normalize_member(path)
        if path not in members:
            foreign = (
                " (a foreign layer, not included in the archive)" if diff_id in sources else ""
            )
            raise ArchiveError(f"{what}: archive has no layer {path!r}{foreign}")
        layers.append(
            ArchiveLayer(
                member=path,
                size=members.size(path),
                diff_id=diff_id,
                digest=_digest_in_path(path) if path.startswith("blobs/") else None,
                media_type=None,
                _members=members,
            )
        )

    tags = expect_list(entry.get("RepoTags") or [], f"{what}: RepoTags")
    repo_tags = []
    for tag in tags:
        if not isinstance(tag, str):
            raise ArchiveError(f"{what}: RepoTags must be strings")
        repo_tags.append(familiar_tag(tag))
    return ArchiveImage(
        config=config,
        config_digest=config_digest,
        layers=tuple(layers),
        repo_tags=tuple(dict.fromkeys(repo_tags)),
    )
