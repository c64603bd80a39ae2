"""Image records and reference helpers shared by the image store's modules."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from dockyard.common.reference import InvalidReference, Reference, parse_normalized

from ..errors import InvalidParameter
from . import config as cfgmod


def short_id(image_or_container_id: str) -> str:
    return image_or_container_id.removeprefix("sha256:")[:12]


def full_image_id(value: str) -> str:
    return value if value.startswith("sha256:") else "sha256:" + value


@dataclass
class ImageRecord:
    """One local image: its ID, its row and its parsed config JSON."""

    id: str  # "sha256:<hex>"
    doc: dict[str, Any]
    image_config: dict[str, Any]

    @property
    def config(self) -> dict[str, Any]:
        """The container config part (Cmd, Env, ...) of the image config."""
        return dict(self.image_config.get("config") or {})

    @property
    def chain(self) -> list[str]:
        return list(self.doc.get("chain") or [])

    @property
    def parent(self) -> str:
        return str(self.doc.get("parent") or "")

    @property
    def size(self) -> int:
        return int(self.doc.get("size") or 0)

    @property
    def created(self) -> float:
        return cfgmod.parse_time(self.image_config.get("created"))

    @property
    def labels(self) -> dict[str, str]:
        return cfgmod.labels_of(self.image_config)

    def __getitem__(self, key: str) -> Any:  # image["Id"] for callers wanting a dict
        if key == "Id":
            return self.id
        raise KeyError(key)


def familiar(canonical: str) -> str:
    try:
        return parse_normalized(canonical, default_tag=False).familiar()
    except InvalidReference:
        return canonical


def is_digest_ref(canonical: str) -> bool:
    return "@" in canonical


def parse_tag_ref(repo: str, tag: str | None = None) -> Reference:
    """Docker's RepoTagReference: normalised repo, `tag` (default latest), no digests."""
    try:
        ref = parse_normalized(repo, default_tag=False)
    except InvalidReference as exc:
        raise InvalidParameter(str(exc)) from None
    if ref.digest is not None:
        raise InvalidParameter("refusing to create a tag with a digest reference")
    try:
        return ref.with_tag(tag) if tag else (ref if ref.tag else ref.with_tag("latest"))
    except InvalidReference as exc:
        raise InvalidParameter(str(exc)) from None


def dump(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()
