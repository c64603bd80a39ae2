"""`system check` of the image store, like `git fsck`: every blob re-hashed against its
digest, every image's config, blobs and layers present, every layer row with its unpacked
directory and every directory with its row, tags naming images that exist, and no
half-written file left by an interrupted ingest. Fixes on `repair` what can be fixed
without the network (a corrupt or unreferenced blob goes, a layer directory is unpacked
again from its blob, a stray directory or temp file goes, a dangling tag goes); an image
whose content is lost stays reported."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .layerstore import rmtree

if TYPE_CHECKING:
    from .catalog import ImageCatalog

# A pull stores blobs before it registers the image: younger unreferenced blobs may be its.
PULL_GRACE = 3600.0

# (resource, problem, fix or None when only a pull or a load can bring it back)
Finding = tuple[str, str, "Callable[[], None] | None"]


def check(cat: ImageCatalog, repair: bool) -> list[dict[str, Any]]:
    with cat.lock.exclusive():  # no ingest or deletion moves under our feet
        found = [*_temp_files(cat), *_blobs(cat), *_layers(cat), *_images(cat), *_tags(cat)]
        out = []
        for resource, problem, fix in found:
            done = repair and fix is not None
            if done:
                fix()  # type: ignore[misc]
            out.append({"Resource": resource, "Problem": problem, "Repaired": done})
        return out


def _remove(path: Path) -> Callable[[], None]:
    return lambda: rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)


def _temp_files(cat: ImageCatalog) -> list[Finding]:
    dirs = [cat.blobs.ingest_dir, cat.layers.staging, cat.tmp]
    out: list[Finding] = []
    for d in dirs:
        for p in sorted(d.iterdir()):
            out.append((f"file {p}", "half-written by an interrupted operation", _remove(p)))
    for p in sorted(cat.blobs.dir.iterdir()):
        if len(p.name) != 64:
            out.append((f"file {p}", "not a blob", _remove(p)))
    return out


def _blobs(cat: ImageCatalog) -> list[Finding]:
    keep = cat.referenced_blobs()
    out: list[Finding] = []
    for digest in sorted(cat.blobs.digests()):
        path = cat.blobs.path(digest)
        if not cat.blobs.verify(digest):
            out.append((f"blob {digest}", "content does not match its digest", _remove(path)))
        elif digest not in keep and time.time() - path.stat().st_mtime > PULL_GRACE:
            out.append((f"blob {digest}", "referenced by no image or layer", _remove(path)))
    return out


def _layers(cat: ImageCatalog) -> list[Finding]:
    rows = cat.layers.all()
    out: list[Finding] = []
    for chain, doc in sorted(rows.items()):
        if not cat.layers.diff_dir(chain).is_dir():
            blob = doc.get("blob")
            fix = cat.layers.recover if blob and cat.blobs.has(blob) else None
            out.append((f"layer {chain}", "its unpacked directory is missing", fix))
    known = {cat.layers.dir(c).name for c in rows}
    for p in sorted(cat.layers.root.iterdir()):
        if p.name != "staging" and p.name not in known:
            out.append((f"layer directory {p.name}", "no layer record owns it", _remove(p)))
    return out


def _images(cat: ImageCatalog) -> list[Finding]:
    rows = cat.layers.all()
    out: list[Finding] = []
    for image_id, text in cat.db.query("SELECT id, doc FROM images"):
        doc = json.loads(text)
        missing = [b for b in [image_id, *(doc.get("blobs") or [])] if not cat.blobs.has(b)]
        missing += [c for c in doc.get("chain") or [] if c not in rows]
        if missing:
            out.append((f"image {image_id}", f"content missing: {', '.join(missing)}", None))
    return out


def _tags(cat: ImageCatalog) -> list[Finding]:
    ids = {r[0] for r in cat.db.query("SELECT id FROM images")}
    out: list[Finding] = []
    for ref, image_id in cat.db.query("SELECT ref, image_id FROM tags"):
        if image_id not in ids:
            out.append(
                (f"tag {ref}", f"names image {image_id}, which does not exist", _untag(cat, ref))
            )
    return out


def _untag(cat: ImageCatalog, ref: str) -> Callable[[], None]:
    def fix() -> None:
        with cat.db.transaction() as cur:
            cur.execute("DELETE FROM tags WHERE ref=?", (ref,))

    return fix
