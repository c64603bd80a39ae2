"""The event bus behind GET /events: a ring buffer of recent events plus live subscribers.

Services publish from any thread; subscribers are asyncio queues on the daemon's loop.
"""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from typing import Any

RING_SIZE = 1024

# Docker's legacy top-level fields only exist for these types.
_LEGACY_TYPES = {"container", "image"}


class EventBus:
    def __init__(self) -> None:
        self._ring: collections.deque[dict[str, Any]] = collections.deque(maxlen=RING_SIZE)
        self._subs: set[asyncio.Queue[dict[str, Any]]] = set()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def publish(
        self, type_: str, action: str, actor_id: str, attributes: dict[str, str] | None = None
    ) -> dict[str, Any]:
        now = time.time_ns()
        event: dict[str, Any] = {
            "Type": type_,
            "Action": action,
            "Actor": {"ID": actor_id, "Attributes": dict(attributes or {})},
            "scope": "local",
            "time": now // 1_000_000_000,
            "timeNano": now,
        }
        if type_ in _LEGACY_TYPES:
            event["status"] = action
            event["id"] = actor_id
            if "image" in (attributes or {}):
                event["from"] = attributes["image"]  # type: ignore[index]
        with self._lock:
            self._ring.append(event)
            subs = list(self._subs)
        if self._loop is not None and subs:
            for q in subs:
                self._loop.call_soon_threadsafe(q.put_nowait, event)
        return event

    def subscribe(self) -> tuple[list[dict[str, Any]], asyncio.Queue[dict[str, Any]]]:
        """Snapshot of the past plus a queue of what comes next, with nothing lost between."""
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        with self._lock:
            past = list(self._ring)
            self._subs.add(q)
        return past, q

    def unsubscribe(self, q: asyncio.Queue[dict[str, Any]]) -> None:
        with self._lock:
            self._subs.discard(q)


def matches(event: dict[str, Any], filters: dict[str, list[str]]) -> bool:
    """Docker's /events filters: values of one key are OR-ed, keys are AND-ed."""
    actor = event["Actor"]
    attrs = actor.get("Attributes", {})
    for key, values in filters.items():
        if not values:
            continue
        if key == "type":
            ok = event["Type"] in values
        elif key == "event":
            # "exec_start" matches "exec_start: sh -c ..." as in Docker.
            ok = any(event["Action"] == v or event["Action"].startswith(v + ":") for v in values)
        elif key in ("container", "image", "volume", "network", "plugin", "daemon", "node"):
            type_ = key
            ok = event["Type"] == type_ and any(
                actor["ID"].startswith(v) or attrs.get("name") == v for v in values
            )
            if key == "image" and not ok:
                ok = any(attrs.get("image") == v for v in values)
        elif key == "label":
            ok = any(_label_matches(attrs, v) for v in values)
        elif key == "scope":
            ok = "local" in values
        else:
            ok = True
        if not ok:
            return False
    return True


def _label_matches(attrs: dict[str, str], spec: str) -> bool:
    key, sep, value = spec.partition("=")
    if key not in attrs:
        return False
    return not sep or attrs[key] == value
