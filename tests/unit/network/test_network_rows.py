"""Rows: which records a write has to look at."""

from __future__ import annotations

from dockyard.network.rows import Rows


def test_rows_note_what_was_set_removed_or_looked_up():
    rows = Rows({"a": {"n": 1}, "b": {"n": 2}, "c": {"n": 3}})
    assert rows.touched == set()
    list(rows.values()), list(rows.items()), "a" in rows  # iteration touches nothing
    assert rows.touched == set()
    rows["a"]["n"] = 5
    rows.get("missing")
    rows.pop("b")
    rows.setdefault("d", {})
    rows["e"] = {}
    assert rows.touched == {"a", "missing", "b", "d", "e"}
    rows.flushed(["a", "missing", "b"])
    assert rows.touched == {"d", "e"}
    rows.flushed(list(rows.touched))
    rows.touch("c")
    del rows["c"]
    rows.update({"f": 1})
    assert rows.touched == {"c", "f"}
    rows.flushed(["c", "f"])
    rows.clear()
    assert rows.touched == {"a", "d", "e", "f"} and not rows
