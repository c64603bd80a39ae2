"""What an archive reader yields: images with their config, layers and tags."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, BinaryIO

from .archive_common import ArchiveError, expect_dict, expect_list, load_json, parse_digest
from .archive_members import MemberIndex
from .archive_streams import DigestCheckingReader, LayerStream, buffered


@dataclass(frozen=True)
class ArchiveLayer:
    """One layer blob inside the archive, in rootfs order."""

    member: str  # path inside the archive (links already allowed; resolved on open)
    size: int  # size of the stored (possibly compressed) blob
    diff_id: str  # digest of the uncompressed tar, from the config's rootfs.diff_ids
    digest: str | None  # digest of the stored blob when the archive names it
    media_type: str | None  # from the OCI manifest; None for manifest.json archives
    _members: MemberIndex = field(repr=False, compare=False)

    def open_raw(self) -> BinaryIO:
        """The stored bytes; checks size and (when known) digest on reaching EOF."""
        raw = DigestCheckingReader(
            self._members.open(self.member), self.digest, self.size, f"layer {self.member}"
        )
        return buffered(raw)

    def open(self, verify_diff_id: bool = False) -> BinaryIO:
        """The uncompressed layer tar (gzip/zstd/bzip2/xz detected by magic number).

        Compression is sniffed, not taken from the media type, because `docker save`
        archives in the wild mislabel it. The blob digest (when it differs from the
        diff_id) and size are checked at EOF; the diff_id is checked there too with
        `verify_diff_id`, else the caller verifies it while unpacking.
        Streams share the archive's file object: use them from one thread at a time.
        """
        what = f"layer {self.member}"
        digest = self.digest if self.digest != self.diff_id else None
        raw = DigestCheckingReader(self._members.open(self.member), digest, self.size, what)
        stream: BinaryIO = buffered(LayerStream(raw, what))  # type: ignore[arg-type]
        if verify_diff_id:
            checked = DigestCheckingReader(stream, self.diff_id, None, f"{what} (diff_id)")
            stream = buffered(checked)
        return stream


@dataclass(frozen=True)
class ArchiveImage:
    config: bytes  # the config JSON exactly as stored; its digest is the image ID
    config_digest: str
    layers: tuple[ArchiveLayer, ...]
    repo_tags: tuple[str, ...]  # familiar form, e.g. "busybox:latest"
    manifest_digest: str | None = None  # the OCI manifest's digest, when read from one

    @property
    def config_json(self) -> dict[str, Any]:
        return expect_dict(load_json(self.config, "image config"), "image config")


def diff_ids_of(config: bytes, what: str) -> list[str]:
    """The config's rootfs.diff_ids, validated."""
    cfg = expect_dict(load_json(config, what), what)
    rootfs = expect_dict(cfg.get("rootfs"), f"{what}: rootfs")
    if rootfs.get("type") != "layers":
        raise ArchiveError(f"{what}: unsupported rootfs type {rootfs.get('type')!r}")
    diff_ids = expect_list(rootfs.get("diff_ids") or [], f"{what}: rootfs.diff_ids")
    for d in diff_ids:
        parse_digest(d, f"{what}: diff_id")
    return diff_ids


def check_layer_count(n_layers: int, diff_ids: list[str], what: str) -> None:
    if n_layers != len(diff_ids):
        raise ArchiveError(
            f"{what}: {n_layers} layers but the config lists {len(diff_ids)} diff_ids"
        )
