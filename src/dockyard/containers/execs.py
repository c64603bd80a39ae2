"""Exec sessions: POST /containers/{id}/exec, /exec/{id}/start, resize, inspect.

Each process runs under its own conmon (runtime.execsession), so it survives a daemon
restart; its I/O is pumped between the hijacked connection and conmon's attach socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import socket
import threading
from typing import TYPE_CHECKING, Any

from ..errors import Conflict, DockyardError, InvalidParameter, NotFound
from .attach import Encode, parse_detach_keys

if TYPE_CHECKING:
    from .exits import Event
    from .record import Container
    from .runtime_adapter import RuntimeAdapter
    from .store import ContainerStore

log = logging.getLogger(__name__)


class ExecSession:
    def __init__(self, container: Container, config: dict[str, Any]) -> None:
        self.id = secrets.token_hex(32)
        self.container = container
        self.config = config
        self.running = False
        self.exit_code: int | None = None
        self.pid = 0
        self.started = False
        self.handle: Any = None
        self.done = threading.Event()

    def inspect(self) -> dict[str, Any]:
        cfg = self.config
        cmd = cfg.get("Cmd") or []
        return {
            "ID": self.id,
            "Running": self.running,
            "ExitCode": self.exit_code,
            "ProcessConfig": {
                "tty": bool(cfg.get("Tty")),
                "entrypoint": cmd[0] if cmd else "",
                "arguments": cmd[1:],
                "privileged": bool(cfg.get("Privileged")),
                "user": cfg.get("User") or "",
            },
            "OpenStdin": bool(cfg.get("AttachStdin")),
            "OpenStderr": bool(cfg.get("AttachStderr")),
            "OpenStdout": bool(cfg.get("AttachStdout")),
            "CanRemove": False,
            "ContainerID": self.container.id,
            "DetachKeys": cfg.get("DetachKeys") or "",
            "Pid": self.pid,
        }


class ExecManager:
    """Every exec session of the daemon (kept in memory: they end with their container)."""

    def __init__(self, store: ContainerStore, runtime: RuntimeAdapter, event: Event) -> None:
        self.store = store
        self.runtime = runtime
        self.event = event
        self._sessions: dict[str, ExecSession] = {}
        self._lock = threading.Lock()

    def create(self, ref: str, body: dict[str, Any]) -> dict[str, str]:
        c = self.store.get(ref)
        if not isinstance(body, dict):
            raise InvalidParameter("invalid exec config")
        if not c.running:
            raise Conflict(f"Container {c.id} is not running")
        if c.state.paused:
            raise Conflict(f"Container {c.id} is paused, unpause the container before exec")
        cmd = body.get("Cmd")
        if not cmd or not isinstance(cmd, list):
            raise InvalidParameter("No exec command specified")
        if body.get("DetachKeys"):
            parse_detach_keys(body["DetachKeys"])
        session = ExecSession(c, body)
        with self._lock:
            self._sessions[session.id] = session
        c.record.exec_ids = (c.record.exec_ids or []) + [session.id]
        self.event(c, f"exec_create: {command_text(cmd)}", {"execID": session.id})
        return {"Id": session.id}

    def get(self, exec_id: str) -> ExecSession:
        with self._lock:
            s = self._sessions.get(exec_id)
        if s is None:
            raise NotFound(f"No such exec instance: {exec_id}")
        return s

    def forget(self, s: ExecSession) -> None:
        """Drop a finished session (the daemon's own, such as a health probe)."""
        with self._lock:
            self._sessions.pop(s.id, None)

    def finish(self, s: ExecSession, code: int) -> None:
        s.exit_code = code
        s.running = False
        s.done.set()
        c = s.container
        c.record.exec_ids = [i for i in (c.record.exec_ids or []) if i != s.id] or None
        self.event(c, "exec_die", {"execID": s.id, "exitCode": str(code)})

    def process_spec(self, s: ExecSession) -> dict[str, Any]:
        c = s.container
        bundle = json.loads((self.store.dir(c.id) / "config.json").read_text())
        proc = bundle["process"]
        cfg = s.config
        env = list(proc.get("env") or [])
        keys = {e.split("=", 1)[0]: i for i, e in enumerate(env)}
        for e in cfg.get("Env") or []:
            k = e.split("=", 1)[0]
            if k in keys:
                env[keys[k]] = e
            else:
                env.append(e)
        proc["env"] = env
        proc["args"] = list(cfg["Cmd"])
        proc["terminal"] = bool(cfg.get("Tty"))
        if proc["terminal"] and not any(e.startswith("TERM=") for e in env):
            env.append("TERM=xterm")
        if cfg.get("WorkingDir"):
            proc["cwd"] = cfg["WorkingDir"]
        if cfg.get("User"):
            from ..runtime.users import resolve_user

            uid, gid, extra = resolve_user(str(self.store.dir(c.id) / "merged"), cfg["User"])
            proc["user"] = {"uid": uid, "gid": gid, "additionalGids": extra}
        if cfg.get("Privileged"):
            from ..runtime.capabilities import host_capabilities

            caps = [f"CAP_{x}" if not x.startswith("CAP_") else x for x in host_capabilities()]
            proc["capabilities"] = {k: caps for k in ("bounding", "effective", "permitted")}
        proc.pop("consoleSize", None)
        return proc  # type: ignore[no-any-return]

    async def start(
        self,
        s: ExecSession,
        reader: asyncio.StreamReader | None,
        writer: asyncio.StreamWriter | None,
        detach: bool,
        tty: bool,
        encode: Encode | None = None,
    ) -> None:
        """Run the session; with a writer, pump I/O (its output put on the wire by
        `encode`) until the process ends."""
        stdin = bool(s.config.get("AttachStdin")) and not detach
        handle = await asyncio.to_thread(self.spawn, s, tty, stdin, detach or writer is None)
        if detach or writer is None:
            threading.Thread(target=self._reap, args=(s, handle), daemon=True).start()
            return
        assert encode is not None
        await self._pump(s, handle, reader, writer, tty, encode)

    def spawn(self, s: ExecSession, tty: bool, stdin: bool, detach: bool) -> Any:
        """Start the session's process under its conmon (blocking); its runtime handle.
        A process that cannot start ends the session (126) and raises Conflict with
        the runtime's message."""
        c = s.container
        if not c.running:
            raise Conflict(f"Container {c.id} is not running")
        s.started = True
        s.running = True
        try:
            proc_spec = self.process_spec(s)
        except DockyardError as exc:
            # dockerd: a user it cannot resolve fails the start with exit code 126
            self.finish(s, 126)
            raise Conflict(exc.message) from None
        self.event(c, f"exec_start: {command_text(s.config['Cmd'])}", {"execID": s.id})
        try:
            handle = self.runtime.exec_spawn(c.id, proc_spec, tty, stdin, detach, s.id[:32])
        except Exception as exc:
            message = getattr(exc, "message", None) or str(exc)
            # dockerd: any exec that cannot start (no binary, no cwd) ends with 126
            self.finish(s, 126)
            raise Conflict(message) from None
        s.pid = handle.pid
        s.handle = handle
        return handle

    def _reap(self, s: ExecSession, handle: Any) -> None:
        code = handle.wait()
        self.finish(s, code if code is not None and code >= 0 else 137)
        handle.remove()

    async def _pump(
        self,
        s: ExecSession,
        handle: Any,
        reader: asyncio.StreamReader | None,
        writer: asyncio.StreamWriter,
        tty: bool,
        encode: Encode,
    ) -> None:
        loop = asyncio.get_running_loop()
        sock = handle.socket
        sock.setblocking(False)
        keys = parse_detach_keys(s.config.get("DetachKeys"))
        want_stdin = bool(s.config.get("AttachStdin")) and reader is not None

        async def pump_out() -> None:
            # conmon's packets: one byte of stream id (2 stdout, 3 stderr), then data.
            while True:
                data = await loop.sock_recv(sock, 32 * 1024 + 1)
                if not data:
                    return
                sid, payload = data[0], data[1:]
                if not payload:
                    continue
                writer.write(encode(2 if sid == 3 else 1, payload))
                await writer.drain()

        async def pump_in() -> None:
            assert reader is not None
            matched = 0
            while True:
                data = await reader.read(32 * 1024)
                if not data:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_WR)
                    await asyncio.Event().wait()  # keep the session until output ends
                if tty:
                    for byte in data:
                        matched = matched + 1 if byte == keys[matched] else 0
                        if matched == len(keys):
                            raise _Detached
                await loop.sock_sendall(sock, data)

        out_task = asyncio.ensure_future(pump_out())
        in_task = asyncio.ensure_future(pump_in()) if want_stdin else None
        try:
            waits = {out_task} | ({in_task} if in_task else set())
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in (out_task, in_task):
                if t is not None and not t.done():
                    t.cancel()
            with contextlib.suppress(Exception):
                await writer.drain()
            if out_task.done() and not out_task.cancelled():
                code = await asyncio.to_thread(handle.wait, 10)
                self.finish(s, code if code is not None and code >= 0 else 137)
                handle.remove()
            else:
                threading.Thread(target=self._reap, args=(s, handle), daemon=True).start()
            writer.close()
            with contextlib.suppress(OSError):
                sock.close()

    def resize(self, s: ExecSession, h: int, w: int) -> None:
        handle = getattr(s, "handle", None)
        if handle is None or not s.config.get("Tty"):
            return
        with contextlib.suppress(OSError):
            handle.resize(h, w)


def command_text(cmd: list[str]) -> str:
    """How dockerd names an exec in its events: the entrypoint, a space, the arguments."""
    return f"{cmd[0]} {' '.join(cmd[1:])}"


class _Detached(Exception):
    pass
