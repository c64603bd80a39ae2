"""The persistence the network library needs from its caller: JSON values by key."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any, Protocol


class KVStore(Protocol):
    def get(self, key: str) -> Any | None: ...

    def put(self, key: str, value: Any) -> None: ...

    def delete(self, key: str) -> None: ...


class MemoryStore:
    """For tests: values are deep-copied so callers cannot mutate what was stored."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str) -> Any | None:
        return copy.deepcopy(self.data.get(key))

    def put(self, key: str, value: Any) -> None:
        self.data[key] = json.loads(json.dumps(value))

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


class FileStore:
    """One JSON file per key in a directory; crash-safe writes (temp, fsync, rename)."""

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)

    def get(self, key: str) -> Any | None:
        try:
            return json.loads((self.dir / f"{key}.json").read_text())
        except FileNotFoundError:
            return None

    def put(self, key: str, value: Any) -> None:
        path = self.dir / f"{key}.json"
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w") as f:
            json.dump(value, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def delete(self, key: str) -> None:
        (self.dir / f"{key}.json").unlink(missing_ok=True)
