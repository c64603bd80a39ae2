"""dockyard's CLI against the real docker CLI, both at the same private daemon (issue 18:
where docker already behaves at our daemon, a difference is our CLI's): exit codes, error
texts, and what Go templates see."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker CLI"),
]

CTR = "parity-ctr"
_ID = re.compile(r"[0-9a-f]{64}")


@pytest.fixture(scope="module")
def ctr(daemon: Any) -> Iterator[str]:
    made = daemon.cli("create", "--name", CTR, "busybox", "true")
    assert made.returncode == 0, made.stderr
    yield CTR
    daemon.cli("rm", "-f", CTR)


def _both(daemon: Any, *argv: str, stdin: str | None = None) -> tuple[Any, Any]:
    def run(exe: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*exe, *argv], env=daemon.env, input=stdin, capture_output=True, text=True,
            timeout=120, stdin=None if stdin is not None else subprocess.DEVNULL,
        )  # fmt: skip

    return run(["docker"]), run([str(Path(daemon.env["PATH"].split(":")[0]) / "dockyard")])


def _norm(text: str) -> str:
    return _ID.sub("<id>", text.replace("docker", "dockyard"))


def _same(daemon: Any, *argv: str, stdout: bool = False) -> subprocess.CompletedProcess[str]:
    theirs, ours = _both(daemon, *argv)
    assert ours.returncode == theirs.returncode, (argv, theirs, ours)
    assert _norm(ours.stderr) == _norm(theirs.stderr), argv
    if stdout:
        assert _norm(ours.stdout) == _norm(theirs.stdout), argv
    return ours


@pytest.mark.parametrize(
    "argv,code",
    [
        (["rm", "-f", "parity-nosuch"], 0),  # `set -e` clean-up scripts rely on it
        (["rmi", "-f", "parity-nosuch"], 0),
        (["rm", "parity-nosuch"], 1),
        (["run"], 1),
        (["exec", "x"], 1),
        (["tag", "busybox"], 1),
        (["logs", "a", "b"], 1),
        (["events", "--since", "xyz"], 1),
        (["events", "--until", "xyz"], 1),
        (["tag", "busybox", "parity:bad:tag"], 1),
        (["tag", "busybox", "PARITY"], 1),
        (["tag", "bad:bad:tag", "parity"], 1),
        (["ps", "--bogus"], 125),
        (["ps", "-n", "x"], 125),
        (["create", "--pull", "never", "parity-nosuch"], 1),
        (["run", "--pull", "never", "parity-nosuch"], 125),
        (["rename", "parity-nosuch", "x"], 1),
        (["login", "localhost:1"], 1),  # no TTY: no prompt, no traceback
        (["version", "--format", "{{.Server.Nope}}"], 1),
        (["info", "--format", "{{.Nope}}"], 1),
        (["events", "--format", "{{.Nope}}", "--since", "1s", "--until", "0s"], 64),
        (["system", "df", "--format", "{{.Nope}}"], 1),
    ],
)
def test_exit_code_and_error_as_docker(daemon: Any, argv: list[str], code: int) -> None:
    ours = _same(daemon, *argv)
    assert ours.returncode == code
    assert "Traceback" not in ours.stderr


def test_container_errors_as_docker(daemon: Any, ctr: str) -> None:
    for argv in (
        ["logs", "--since", "xyz", ctr],
        ["logs", "--until", "xyz", ctr],
        ["create", "--name", ctr, "busybox"],
        ["run", "--name", ctr, "busybox"],
        ["rename", ctr, "bad name"],
        ["rename", ctr, ""],
    ):
        ours = _same(daemon, *argv)
        assert ours.returncode in (1, 125) and "Traceback" not in ours.stderr


def test_tag_with_a_bad_reference_creates_nothing(daemon: Any) -> None:
    _same(daemon, "tag", "busybox", "parity:bad:tag")
    images = daemon.cli("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    assert "parity:tag" not in images and "parity:bad" not in images


@pytest.mark.parametrize(
    "argv",
    [
        ["version", "--format", "{{.Server.APIVersion}} {{.Server.Os}} {{.Client.Context}}"],
        ["version", "--format", "{{json .Server}}"],
        ["info", "--format", "{{.NCPU}} {{.HTTPProxy}}|{{.ClientInfo.Context}}"],
        ["events", "--since", "10m", "--until", "0s", "--format", "{{.Time}} {{.ID}} {{.From}} {{.Status}}"],
        ["events", "--since", "10m", "--until", "0s", "--format", "{{json .}}"],
        ["events", "--since", "10m", "--until", "0s"],
        ["system", "df"],
        ["system", "df", "--format", "json"],
        ["system", "df", "--format", "{{.Type}}: {{.TotalCount}} {{.Active}} {{.Reclaimable}}"],
        ["system", "df", "--format", "table {{.Type}}\t{{.Size}}"],
        ["images", "--format", "{{.Repository}} {{.Tag}} {{.Digest}}"],
    ],
)
def test_templates_bind_docker_go_fields(daemon: Any, ctr: str, argv: list[str]) -> None:
    ours = _same(daemon, *argv, stdout=True)
    assert ours.returncode == 0 and ours.stdout.strip()
    assert "<no value>" not in ours.stdout


def test_failed_build_exits_with_the_steps_code(daemon: Any, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN exit 3\n")
    theirs, ours = _both(daemon, "build", "-q", str(tmp_path))
    assert theirs.returncode == ours.returncode == 3
    assert "returned a non-zero code: 3" in ours.stderr


def test_output_files_are_private_as_dockers(daemon: Any, ctr: str, tmp_path: Path) -> None:
    for tool in ("docker", "dockyard"):
        for argv in (["save", "busybox"], ["export", ctr]):
            out = tmp_path / f"{tool}-{argv[0]}.tar"
            exe = daemon.docker if tool == "docker" else daemon.cli
            done = exe(*argv[:1], "-o", str(out), *argv[1:])
            assert done.returncode == 0, done.stderr
            assert stat.S_IMODE(out.stat().st_mode) == 0o600, (tool, argv)
