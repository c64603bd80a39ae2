"""`RUN --mount=type=cache` directories: kept per daemon across builds and images, never
part of a layer; `builder prune` removes them and `system df` counts them as build cache.

Each cache lives in ``<root>/<key>/data`` with a ``meta.json`` (its id, what made it, use
times). ``sharing=locked`` serialises the users of one id, ``private`` gives a second user
its own instance (``<key>-1``, ...), ``shared`` lets everyone in at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..common.timefmt import rfc3339
from ..errors import InvalidParameter

CACHE_TYPE = "exec.cachemount"

_guard = threading.Lock()
_locks: dict[str, threading.Lock] = {}
_in_use: dict[str, int] = {}


@dataclass
class CacheRequest:
    """What a RUN step asks of one cache mount."""

    id: str
    sharing: str
    description: str
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None


class CacheMounts:
    def __init__(self, root: Path) -> None:
        self.root = root

    @contextlib.contextmanager
    def use(self, req: CacheRequest, seed: Callable[[Path], None] | None) -> Iterator[Path]:
        """The cache's host directory for one RUN; `seed` fills a new cache (``from``)."""
        base = hashlib.sha256(req.id.encode()).hexdigest()[:32]
        key = base
        with _guard:
            if req.sharing == "private":
                n = 0
                while _in_use.get(str(self.root / key)):
                    n += 1
                    key = f"{base}-{n}"
            path = self.root / key
            slot = str(path)
            lock = _locks.setdefault(slot, threading.Lock())
            _in_use[slot] = _in_use.get(slot, 0) + 1
        locked = req.sharing == "locked"
        if locked:
            lock.acquire()
        try:
            data = self._prepare(path, req, seed)
            yield data
        finally:
            if locked:
                lock.release()
            with _guard:
                _in_use[slot] -= 1

    def _prepare(self, path: Path, req: CacheRequest, seed: Callable[[Path], None] | None) -> Path:
        data = path / "data"
        meta_file = path / "meta.json"
        meta = _read_meta(meta_file)
        if meta is None or not data.is_dir():
            shutil.rmtree(path, ignore_errors=True)
            path.mkdir(parents=True, mode=0o700)
            data.mkdir()
            if seed is not None:
                seed(data)
            os.chmod(data, req.mode if req.mode is not None else 0o755)
            os.chown(data, req.uid or 0, req.gid or 0)
            meta = {
                "ID": secrets.token_hex(13)[:25],
                "CacheID": req.id,
                "Description": req.description,
                "CreatedAt": time.time(),
                "UsageCount": 0,
            }
        meta["LastUsedAt"] = time.time()
        meta["UsageCount"] = int(meta.get("UsageCount") or 0) + 1
        tmp = meta_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(meta))
        os.replace(tmp, meta_file)
        return data

    def _entries(self) -> Iterator[tuple[Path, dict[str, Any]]]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.iterdir()):
            meta = _read_meta(path / "meta.json")
            if meta is not None:
                yield path, meta

    def usage(self) -> list[dict[str, Any]]:
        """GET /system/df's BuildCache records."""
        return [_record(path, meta) for path, meta in self._entries()]

    def prune(self, filters: dict[str, list[str]]) -> tuple[list[str], int]:
        """Remove the caches no build uses now that match `filters` (type, id, until):
        (their IDs, bytes freed)."""
        types = filters.get("type") or []
        if types and CACHE_TYPE not in types:
            return [], 0
        ids = set(filters.get("id") or [])
        until = _until(filters.get("until") or [])
        deleted: list[str] = []
        freed = 0
        for path, meta in list(self._entries()):
            if ids and meta["ID"] not in ids:
                continue
            if until is not None and float(meta.get("LastUsedAt") or 0) >= until:
                continue
            with _guard:
                if _in_use.get(str(path)):
                    continue
                _in_use[str(path)] = 1  # no build may take it while it goes
            try:
                freed += _size(path / "data")
                shutil.rmtree(path, ignore_errors=True)
                deleted.append(meta["ID"])
            finally:
                with _guard:
                    _in_use.pop(str(path), None)
        return deleted, freed


def _until(values: list[str]) -> float | None:
    """The `until` filter: a timestamp, a date or a Go duration back from now."""
    from ..common.timefmt import parse_since_until

    if not values:
        return None
    try:
        return parse_since_until(values[0])
    except ValueError:
        raise InvalidParameter(f"invalid filter 'until={values[0]}'") from None


def _read_meta(path: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and "ID" in doc else None


def _size(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
    return total


def _record(path: Path, meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "ID": meta["ID"],
        "Parents": None,
        "Type": CACHE_TYPE,
        "Description": meta.get("Description") or "",
        "InUse": bool(_in_use.get(str(path))),
        "Shared": False,
        "Size": _size(path / "data"),
        "CreatedAt": rfc3339(float(meta.get("CreatedAt") or 0)),
        "LastUsedAt": rfc3339(float(meta.get("LastUsedAt") or 0)),
        "UsageCount": int(meta.get("UsageCount") or 0),
    }
