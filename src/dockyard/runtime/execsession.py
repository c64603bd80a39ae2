"""Exec sessions: a process run in a container under its own conmon (`conmon --exec`).

Like a container, an exec session has a monitor that outlives the daemon, an attach socket
(same packet format as containers: first byte 2 stdout / 3 stderr), a ctl fifo for resize
and an exit file. Files live in `<exec_root>/c/<cid>/exec/<exec_id>/`.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import time
from pathlib import Path
from typing import Protocol

from . import conmon
from .errors import RuntimeStartError


class Runtime(Protocol):
    """What an exec session needs of the container runtime (monitor.Runtime is one)."""

    runtime_path: str
    runtime_root: Path
    conmon_path: str

    def container_dir(self, cid: str) -> Path: ...


class ExecSession:
    """Handle on one exec process.

    `socket` is the connected attach socket (None when started detached); `pid` the host pid
    of the process. The session can be re-created after a daemon restart with
    `ExecSession.load(runtime, cid, exec_id)` (then `socket` is None; call `attach()`).
    """

    def __init__(self, cid: str, exec_id: str, directory: Path, pid: int, tty: bool):
        self.cid = cid
        self.exec_id = exec_id
        self.dir = directory
        self.pid = pid
        self.tty = tty
        self.socket: socket.socket | None = None

    @classmethod
    def load(cls, runtime: Runtime, cid: str, exec_id: str) -> ExecSession:
        d = runtime.container_dir(cid) / "exec" / exec_id
        meta = json.loads((d / "session.json").read_text())
        return cls(cid, exec_id, d, int(meta["pid"]), bool(meta["tty"]))

    def attach(self) -> socket.socket:
        return conmon.connect_attach(self.dir)

    def resize(self, height: int, width: int) -> None:
        conmon.write_ctl(self.dir, conmon.CTL_RESIZE, height, width)

    def exit_code(self) -> int | None:
        """The exit code, or None while the process runs."""
        try:
            return int((self.dir / "exit").read_text().strip())
        except (OSError, ValueError):
            return None

    def running(self) -> bool:
        pid = None
        try:
            pid = int((self.dir / "conmon.pid").read_text())
        except (OSError, ValueError):
            pass
        return self.exit_code() is None and conmon.pid_alive(pid)

    def wait(self, timeout: float | None = None) -> int | None:
        """Block until the process exits; its exit code (-1 if the monitor died), or None
        on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.005
        while True:
            code = self.exit_code()
            if code is not None:
                return code
            if not self.running() and self.exit_code() is None:
                return -1
            if deadline is not None and time.monotonic() >= deadline:
                return None
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()
            self.socket = None

    def remove(self) -> None:
        """Forget the session's files (after it exited)."""
        self.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def start_exec(
    runtime: Runtime,
    cid: str,
    process: dict,
    *,
    tty: bool,
    stdin: bool,
    detach: bool,
    exec_id: str | None,
) -> ExecSession:
    exec_id = exec_id or secrets.token_hex(16)
    d = runtime.container_dir(cid) / "exec" / exec_id
    d.mkdir(parents=True, mode=0o700)
    spec = dict(process, terminal=tty)
    (d / "process.json").write_text(json.dumps(spec))
    args = [
        "--api-version", "1",
        "-c", cid,
        "-u", exec_id,
        "-n", cid,
        "-r", runtime.runtime_path,
        "-b", str(d),
        "-p", str(d / "pid"),
        "-P", str(d / "conmon.pid"),
        "-l", "none",
        "--exit-dir", str(d),
        "--persist-dir", str(d),
        "--socket-dir-path", str(d),
        "--full-attach",
        "--runtime-arg", "--root", "--runtime-arg", str(runtime.runtime_root),
        "--runtime-arg", "--log-format=json",
        "-e", "--exec-attach",
        "--exec-process-spec", str(d / "process.json"),
    ]  # fmt: skip
    if tty:
        args.append("-t")
    if stdin:
        args.append("-i")
    sync_r, sync_w = os.pipe2(os.O_CLOEXEC)
    start_r, start_w = os.pipe2(os.O_CLOEXEC)
    attach_r, attach_w = os.pipe2(os.O_CLOEXEC)
    sync, attached = conmon.PipeReader(sync_r), conmon.PipeReader(attach_r)
    sock: socket.socket | None = None
    try:
        conmon.spawn(
            runtime.conmon_path,
            args,
            cwd=str(d),
            pipes={"_OCI_SYNCPIPE": sync_w, "_OCI_STARTPIPE": start_r, "_OCI_ATTACHPIPE": attach_w},
            start_fd=start_w,
        )
        if attached.read() is None:
            raise RuntimeStartError("conmon exited before its attach socket was ready")
        if not detach:
            sock = conmon.connect_attach(d)
        os.write(start_w, b"0")  # now conmon may run `runc exec`
        msg = sync.read()
        if msg is None:
            raise RuntimeStartError("conmon exited without reporting the exec pid")
        pid = int(msg.get("data", -1))
        if pid <= 0:
            text = conmon.runtime_error_text(str(msg.get("message", "")))
            raise RuntimeStartError(text or "OCI runtime exec failed")
    except BaseException:
        if sock is not None:
            sock.close()
        shutil.rmtree(d, ignore_errors=True)
        raise
    finally:
        os.close(start_w)
        sync.close()
        attached.close()
    (d / "session.json").write_text(json.dumps({"pid": pid, "tty": tty}))
    session = ExecSession(cid, exec_id, d, pid, tty)
    session.socket = sock
    return session
