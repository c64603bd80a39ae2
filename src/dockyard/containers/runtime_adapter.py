"""The container service's view of the runtime: one conmon+runc driver per runtime name."""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import signal
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..runtime.errors import ContainerNotRunning, RuntimeStartError
from ..runtime.initsignal import signal_init
from ..runtime.logfile import needs_rotation
from ..runtime.monitor import Runtime
from ..runtime.survey import Survey, survey

log = logging.getLogger(__name__)


def _size_bytes(text: str | None) -> int | None:
    if not text:
        return None
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}  # Docker's RAMInBytes
    t = text.strip().lower().rstrip("b")
    mult = units.get(t[-1:], 1)
    digits = t[:-1] if t[-1:] in units else t
    try:
        return int(float(digits) * mult)
    except ValueError:
        return None


class RuntimeAdapter:
    def __init__(self, exec_root: Path, runtime_paths: dict[str, str], default: str) -> None:
        self._paths = runtime_paths
        self._default = default
        self.exec_root = exec_root
        self._runtimes: dict[str, Runtime] = {}
        # All runtimes share exec_root (exit dir, conmon state); runc state is per runtime.
        self.primary = self._get(self._default)
        self.exit_dir = self.primary.exit_dir
        # cid -> its log file, for the rotation check every running container gets twice a
        # second: a stat each, not two file reads more (runtime name, log path).
        self._log_paths: dict[str, str] = {}

    def _get(self, name: str) -> Runtime:
        rt = self._runtimes.get(name)
        if rt is None:
            root = self.exec_root / _root_name(name)
            rt = Runtime(self.exec_root, runtime_path=self._paths[name], runtime_root=root)
            self._runtimes[name] = rt
        return rt

    def _for(self, cid: str) -> Runtime:
        try:
            name = (self.primary.container_dir(cid) / "runtime").read_text().strip()
        except OSError:
            return self.primary
        return self._get(name) if name in self._paths else self.primary

    def cleanup(self, cid: str) -> None:
        """Forget a previous run of this container (runc state, exit files)."""
        rt = self._for(cid)
        with contextlib.suppress(Exception):
            rt.delete(cid, force=True)

    def start(
        self,
        cid: str,
        bundle: Path,
        *,
        tty: bool,
        stdin: bool,
        log_path: Path,
        log_opts: dict[str, str],
        runtime_name: str,
        stdin_once: bool = True,
        before_start: Callable[[], None] | None = None,
    ) -> int:
        rt = self._get(runtime_name)
        try:
            pid = rt.create_and_start(
                cid,
                bundle,
                before_start=before_start,
                tty=tty,
                stdin=stdin,
                log_path=log_path,
                log_max_size=_conmon_log_cap(log_opts),
                stdin_once=stdin_once,
            )
        except RuntimeStartError as exc:
            message = getattr(exc, "runtime_message", None) or str(exc)
            raise RuntimeStartError(_docker_start_message(message)) from None
        (rt.container_dir(cid) / "runtime").write_text(runtime_name)
        return pid

    def rotate_logs(self, cid: str, log_opts: dict[str, str]) -> None:
        """Docker's max-file > 1: shift log files once the current one reached max-size."""
        max_size = _size_bytes(log_opts.get("max-size"))
        max_file = int(log_opts.get("max-file") or 1)
        if not (max_size and max_size > 0 and max_file > 1):
            return
        with contextlib.suppress(OSError, ContainerNotRunning):
            path = self._log_paths.get(cid)
            if path is None:
                path = self._log_paths[cid] = str(self._for(cid).log_path(cid))
            if needs_rotation(path, rotate_at(max_size)):
                self._for(cid).rotate_log_if_needed(cid, rotate_at(max_size), max_file)

    def exit_status(self, cid: str) -> tuple[int, float, bool] | None:
        st = self._for(cid).exit_status(cid)
        if st is None:
            return None
        code = st.exit_code if st.exit_code >= 0 else 137
        return code, st.finished_at, st.oom_killed

    def survey(self) -> Survey:
        """What every runtime of ours runs, read in batches (see runtime.survey)."""
        roots = {self.primary.runtime_root: self.primary}
        for name in self._paths:
            if (self.exec_root / _root_name(name)).is_dir() and Path(self._paths[name]).exists():
                rt = self._get(name)
                roots.setdefault(rt.runtime_root, rt)
        return survey(roots.values(), self.exec_root)

    def kill(self, cid: str, sig: int, all_processes: bool = False, pid: int = 0) -> None:
        """`pid` (the container's init, as recorded): signalled straight when it is the
        init of the container's own PID namespace (all its processes go with a SIGKILL),
        else through the runtime."""
        if (sig == signal.SIGKILL or not all_processes) and signal_init(pid, cid, sig):
            return
        self._for(cid).kill(cid, sig, all=all_processes)

    def pause(self, cid: str) -> None:
        self._for(cid).pause(cid)

    def resume(self, cid: str) -> None:
        self._for(cid).resume(cid)

    def delete(self, cid: str, force: bool = False) -> None:
        self._log_paths.pop(cid, None)
        try:
            self._for(cid).delete(cid, force=force)
        except ContainerNotRunning:
            pass

    def attach_socket(self, cid: str) -> socket.socket:
        return self._for(cid).attach(cid)

    def resize(self, cid: str, height: int, width: int) -> None:
        with contextlib.suppress(OSError, ContainerNotRunning):
            self._for(cid).resize(cid, height, width)

    def pids(self, cid: str) -> list[int]:
        rt = self._for(cid)
        res = rt._runc("ps", "--format", "json", cid)
        if res.returncode != 0:
            return []
        try:
            return [int(p) for p in json.loads(res.stdout or b"[]") or []]
        except ValueError:
            return []

    def stats(self, cid: str) -> dict[str, Any]:
        from ..runtime.cgroups import read_stats

        return read_stats(cid)

    def update(self, cid: str, host_config: dict[str, Any]) -> None:
        from ..runtime.cgroups import update_resources
        from ..runtime.resources import build_resources

        update_resources(self._for(cid), cid, build_resources(host_config))

    def sweep_execs(self, cid: str) -> int:
        """After a daemon restart: drop the files of exec sessions whose process has ended
        (nobody is left to read them; a health probe cut short by the restart is one)."""
        dirs = _unused_exec_dirs(self._for(cid), cid)
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)
        return len(dirs)

    def exec_spawn(
        self, cid: str, process: dict[str, Any], tty: bool, stdin: bool, detach: bool, exec_id: str
    ) -> Any:
        rt = self._for(cid)
        try:
            return rt.exec_start(cid, process, tty=tty, stdin=stdin, detach=detach, exec_id=exec_id)
        except RuntimeStartError as exc:
            message = getattr(exc, "runtime_message", None) or str(exc)
            raise RuntimeStartError(_docker_exec_message(message)) from None


