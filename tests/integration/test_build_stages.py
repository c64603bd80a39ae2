"""BuildKit's stage rules in dockyard's builder: automatic platform ARGs, FROM --platform,
only the stages the target needs are built."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from testing.builds import build_dir as build

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]


def host_arch() -> str:
    machine = os.uname().machine
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def test_platform_args_are_automatic(daemon: Any, tmp_path: Path) -> None:
    df = (
        "FROM --platform=$BUILDPLATFORM busybox AS build\n"
        "ARG TARGETPLATFORM TARGETOS TARGETARCH BUILDPLATFORM\n"
        'RUN echo "target=$TARGETPLATFORM os=$TARGETOS arch=$TARGETARCH build=$BUILDPLATFORM"\n'
        "FROM busybox\n"
        "COPY --from=build /bin/true /t\n"
        'RUN echo "undeclared=[$TARGETARCH]"\n'
    )
    res = build(daemon, tmp_path / "p", df, "-t", "st/plat")
    assert res.returncode == 0, res.stderr + res.stdout
    arch = host_arch()
    assert f"target=linux/{arch} os=linux arch={arch} build=linux/{arch}\n" in res.stdout
    assert "undeclared=[]\n" in res.stdout  # a stage sees them only after ARG
    assert "were not consumed" not in res.stdout
    daemon.cli("rmi", "st/plat")


def test_only_needed_stages_are_built(daemon: Any, tmp_path: Path) -> None:
    df = (
        "FROM busybox AS base\nRUN echo built-base\n"
        "FROM busybox AS unused\nRUN echo built-unused\n"
        "FROM base AS tools\nRUN echo built-tools > /tools\n"
        "FROM busybox AS data\nRUN echo built-data > /data\n"
        "FROM busybox AS final\n"
        "COPY --from=tools /tools /tools\n"
        "RUN --mount=type=bind,from=data,source=/data,target=/d cat /d\n"
        "FROM busybox AS after\nRUN echo built-after\n"
    )
    res = build(daemon, tmp_path / "t", df, "--target", "final", "-t", "st/final")
    assert res.returncode == 0, res.stderr + res.stdout
    for word in ("built-base", "built-tools", "built-data"):
        assert f"RUN echo {word}" in res.stdout
    assert "built-unused" not in res.stdout and "built-after" not in res.stdout
    assert "Step 1/9 : FROM busybox AS base" in res.stdout
    assert "Step 9/9 : RUN --mount=type=bind,from=data" in res.stdout
    # without --target the last stage is the target: it needs nothing else
    last = build(daemon, tmp_path / "t", df, "-t", "st/after")
    assert last.returncode == 0, last.stderr
    assert "Step 1/2 : FROM busybox AS after" in last.stdout and "built-base" not in last.stdout
    daemon.cli("rmi", "st/final", "st/after")


def test_named_build_contexts(daemon: Any, tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    (assets / "img").mkdir(parents=True)
    (assets / "img" / "logo.txt").write_text("logo-v1\n")
    (tmp_path / "main" / "ignored").mkdir(parents=True)
    df = (
        "FROM base-image AS build\n"
        "COPY --from=assets img/logo.txt /logo.txt\n"
        "RUN --mount=type=bind,from=assets,source=img,target=/a cat /a/logo.txt /logo.txt\n"
        "FROM assets\n"
        "COPY --from=build /bin/busybox /bin/busybox\n"
    )
    args = [
        "--build-context",
        f"assets={assets}",
        "--build-context",
        "base-image=docker-image://busybox",
    ]
    res = build(daemon, tmp_path / "main", df, *args, "-t", "st/named")
    assert res.returncode == 0, res.stderr + res.stdout
    assert res.stdout.count("logo-v1\n") == 2
    ls = daemon.cli("run", "--rm", "--entrypoint", "/bin/busybox", "st/named", "find", "/img")
    assert ls.stdout.split() == ["/img", "/img/logo.txt"]  # FROM a local context: its files
    main = daemon.cli("run", "--rm", "--entrypoint", "/bin/busybox", "st/named", "ls", "-A", "/")
    assert ".dockyard-contexts" not in main.stdout
    # a change in the named context invalidates the steps that read it
    (assets / "img" / "logo.txt").write_text("logo-v2\n")
    again = build(daemon, tmp_path / "main", df, *args, "-t", "st/named")
    assert again.returncode == 0 and "logo-v2\n" in again.stdout, again.stderr
    bad = build(daemon, tmp_path / "main", df, "--build-context", "x=https://example.com/x.tar")
    assert bad.returncode == 1 and "unsupported context source" in bad.stderr
    daemon.cli("rmi", "st/named")


def test_a_named_context_replaces_the_stage_of_that_name(daemon: Any, tmp_path: Path) -> None:
    ctx = tmp_path / "tools-ctx"
    ctx.mkdir()
    (ctx / "tool.txt").write_text("from-context\n")
    df = (
        "FROM busybox AS tools\nRUN echo stage-ran > /tool.txt\n"
        "FROM busybox AS base\nRUN echo base-stage-ran\n"
        "FROM base\nCOPY --from=tools /tool.txt /tool.txt\n"
        "RUN --mount=type=bind,from=tools,target=/t cat /t/tool.txt /tool.txt\n"
    )
    args = ["--build-context", f"tools={ctx}", "--build-context", "base=docker-image://busybox"]
    res = build(daemon, tmp_path / "main", df, *args, "-t", "st/override")
    assert res.returncode == 0, res.stderr + res.stdout
    assert "stage-ran" not in res.stdout and "base-stage-ran" not in res.stdout  # not built
    assert res.stdout.count("from-context\n") == 2
    got = daemon.cli("run", "--rm", "st/override", "cat", "/tool.txt")
    assert got.stdout == "from-context\n"
    plain = build(daemon, tmp_path / "main", df, "-t", "st/override")
    assert plain.returncode == 0 and "base-stage-ran" in plain.stdout  # without: the stages
    daemon.cli("rmi", "st/override")


def test_independent_stages_run_at_the_same_time(daemon: Any, tmp_path: Path) -> None:
    df = (
        "FROM busybox AS a\n"
        "RUN cut -d' ' -f1 /proc/uptime > /start && sleep 2 && cut -d' ' -f1 /proc/uptime > /end\n"
        "FROM busybox AS b\n"
        "RUN cut -d' ' -f1 /proc/uptime > /start && sleep 2 && cut -d' ' -f1 /proc/uptime > /end\n"
        "FROM busybox\n"
        "COPY --from=a /start /a-start\nCOPY --from=a /end /a-end\n"
        "COPY --from=b /start /b-start\nCOPY --from=b /end /b-end\n"
        'CMD ["sh", "-c", "cat /a-start /a-end /b-start /b-end"]\n'
    )
    res = build(daemon, tmp_path / "par", df, "--no-cache", "-t", "st/par")
    assert res.returncode == 0, res.stderr + res.stdout
    a_start, a_end, b_start, b_end = map(float, daemon.cli("run", "--rm", "st/par").stdout.split())
    assert a_start < b_end and b_start < a_end  # the two RUNs overlapped
    # the stream reads as if the stages ran one after the other
    steps = [line for line in res.stdout.splitlines() if line.startswith("Step ")]
    assert [s.split()[1] for s in steps] == [f"{i}/10" for i in range(1, 11)]
    assert (
        steps[0] == "Step 1/10 : FROM busybox AS a" and steps[2] == "Step 3/10 : FROM busybox AS b"
    )
    text = res.stdout
    assert text.index("Step 2/10") < text.index("Step 3/10") < text.index("Step 5/10")
    # a failing stage stops the others (their RUN killed, its container removed) and its
    # error and exit code are the build's, after the output of the stages before it
    bad = build(
        daemon,
        tmp_path / "bad",
        "FROM busybox AS a\nRUN echo a-started && sleep 60 && echo a-done\n"
        "FROM busybox AS b\nRUN sleep 2; echo b-failing; exit 3\n"
        "FROM busybox\nCOPY --from=a /bin/true /t\nCOPY --from=b /bin/true /u\n",
        "--no-cache",
    )
    assert bad.returncode == 3, bad.stderr + bad.stdout
    assert "\na-done\n" not in bad.stdout and "\nb-failing\n" in bad.stdout
    assert (
        "The command '/bin/sh -c sleep 2; echo b-failing; exit 3' returned a non-zero code: 3"
        in (bad.stderr)
    )
    assert "Step 5/7" not in bad.stdout and "build cancelled" not in bad.stderr
    ran = re.findall(r"Running in ([0-9a-f]{12})", bad.stdout)
    assert len(ran) == 2
    assert daemon.cli("inspect", ran[0]).returncode != 0  # the stopped stage left nothing
    assert daemon.cli("rm", "-f", ran[1]).returncode == 0  # the failed step's, kept as Docker
    daemon.cli("rmi", "st/par")
