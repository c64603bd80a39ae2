"""Run containers under conmon + runc, with monitors that outlive the daemon.

One `Runtime` object drives every container of a daemon. It is synchronous and
thread-safe (no shared mutable state; each call works on its container's own files), so
the container service may call it from worker threads.

Layout under `exec_root` (keep it short: it is a tmpfs path like /run/dockyard):

    runc/                 runc's --root (state.json per container), unless runtime_root
    exits/<cid>           conmon's --exit-dir: one file per exited container (exit code)
    c/<cid>/              conmon's --persist-dir and cwd: conmon.pid, pid, exit, oom,
                          bundle (path of the bundle), log (path of the log file)
    c/<cid>/exec/<eid>/   one exec session: process.json, pid, conmon.pid, exit, attach...

conmon creates `attach` (SOCK_SEQPACKET), `ctl` and `winsz` (fifos) in the *bundle*
directory (`--full-attach`), and we connect through /proc/self/fd/<dirfd>/attach so the
108-byte limit of unix socket paths never bites, whatever the bundle path length.

Container lifecycle:

    pid = rt.create(cid, bundle, tty=..., stdin=..., log_path=...)   # runc create
    sock = rt.attach(cid)                                            # optional, before start
    rt.start(cid)                                     # through the exec fifo (runc start)
    ...
    rt.exit_status(cid) -> ExitStatus(exit_code, finished_at, oom_killed) | None
    rt.delete(cid)

`create_and_start()` does both steps. Errors of runc come back as `RuntimeStartError`
whose `runtime_message` is runc's text (e.g. `runc create failed: unable to start container
process: exec: "nosuch": executable file not found in $PATH`) and whose `exit_code_hint`
is Docker's mapping (127 not found, 126 permission denied).

Attach protocol (conmon's attach socket, SOCK_SEQPACKET): every packet conmon sends is one
byte of stream id (2 = stdout, 3 = stderr; with a TTY everything is stdout) followed by the
data, at most 8192 data bytes per packet (receive with a buffer of 32 KiB). What we send is
written raw to the container's stdin (only if it was created with stdin=True). Shutting
down our write side (`sock.shutdown(SHUT_WR)`) is the stdin EOF: conmon closes the
container's stdin unless the container was created with `stdin_once=False`
(conmon's --leave-stdin-open, Docker's StdinOnce=false). The socket reaches EOF when the
container's output is closed (it exited).

Exit notifications: conmon writes `exits/<cid>` when the container exits (also when our
daemon was down). `rt.watch_exits(callback)` (an ExitWatcher) calls `callback(cid)` for
each exit file, those already there first (inotify, one thread for all containers).

Live restore: a new Runtime on the same exec_root sees everything; `rt.recover()` tells
for each container whether it still runs under its conmon, exited meanwhile, or lost its
monitor. Exec sessions reload with `ExecSession.load(rt, cid, exec_id)`.

Other calls: kill/pause/resume/state/list/running_ids/pids/update (runc), resize and
reopen_log (conmon's ctl fifo), rotate_log_if_needed (Docker's max-file > 1), exec_start.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import conmon, execfifo, stopped
from .conmon import CTL_REOPEN_LOGS, CTL_RESIZE, connect_attach, pid_alive, write_ctl
from .errors import ContainerNotRunning, RuntimeCommandError, RuntimeStartError

ATTACH_BUFSIZE = 32768 + 1
STREAM_STDOUT = 2
STREAM_STDERR = 3


@dataclass(frozen=True)
class ExitStatus:
    exit_code: int
    finished_at: float  # epoch seconds (mtime of conmon's exit file)
    oom_killed: bool

    def __iter__(self):  # unpacks as (exit_code, finished_at, oom_killed)
        return iter((self.exit_code, self.finished_at, self.oom_killed))


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


class Runtime:
    """Driver of conmon + runc for one daemon. See the module docstring."""

    def __init__(
        self,
        exec_root: Path,
        runtime_path: str = "/usr/sbin/runc",
        conmon_path: str = "/usr/bin/conmon",
        runtime_root: Path | None = None,
    ):
        self.exec_root = Path(exec_root)
        self.runtime_path = runtime_path
        self.conmon_path = conmon_path
        self.runtime_root = Path(runtime_root) if runtime_root else self.exec_root / "runc"
        self.exit_dir = self.exec_root / "exits"
        for d in (self.exec_root, self.runtime_root, self.exit_dir, self.exec_root / "c"):
            d.mkdir(parents=True, exist_ok=True, mode=0o700)

    # ----------------------------------------------------------------- paths

    def container_dir(self, cid: str) -> Path:
        if not cid or "/" in cid or cid.startswith("."):
            raise ValueError(f"invalid container id {cid!r}")
        return self.exec_root / "c" / cid

    def bundle_of(self, cid: str) -> Path:
        try:
            return Path((self.container_dir(cid) / "bundle").read_text())
        except OSError:
            raise ContainerNotRunning(f"no monitor state for container {cid}") from None

    def conmon_pid(self, cid: str) -> int | None:
        return _read_int(self.container_dir(cid) / "conmon.pid")

    def monitor_alive(self, cid: str) -> bool:
        """Is this container's conmon still running (e.g. after a daemon restart)?"""
        return pid_alive(self.conmon_pid(cid))

    # ----------------------------------------------------------------- runc

    def runc_args(self, *args: str) -> list[str]:
        return [self.runtime_path, "--root", str(self.runtime_root), "--log-format", "json", *args]

    def _runc(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.runc_args(*args),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            close_fds=True,
            timeout=timeout,
        )

    def _runc_checked(self, cid: str, *args: str) -> None:
        res = self._runc(*args)
        if res.returncode != 0:
            text = conmon.runtime_error_text(res.stderr.decode("utf-8", "replace"))
            if "does not exist" in text or "not running" in text or "stopped" in text:
                raise ContainerNotRunning(f"container {cid} is not running: {text}")
            raise RuntimeCommandError(f"runc {args[0]} failed: {text}")

    # ----------------------------------------------------------------- lifecycle

    def create(
        self,
        cid: str,
        bundle: Path,
        *,
        tty: bool,
        stdin: bool,
        log_path: Path,
        log_max_size: int | None = None,
        stdin_once: bool = True,
        name: str | None = None,
    ) -> int:
        """Start conmon, which runs `runc create`; returns the container's pid.

        The process waits in runc's exec fifo until `start()`. `log_max_size` is passed to
        conmon, which *replaces* the file when it would grow past it (content is lost): use
        it only for max-file=1; for rotation with several files see `reopen_log()`.
        """
        cdir = self.container_dir(cid)
        if cdir.exists():
            self._remove_files(cid)
        cdir.mkdir(parents=True, mode=0o700)
        bundle = Path(bundle).resolve()
        (cdir / "bundle").write_text(str(bundle))
        (cdir / "log").write_text(str(log_path))
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        args = [
            "--api-version", "1",
            "-c", cid,
            "-u", cid,
            "-n", name or cid,
            "-r", self.runtime_path,
            "-b", str(bundle),
            "-p", str(cdir / "pid"),
            "-P", str(cdir / "conmon.pid"),
            "-l", f"k8s-file:{log_path}",
            "--exit-dir", str(self.exit_dir),
            "--persist-dir", str(cdir),
            "--socket-dir-path", str(cdir),
            "--full-attach",
            "--runtime-arg", "--root", "--runtime-arg", str(self.runtime_root),
            "--runtime-arg", "--log-format=json",
        ]  # fmt: skip
        if tty:
            args.append("-t")
        if stdin:
            args.append("-i")
            if not stdin_once:
                args.append("--leave-stdin-open")
        if log_max_size and log_max_size > 0:
            args += ["--log-size-max", str(log_max_size)]
        sync_r, sync_w = os.pipe2(os.O_CLOEXEC)
        reader = conmon.PipeReader(sync_r)
        try:
            conmon.spawn(self.conmon_path, args, cwd=str(cdir), pipes={"_OCI_SYNCPIPE": sync_w})
            msg = reader.read()
            if msg is None:
                raise RuntimeStartError("conmon exited without reporting the container's pid")
            pid = int(msg.get("data", -1))
            if pid <= 0:
                text = conmon.runtime_error_text(str(msg.get("message", "")))
                raise RuntimeStartError(text or "OCI runtime create failed")
        except BaseException:
            # nothing of a failed create may linger: runc state, conmon, our files
            self._runc("delete", "--force", cid)
            pid_c = self.conmon_pid(cid)
            if pid_alive(pid_c):
                os.kill(pid_c, signal.SIGKILL)  # type: ignore[arg-type]
            self._remove_files(cid)
            raise
        finally:
            reader.close()
        return pid

    def start(self, cid: str, pid: int | None = None) -> None:
        """Let the created process (`pid`, read from conmon's file when not given) exec its
        command: through runc's exec fifo ourselves (see execfifo), else `runc start`."""
        fifo = str(self.runtime_root / cid / "exec.fifo")
        fd = execfifo.open_fifo(fifo)
        if pid is None and fd is not None:
            pid = _read_int(self.container_dir(cid) / "pid")
        if fd is not None and pid:
            execfifo.release(fd, fifo, pid, conmon.SYNC_TIMEOUT)
            return
        if fd is not None:
            os.close(fd)
        res = self._runc("start", cid)
        if res.returncode != 0:
            text = conmon.runtime_error_text(res.stderr.decode("utf-8", "replace"))
            raise RuntimeStartError(text or "OCI runtime start failed")

    def create_and_start(
        self,
        cid: str,
        bundle: Path,
        before_start: Callable[[], None] | None = None,
        **create_args: Any,
    ) -> int:
        """`create()` (with its keyword arguments), `before_start()` (work that must be
        done before the command runs, e.g. its network), then `start()`; the pid. A
        failure of either leaves nothing behind."""
        pid = self.create(cid, bundle, **create_args)
        try:
            if before_start is not None:
                before_start()
            self.start(cid, pid)
        except BaseException:
            self.delete(cid, force=True)
            raise
        return pid

    def exit_status(self, cid: str) -> ExitStatus | None:
        """How the container ended, from conmon's exit file; None while it runs.

        An exit code of -1 means conmon could not learn it (e.g. it was killed itself)."""
        path = self.container_dir(cid) / "exit"
        try:
            text = path.read_text().strip()
            mtime = path.stat().st_mtime
        except OSError:
            return None
        try:
            code = int(text)
        except ValueError:
            return None  # conmon writes atomically; a torn read means "not yet"
        oom = (self.container_dir(cid) / "oom").exists()
        return ExitStatus(code, mtime, oom)

    def wait(self, cid: str, timeout: float | None = None) -> ExitStatus | None:
        """Block until the container exits (or timeout); for tests and simple callers.
        The daemon should prefer ExitWatcher, which needs no thread per container."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.005
        while True:
            status = self.exit_status(cid)
            if status is not None:
                return status
            if not self.monitor_alive(cid) and self.exit_status(cid) is None:
                return ExitStatus(-1, time.time(), False)
            if deadline is not None and time.monotonic() >= deadline:
                return None
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def kill(self, cid: str, sig: int = signal.SIGTERM, all: bool = False) -> None:  # noqa: A002
        """Send `sig` to the container's init (or every process with all=True)."""
        args = ["kill"] + (["--all"] if all else []) + [cid, str(int(sig))]
        self._runc_checked(cid, *args)

    def pause(self, cid: str) -> None:
        self._runc_checked(cid, "pause", cid)

    def resume(self, cid: str) -> None:
        self._runc_checked(cid, "resume", cid)

    def state(self, cid: str) -> dict | None:
        """runc's state (id, pid, status: created/running/paused/stopped, ...) or None."""
        res = self._runc("state", cid)
        if res.returncode != 0:
            return None
        try:
            return json.loads(res.stdout)
        except ValueError:
            return None

    def pids(self, cid: str) -> list[int]:
        """Host pids of every process of the container (for `top`)."""
        res = self._runc("ps", "--format", "json", cid)
        if res.returncode != 0:
            return []
        try:
            return [int(p) for p in json.loads(res.stdout or b"[]") or []]
        except (ValueError, TypeError):
            return []

    def update(self, cid: str, resources: dict) -> None:
        """Change resource limits of a running container (see cgroups.update_resources)."""
        from .cgroups import update_resources

        update_resources(self, cid, resources)

    def list(self) -> dict[str, dict]:
        """Every container runc knows, by id."""
        res = self._runc("list", "--format", "json")
        if res.returncode != 0:
            return {}
        try:
            return {c["id"]: c for c in json.loads(res.stdout or b"null") or []}
        except (ValueError, KeyError, TypeError):
            return {}

    def running_ids(self) -> list[str]:
        """Containers that are running or paused (live restore: re-adopt these)."""
        return [cid for cid, c in self.list().items() if c.get("status") in ("running", "paused")]

    def exited_ids(self) -> list[str]:
        """Containers with an exit file not yet consumed by delete()."""
        try:
            from .exitwatch import _is_exit_file

            return sorted(p.name for p in self.exit_dir.iterdir() if _is_exit_file(p.name))
        except OSError:
            return []

    def recover(self) -> dict[str, str]:
        """After a daemon (re)start: what became of every container we have files for.

        "running"/"paused": its conmon lives, adopt it (its exit file will come);
        "exited": it ended while we were away, exit_status() says how;
        "lost": runc runs it but its conmon is gone, so no exit code will ever be written:
                kill and delete it (or poll state());
        "created": left between create and start (daemon died in between): delete it;
        "gone": nothing left in runc and no exit file: delete() to clean up."""
        out: dict[str, str] = {}
        runc = self.list()
        try:
            ids = [p.name for p in (self.exec_root / "c").iterdir() if p.is_dir()]
        except OSError:
            ids = []
        for cid in ids:
            status = (runc.get(cid) or {}).get("status")
            if self.exit_status(cid) is not None:
                out[cid] = "exited"
            elif status in ("running", "paused"):
                out[cid] = status if self.monitor_alive(cid) else "lost"
            elif status == "created":
                out[cid] = "created"
            else:
                out[cid] = "gone"
        return out

    def watch_exits(self, callback):
        """Start an ExitWatcher calling `callback(cid)` for each exited container
        (existing exit files first). Stop it with `.stop()`."""
        from .exitwatch import ExitWatcher

        return ExitWatcher(self.exit_dir, callback)

    def delete(self, cid: str, force: bool = False) -> None:
        """Remove the container from runc and all our files for it (not the bundle/log).

        force=True kills a running container first (SIGKILL) and waits for its monitor."""
        pid = self.conmon_pid(cid)
        # The runtime keeps a directory per container under its --root (runc, crun): with
        # none and no monitor, `delete` would only answer "does not exist". Every start
        # clears a previous run this way, and a fresh container has none: skip the exec.
        # A container that ended plainly needs no exec either (see stopped.py).
        state_dir = self.runtime_root / cid
        if state_dir.exists():
            need_runtime = not stopped.remove_stopped(state_dir)
        else:
            need_runtime = pid_alive(pid)
        if need_runtime:
            res = self._runc("delete", *(["--force"] if force else []), cid)
            if res.returncode != 0:
                text = conmon.runtime_error_text(res.stderr.decode("utf-8", "replace"))
                if "does not exist" not in text:
                    raise RuntimeCommandError(f"runc delete failed: {text}")
        deadline = time.monotonic() + 5
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.01)  # let conmon drain logs and write its exit file
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)  # type: ignore[arg-type]
        self._remove_files(cid)

    def _remove_files(self, cid: str) -> None:
        cdir = self.container_dir(cid)
        try:
            bundle = Path((cdir / "bundle").read_text())
            for name in ("attach", "ctl", "winsz"):
                (bundle / name).unlink(missing_ok=True)
        except OSError:
            pass
        shutil.rmtree(cdir, ignore_errors=True)
        (self.exit_dir / cid).unlink(missing_ok=True)

    # ----------------------------------------------------------------- I/O

    def attach(self, cid: str) -> socket.socket:
        """A socket connected to the container's conmon (see the attach protocol above)."""
        return connect_attach(self.bundle_of(cid))

    def resize(self, cid: str, height: int, width: int) -> None:
        """Resize the container's TTY."""
        write_ctl(self.bundle_of(cid), CTL_RESIZE, height, width)

    def reopen_log(self, cid: str) -> None:
        """Ask conmon to start a new log file at the log path (after we renamed the old
        one away for rotation: conmon keeps writing into the renamed file until then)."""
        write_ctl(self.bundle_of(cid), CTL_REOPEN_LOGS)

    def rotate_log_if_needed(self, cid: str, max_size: int, max_file: int) -> bool:
        """Docker's max-size/max-file for max-file > 1 (create without log_max_size, then
        call this periodically): when the log reached max_size, shift the files and make
        conmon reopen. Records written meanwhile go to `log.1`: nothing is lost."""
        from .logfile import needs_rotation, rotate

        path = str(self.log_path(cid))
        if max_file < 2 or not needs_rotation(path, max_size):
            return False
        rotate(path, max_file)
        self.reopen_log(cid)
        return True

    def log_path(self, cid: str) -> Path:
        return Path((self.container_dir(cid) / "log").read_text())

    # ----------------------------------------------------------------- exec

    def exec_start(
        self,
        cid: str,
        process: dict,
        *,
        tty: bool,
        stdin: bool,
        detach: bool = False,
        exec_id: str | None = None,
    ):
        """Run `process` (an OCI process object) in the running container under its own
        conmon, so the session survives a daemon restart. Returns an ExecSession whose
        `socket` is already connected (unless detach) before the process starts."""
        from .execsession import start_exec

        return start_exec(self, cid, process, tty=tty, stdin=stdin, detach=detach, exec_id=exec_id)
