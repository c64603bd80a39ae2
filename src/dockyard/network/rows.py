"""Rows: a table of records by key that remembers which keys may have changed, so the
state is written row by row (only those) rather than whole."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class Rows(dict[str, Any]):
    """A dict that notes every key set, removed or looked up since the last `flushed()`:
    a record looked up by key may be changed in place afterwards, so it counts as touched
    too. Records reached by iteration and changed in place need `touch(key)`."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        super().__init__(data or {})
        self.touched: set[str] = set()

    def __setitem__(self, key: str, value: Any) -> None:
        self.touched.add(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.touched.add(key)
        super().__delitem__(key)

    def __getitem__(self, key: str) -> Any:
        self.touched.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.touched.add(key)
        return super().get(key, default)

    def pop(self, key: str, *default: Any) -> Any:
        self.touched.add(key)
        return super().pop(key, *default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.touched.add(key)
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        other = dict(*args, **kwargs)
        self.touched.update(other)
        super().update(other)

    def clear(self) -> None:
        self.touched.update(self)
        super().clear()

    def popitem(self) -> tuple[str, Any]:
        key, value = super().popitem()
        self.touched.add(key)
        return key, value

    def touch(self, key: str) -> None:
        self.touched.add(key)

    def touch_all(self) -> None:
        self.touched.update(self)

    def flushed(self, keys: Iterable[str]) -> None:
        """`keys` are written: they no longer count as touched."""
        self.touched.difference_update(keys)
