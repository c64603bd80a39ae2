"""Spawning conmon and speaking its pipe protocol.

conmon (API version 1) reports on `_OCI_SYNCPIPE` one JSON line per event:
`{"data": <pid>}` once the runtime created the process, or `{"data": -1, "message":
"<runc stderr>"}` on failure; in exec mode a second line carries the exit code. With
`--exec-attach`, it writes `{"data": 0}` on `_OCI_ATTACHPIPE` once the attach socket
listens, then waits for a byte on `_OCI_STARTPIPE` before running `runc exec`, so a client
can connect first and lose no output. Without `--sync`, conmon forks: the process we
spawn exits at once (after writing `--conmon-pidfile`) and the real monitor, a child of
init, keeps running when our daemon dies.
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from .errors import ContainerNotRunning, RuntimeStartError

CTL_RESIZE = 1  # messages on conmon's ctl fifo
CTL_REOPEN_LOGS = 2
SYNC_TIMEOUT = 60.0  # runc create on a loaded host can be slow; never hang forever


def runtime_error_text(stderr: str) -> str:
    """The error message of runc's stderr (JSON log lines, or plain text as a fallback)."""
    messages = []
    for line in stderr.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            messages.append(line)
            continue
        if isinstance(entry, dict) and entry.get("level") in ("error", "fatal", None):
            messages.append(str(entry.get("msg", line)))
    return messages[-1] if messages else stderr.strip()


class PipeReader:
    """Reads conmon's newline-delimited JSON messages from one pipe, with a deadline."""

    def __init__(self, fd: int):
        self.fd = fd
        self._buf = b""

    def read(self, timeout: float = SYNC_TIMEOUT) -> dict | None:
        """The next message, or None at EOF (conmon died without a word)."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeStartError("timed out waiting for conmon")
            poller = select.poll()  # not select(): daemon fds may exceed FD_SETSIZE
            poller.register(self.fd, select.POLLIN | select.POLLHUP)
            if not poller.poll(left * 1000):
                continue
            chunk = os.read(self.fd, 65536)
            if not chunk:
                if self._buf.strip():
                    break
                return None
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        try:
            msg = json.loads(line)
        except ValueError:
            raise RuntimeStartError(f"invalid message from conmon: {line!r}") from None
        return msg if isinstance(msg, dict) else None

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def spawn(
    conmon_path: str,
    args: Sequence[str],
    *,
    cwd: str,
    pipes: dict[str, int],
    start_fd: int | None = None,
) -> None:
    """Run conmon with `pipes` ({"_OCI_SYNCPIPE": fd, ...}, our child ends) and wait for
    its first process, which exits once the monitor has daemonized.

    With a start pipe conmon blocks before forking until it reads a byte: we write one on
    `start_fd` (our end) right away, since we have no cgroup to move it to first."""
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")}
    env.update({name: str(fd) for name, fd in pipes.items()})
    proc = subprocess.Popen(
        [conmon_path, *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        pass_fds=tuple(pipes.values()),
        close_fds=True,
        start_new_session=True,  # a terminal's ^C to the daemon must not reach conmon
    )
    for fd in pipes.values():
        os.close(fd)  # conmon owns the child ends now; EOF tells us it died
    if start_fd is not None:
        os.write(start_fd, b"0")
    try:
        _, err = proc.communicate(timeout=SYNC_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise RuntimeStartError("timed out waiting for conmon to start") from None
    if proc.returncode != 0:
        text = err.decode("utf-8", "replace").strip()
        raise RuntimeStartError(f"conmon failed: {text or f'exit status {proc.returncode}'}")


def pid_alive(pid: int | None, name: str = "conmon") -> bool:
    if not pid:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    # comm is in parentheses; a zombie ("Z") is as good as gone
    comm = stat[stat.index(b"(") + 1 : stat.rindex(b")")]
    state = stat[stat.rindex(b")") + 2 : stat.rindex(b")") + 3]
    return comm == name.encode() and state != b"Z"


def connect_attach(directory: Path) -> socket.socket:
    """Connect to conmon's attach socket in `directory`, whatever its path length."""
    dirfd = os.open(directory, os.O_PATH | os.O_CLOEXEC)
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            sock.connect(f"/proc/self/fd/{dirfd}/attach")
        except OSError:
            sock.close()
            raise
        return sock
    finally:
        os.close(dirfd)


def write_ctl(directory: Path, kind: int, height: int = 0, width: int = 0) -> None:
    """Send one control message on conmon's ctl fifo (resize or reopen-logs)."""
    try:
        fd = os.open(directory / "ctl", os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:  # ENXIO: no reader, conmon is gone
        raise ContainerNotRunning(f"container monitor is not running: {exc}") from None
    try:
        os.write(fd, f"{kind} {height} {width}\n".encode())
    finally:
        os.close(fd)
