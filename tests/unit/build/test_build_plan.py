"""Builder planning: stages, step counts and Docker's parse-time errors (no daemon)."""

from __future__ import annotations

from typing import Any

import pytest

from dockyard.build.builder import Builder, BuildOptions, BuildPeers, cache_key
from dockyard.build.instructions import go_quote_list, parse_duration
from dockyard.build.parser import parse
from dockyard.common.ports import parse_expose
from dockyard.common.timefmt import format_go_duration as go_duration
from dockyard.errors import InvalidParameter


def plan(text: str, **opts: Any) -> Builder:
    peers = BuildPeers(images=object(), containers=None, distribution=None, cache_mounts=None)  # type: ignore[arg-type]
    b = Builder(peers, BuildOptions(**opts), lambda m: None, None)  # type: ignore[arg-type]
    b._live = []
    b.plan(parse(text))
    return b


def test_stage_and_step_counts() -> None:
    b = plan("ARG V=1\nFROM busybox AS one\nRUN a\nFROM one\nCOPY x y\nCMD z\n")
    assert [s.name for s in b.stages] == ["one", ""]
    assert b.total == 1 + 2 + 3


def test_target_cuts_later_stages_and_labels_add_a_step() -> None:
    b = plan("FROM a AS base\nRUN x\nFROM base AS final\nRUN y\n", target="base")
    assert len(b.stages) == 1 and b.total == 2
    b = plan("FROM a\n", labels={"k": "v"})
    assert b.total == 2 and b.stages[0].commands[0].cmd == "label"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("RUN x\n", "no build stage in current context"),
        ("FROM a b\n", "FROM requires either one or three arguments"),
        ("FROM a AS x\nFROM b AS x\n", "duplicate name x"),
        ("FROM a\nONBUILD ONBUILD RUN x\n", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"),
        ("FROM a\nONBUILD FROM b\n", "FROM isn't allowed as an ONBUILD trigger"),
        ("FROM a\nCOPY --bogus=1 a b\n", "unknown flag: bogus"),
        ("FROM a\nSHELL /bin/bash -c\n", "SHELL requires the arguments to be in JSON form"),
        ("FROM a\nCOPY onlyone\n", "COPY requires at least two arguments, but only one was"),
        ("FROM a\nENV\n", "ENV requires at least one argument"),
        ("FROM a\nHEALTHCHECK FOO x\n", "Unknown type FOO in HEALTHCHECK (try CMD)"),
    ],
)
def test_parse_time_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidParameter) as e:
        plan(text)
    assert message in e.value.message
    assert e.value.message.startswith("dockerfile parse error on line") or "context" in message


def test_missing_target() -> None:
    with pytest.raises(InvalidParameter) as e:
        plan("FROM a AS x\n", target="nope")
    assert e.value.message == "failed to reach build target nope in Dockerfile"


def test_helpers() -> None:
    assert go_quote_list(["/bin/sh", "-c", 'echo "hi"']) == '["/bin/sh" "-c" "echo \\"hi\\""]'
    assert parse_duration("5m", "interval") == 300 * 10**9
    assert parse_duration("1m30s", "interval") == 90 * 10**9
    assert go_duration(300 * 10**9) == "5m0s" and go_duration(3 * 10**9) == "3s"
    assert list(parse_expose(["80", "443/udp", "8000-8001"], dockerfile=True)) == [
        "80/tcp", "443/udp", "8000/tcp", "8001/tcp",
    ]  # fmt: skip
    with pytest.raises(InvalidParameter):
        parse_duration("5x", "interval")
    assert cache_key({"Env": [], "Cmd": ["a"]}) == cache_key({"Cmd": ["a"], "Labels": {}})