def _root_name(runtime: str) -> str:
    """runc's --root for this runtime, under the exec root."""
    return "runc" if runtime == "runc" else f"rt-{runtime}"


def _unused_exec_dirs(rt: Runtime, cid: str) -> list[Path]:
    from ..runtime.execsession import ExecSession

    base = rt.container_dir(cid) / "exec"
    found = []
    for d in base.iterdir() if base.is_dir() else []:
        try:
            session = ExecSession.load(rt, cid, d.name)
        except (OSError, ValueError, KeyError):
            found.append(d)  # never started: no session record
            continue
        if not session.running():
            found.append(d)
    return found


def rotate_at(max_size: int) -> int:
    """Shift files a quarter before conmon's cap (max-size) would start the file afresh and
    drop it: a container writing less than that per check loses nothing."""
    return max_size - max_size // 4


def _conmon_log_cap(log_opts: dict[str, str]) -> int | None:
    """conmon starts its file afresh at this size, dropping what it held, so no file ever
    exceeds max-size and the disk use is at most max-size x max-file, as Docker's. With
    several files we rotate before that ourselves (rotate_at, every half second); only a
    container writing more than a quarter of max-size between two checks loses lines."""
    max_size = _size_bytes(log_opts.get("max-size"))
    return max_size if max_size and max_size > 0 else None


def _docker_start_message(text: str) -> str:
    return (
        "failed to create task for container: failed to create shim task: OCI runtime "
        f"create failed: {text}: unknown"
    )


def _docker_exec_message(text: str) -> str:
    return f"OCI runtime exec failed: {text}: unknown"
