"""Exec: one method per Engine API call under /containers/{id}/exec and /exec."""

from __future__ import annotations

from .api import Client, quote_ref

TYPE_CHECKING = False  # typing and socket cost milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from socket import socket
    from typing import Any


class Exec:
    def __init__(self, transport: Client) -> None:
        self._t = transport

    def create(
        self,
        container: str,
        cmd: list[str],
        user: str = "",
        privileged: bool = False,
        tty: bool = False,
        attach_stdin: bool = False,
        attach_stdout: bool = True,
        attach_stderr: bool = True,
        detach: bool = False,
        detach_keys: str = "",
        env: list[str] | None = None,
        workdir: str = "",
        console_size: list[int] | None = None,
    ) -> str:
        """POST /containers/{id}/exec.

        Args:
            detach: the process runs on its own (start it with start_detached).
            console_size: [rows, columns] of the TTY to start with.
        Returns:
            The exec ID.
        Raises:
            APIError: 404 no such container, 409 when it is not running.
        """
        body: dict[str, Any] = {
            "User": user,
            "Privileged": privileged,
            "Tty": tty,
            "AttachStdin": attach_stdin,
            "AttachStderr": attach_stderr,
            "AttachStdout": attach_stdout,
            "Detach": detach,
            "DetachKeys": detach_keys,
            "Env": env or None,
            "WorkingDir": workdir,
            "Cmd": cmd,
        }
        if console_size:
            body["ConsoleSize"] = console_size
        return self._t.post(f"/containers/{quote_ref(container)}/exec", body=body)["Id"]

    def start_detached(self, exec_id: str, tty: bool = False) -> None:
        """POST /exec/{id}/start with Detach: the process runs on its own."""
        body = {"Detach": True, "Tty": tty}
        self._t.request("POST", f"/exec/{exec_id}/start", body=body).read()

    def start(
        self, exec_id: str, tty: bool = False, console_size: list[int] | None = None
    ) -> socket:
        """POST /exec/{id}/start, hijacked.

        Returns:
            The raw socket: stdin goes in, stdcopy frames (or TTY bytes) come out.
        """
        body: dict[str, Any] = {"Detach": False, "Tty": tty}
        if console_size:
            body["ConsoleSize"] = console_size
        return self._t.hijack(f"/exec/{exec_id}/start", body=body)

    def resize(self, exec_id: str, height: int, width: int) -> None:
        """POST /exec/{id}/resize."""
        self._t.post(f"/exec/{exec_id}/resize", {"h": height, "w": width})

    def inspect(self, exec_id: str) -> dict[str, Any]:
        """GET /exec/{id}/json: Running, ExitCode, Pid, ProcessConfig."""
        return self._t.get(f"/exec/{exec_id}/json") or {}
