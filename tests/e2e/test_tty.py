"""`run -it`, `exec -it` and `attach` on a real pseudo-terminal, through the `docker` CLI and
`dockyard`: the hijacked stream carries keystrokes in and the shell's output back, the exit
code comes through, and ctrl-p ctrl-q detaches without stopping the container."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from testing.flowkit import Cli, Resources, tool_argv, wait_until  # noqa: E402

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]


class Terminal:
    """A client process on the slave side of a pty; we type on the master side."""

    def __init__(self, cli: Cli, *args: str, env: dict[str, str] | None = None) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            [*tool_argv(cli.tool), *args],
            env=dict(cli.daemon.env, TERM="xterm", **(env or {})),
            stdin=slave, stdout=slave, stderr=slave,
            start_new_session=True,
        )  # fmt: skip
        os.close(slave)
        self.seen = b""

    def type(self, data: bytes) -> None:
        os.write(self.master, data)

    def expect(self, needle: bytes, timeout: float = 15) -> bytes:
        deadline = time.monotonic() + timeout
        while needle not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{needle!r} not seen; got {self.seen!r}")
            ready, _, _ = select.select([self.master], [], [], min(left, 0.2))
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # EIO: the client closed the terminal
                    chunk = b""
                if not chunk and self.proc.poll() is not None:
                    raise AssertionError(f"client ended before {needle!r}; got {self.seen!r}")
                self.seen += chunk
        return self.seen

    def wait(self, timeout: float = 15) -> int:
        try:
            code = self.proc.wait(timeout)
            self.drain()
            return code
        finally:
            self.close()

    def drain(self) -> None:
        while select.select([self.master], [], [], 0.1)[0]:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                return
            if not chunk:
                return
            self.seen += chunk

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        try:
            os.close(self.master)
        except OSError:
            pass


def test_run_it_shell(cli: Cli, res: Resources) -> None:
    name = res.container("tty")
    term = Terminal(cli, "run", "-it", "--rm", "--name", name, "busybox", "sh")
    try:
        term.expect(b"# ")  # the prompt of a root shell on a terminal
        term.type(b"echo sum-$((40+2)); tty; stty size\r")
        out = term.expect(b"sum-42")
        term.expect(b"/dev/pts/")
        term.type(b"exit 7\r")
        assert term.wait() == 7, out
    finally:
        term.close()
    wait_until(lambda: not cli.exists(name), timeout=10, what="--rm container removed")


def test_exec_it_and_detach_keys(cli: Cli, res: Resources) -> None:
    name = res.container("ttyexec")
    cli.ok("run", "-dit", "--name", name, "busybox", "sh")
    term = Terminal(cli, "exec", "-it", name, "sh")
    try:
        term.expect(b"# ")
        term.type(b"echo in-exec > /tmp/mark; echo done-$((1+1))\r")
        term.expect(b"done-2")
        term.type(b"exit 3\r")
        assert term.wait() == 3
    finally:
        term.close()
    assert cli.ok("exec", name, "cat", "/tmp/mark") == "in-exec\n"

    # attach to the container's own shell, then ctrl-p ctrl-q leaves it running
    term = Terminal(cli, "attach", name)
    try:
        term.type(b"echo attached-$((2+3))\r")
        term.expect(b"attached-5")
        term.type(b"\x10\x11")
        code = term.wait()
        # docker's own CLI ends `attach` on the escape keys with "read escape sequence", exit 1
        assert code == 1 and b"read escape sequence" in term.seen, (code, term.seen)
    finally:
        term.close()
    assert cli.state(name) == "running"
    cli.ok("rm", "-f", name)


def test_run_it_detach_keys_leave_it_running(cli: Cli, res: Resources) -> None:
    name = res.container("ttydetach")
    term = Terminal(cli, "run", "-it", "--name", name, "busybox", "sh")
    try:
        term.expect(b"# ")
        term.type(b"echo before-detach > /tmp/state\r")
        term.type(b"\x10\x11")  # ctrl-p ctrl-q
        assert term.wait(timeout=8) == 0, term.seen  # docker run: detaching is not an error
    finally:
        term.close()
    assert cli.state(name) == "running"
    wait_until(lambda: cli.ok("exec", name, "cat", "/tmp/state") == "before-detach\n")
    # a custom sequence on attach
    term = Terminal(cli, "attach", "--detach-keys", "ctrl-x,x", name)
    try:
        term.type(b"echo again\r")
        term.expect(b"again")
        term.type(b"\x18x")
        term.wait()
    finally:
        term.close()
    assert cli.state(name) == "running"


def test_exec_detach_keys_from_the_docker_config(cli: Cli, res: Resources, tmp_path: Path) -> None:
    name = res.container("cfgkeys")
    cli.ok("run", "-d", "--name", name, *("busybox", "sleep", "600"))
    (tmp_path / "config.json").write_text('{"detachKeys": "ctrl-x,x"}')
    term = Terminal(cli, "exec", "-it", name, "sh", env={"DOCKER_CONFIG": str(tmp_path)})
    try:
        term.expect(b"# ")
        term.type(b"echo kept > /tmp/cfg; echo wrote-$((3+4))\r")
        term.expect(b"wrote-7")
        term.type(b"\x18x")  # ctrl-x x, the configured keys, ends the client
        code = term.wait(timeout=8)
        assert code == 1 and b"read escape sequence" in term.seen, (code, term.seen)
    finally:
        term.close()
    assert cli.state(name) == "running"
    assert cli.ok("exec", name, "cat", "/tmp/cfg") == "kept\n"
