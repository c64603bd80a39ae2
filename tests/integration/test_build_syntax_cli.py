"""Dockerfile parser errors as `docker build` (classic builder) and `dockyard build` print
them against a private daemon: Docker's message and exit code 1."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]

CASES = [
    ("# only a comment\n\n", "failed to parse Dockerfile: file with no instructions"),
    ("FROM busybox\nENV FOO\n", "failed to parse Dockerfile: ENV must have two arguments"),
    (
        'FROM busybox\nCMD ["echo", ["nested"]]\n',
        "failed to parse Dockerfile: when using JSON array syntax, arrays must be comprised of "
        "strings only",
    ),
    ("FROM busybox\nENV\n", "dockerfile parse error on line 2: ENV requires at least one argument"),
    ("", "the Dockerfile (Dockerfile) cannot be empty"),
]


def run(daemon: Any, tool: str, ctx: Path) -> subprocess.CompletedProcess[str]:
    env = daemon.env
    if tool == "docker":
        env["DOCKER_BUILDKIT"] = "0"
        argv = ["docker"]
    else:
        argv = [str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "dockyard")]
    return subprocess.run(
        [*argv, "build", "-t", "syntax/should-not-exist", "."],
        env=env,
        cwd=ctx,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("tool", ["docker", "dockyard"])
@pytest.mark.parametrize(("dockerfile", "message"), CASES)
def test_build_prints_the_parser_error_and_exits_1(
    daemon: Any, tmp_path: Path, tool: str, dockerfile: str, message: str
) -> None:
    if tool == "docker" and shutil.which("docker") is None:
        pytest.skip("needs the docker CLI")
    (tmp_path / "Dockerfile").write_text(dockerfile)
    proc = run(daemon, tool, tmp_path)
    assert proc.returncode == 1, proc
    lines = proc.stderr.strip().splitlines()
    assert lines[-1] == f"Error response from daemon: {message}", proc.stderr


def test_double_dash_ends_flags_in_a_real_build(daemon: Any, tmp_path: Path) -> None:
    (tmp_path / "--odd.txt").write_text("odd\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nCOPY --chmod=600 -- --odd.txt /odd.txt\nRUN echo a \\\n\\\n  b > /ab\n"
    )
    tag = "syntax/dashdash:1"
    proc = run_tag(daemon, tmp_path, tag)
    try:
        assert proc.returncode == 0, proc.stderr
        out = daemon.cli("run", "--rm", tag, "sh", "-c", "stat -c %a /odd.txt; cat /odd.txt /ab")
        assert out.stdout == "600\nodd\na b\n", out
    finally:
        daemon.cli("rmi", "-f", tag)


def run_tag(daemon: Any, ctx: Path, tag: str) -> subprocess.CompletedProcess[str]:
    return daemon.cli("build", "-q", "-t", tag, str(ctx))
