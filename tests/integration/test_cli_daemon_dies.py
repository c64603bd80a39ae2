"""The CLI turns a daemon that dies mid-request into one error line and exit 1 (issue 16,
item 2): `dockyard pull` and `dockyard build` against a private daemon SIGKILLed while they run."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import daemon_harness  # noqa: E402

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]


@pytest.fixture
def dyd(tmp_path: Path) -> Iterator[Any]:
    d = daemon_harness.TestDaemon(tmp_path / "d")
    try:
        d.start()
        yield d
    finally:
        d.stop()


@pytest.fixture
def stuck_registry() -> Iterator[str]:
    """A registry that accepts connections and never answers: a pull waits forever."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(2)
        for s in held:
            s.close()
        server.close()


SCRIPT = "echo started; sleep 60"


def kill_during(
    d: Any, args: list[str], ready: str, cwd: Path | None = None, settle: float = 0.5
) -> tuple[int, str]:
    """Run `dockyard args`, SIGKILL the daemon once stdout+stderr show `ready` (or after 3 s
    more), return the CLI's exit code and its stderr."""
    out_path = (cwd or Path("/tmp")) / f"cli-{os.getpid()}.out"
    with open(out_path, "w+") as out:
        proc = subprocess.Popen(
            [str(daemon_harness.VENV_BIN / "dockyard"), *args],
            env=d.env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while ready not in out_path.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, out_path.read_text()
            time.sleep(0.1)
        time.sleep(settle)
        d.kill(signal.SIGKILL)
        code = proc.wait(30)
        text = out_path.read_text()
    out_path.unlink()
    return code, text


def test_pull_reports_unexpected_eof(dyd: Any, stuck_registry: str) -> None:
    code, out = kill_during(dyd, ["pull", f"{stuck_registry}/some/image:1"], "", settle=2)
    assert code == 1, out
    assert "Traceback" not in out and out.strip().splitlines()[-1] == "unexpected EOF", out


def test_build_reports_unexpected_eof(dyd: Any, tmp_path: Path) -> None:
    dyd.load_image("busybox")
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo started && sleep 60\n")
    code, out = kill_during(dyd, ["build", "-t", "dies", str(tmp_path)], "started", tmp_path)
    assert code == 1, out
    assert "Traceback" not in out and out.strip().splitlines()[-1] == "unexpected EOF", out


def test_logs_follow_reports_unexpected_eof(dyd: Any) -> None:
    dyd.load_image("busybox")
    assert dyd.cli("run", "-d", "--name", "follow", "busybox", "sh", "-c", SCRIPT).returncode == 0
    code, out = kill_during(dyd, ["logs", "-f", "follow"], "started")
    assert code == 1, out
    assert "Traceback" not in out and out.strip().splitlines()[-1] == "unexpected EOF", out


def test_run_attached_reports_one_line(dyd: Any) -> None:
    dyd.load_image("busybox")
    code, out = kill_during(
        dyd, ["run", "--name", "attached", "busybox", "sh", "-c", SCRIPT], "started"
    )
    assert code == 125, out  # docker run: "error waiting for container: unexpected EOF", 125
    last = out.strip().splitlines()[-1]
    assert "Traceback" not in out and last.endswith("error waiting for container: unexpected EOF")


def test_rm_after_the_daemon_died_is_one_line(dyd: Any) -> None:
    dyd.kill(signal.SIGKILL)
    proc = dyd.cli("rm", "x")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
