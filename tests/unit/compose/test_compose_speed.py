"""What keeps `compose up`/`down` quick without changing what they do: parsed files read back
from the cache, parallel work in plain threads, one image look-up per image."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest

from dockyard.compose import filecache
from dockyard.compose.backend import Backend
from dockyard.compose.errors import ComposeError
from dockyard.compose.images import ensure_images
from dockyard.compose.loader import LoadOptions, load
from dockyard.compose.progress import Progress


def _parsed_entries() -> list[str]:
    folder = os.path.dirname(filecache.path("compose-parsed", "x"))
    return os.listdir(folder) if os.path.isdir(folder) else []


def test_a_parsed_file_is_read_back_the_same_from_the_cache(tmp_path):
    (tmp_path / "compose.yaml").write_text(
        "services:\n  a:\n    image: x\n    ports: ['22:22']\n    environment: {ON: yes}\n"
    )
    first = load(LoadOptions(environ={}, cwd=str(tmp_path)))
    assert len(_parsed_entries()) == 1
    again = load(LoadOptions(environ={}, cwd=str(tmp_path)))
    assert again == first
    assert again.services["a"]["environment"] == {"ON": "yes"}  # YAML 1.2: a string


def test_what_json_cannot_give_back_is_parsed_every_time():
    assert filecache.parse_yaml("a: !!binary aGk=\n") == {"a": b"hi"}
    assert filecache.parse_yaml("1: one\n") == {1: "one"}
    assert filecache.parse_yaml("x: .nan\n")["x"] != filecache.parse_yaml("x: .nan\n")["x"]
    assert _parsed_entries() == []


def test_bad_yaml_is_an_error_naming_the_line_and_never_cached():
    with pytest.raises(ComposeError, match="line 2"):
        filecache.parse_yaml("a: 1\na: 2\n")
    assert _parsed_entries() == []


def test_each_runs_in_parallel_keeps_order_and_raises_the_first_error():
    b = Backend(None, Progress(quiet=True), engine=object())  # type: ignore[arg-type]
    gate = threading.Barrier(3, timeout=10)  # passes only if three run at once

    def meet(i: int) -> int:
        gate.wait()
        return i * 10

    assert b.each([1, 2, 3], meet) == [10, 20, 30]

    def fail(i: int) -> int:
        if i in (2, 3):
            raise ComposeError(f"item {i}")
        return i

    with pytest.raises(ComposeError, match="item 2"):
        b.each([1, 2, 3, 4], fail)


class _Images:
    def __init__(self) -> None:
        self.asked: list[str] = []
        self.lock = threading.Lock()

    def inspect(self, ref: str) -> dict[str, Any]:
        with self.lock:
            self.asked.append(ref)
        return {"Id": f"sha256:{ref}"}


class _Engine:
    def __init__(self) -> None:
        self.images = _Images()


def test_services_of_one_image_share_one_look_up(tmp_path):
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        + "".join(f"  s{i}:\n    image: busybox\n" for i in range(5))
        + "  other:\n    image: redis\n"
    )
    engine = _Engine()
    b = Backend(
        load(LoadOptions(environ={}, cwd=str(tmp_path))), Progress(quiet=True), engine=engine
    )  # type: ignore[arg-type]
    images = ensure_images(b, list(b.project.services))
    assert sorted(engine.images.asked) == ["busybox", "redis"]
    assert images == {
        **{f"s{i}": "sha256:busybox" for i in range(5)},
        "other": "sha256:redis",
    }
