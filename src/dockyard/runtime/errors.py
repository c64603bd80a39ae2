"""Exceptions of the execution layer.

They subclass the shared `dockyard.errors` classes so the API layer maps them to Docker's
HTTP statuses without knowing about the runtime.
"""

from __future__ import annotations

from ..errors import InvalidParameter, NotFound, SystemError_


class SpecError(InvalidParameter, ValueError):
    """A HostConfig/Config value cannot be turned into an OCI spec (HTTP 400)."""


class RuntimeStartError(SystemError_):
    """conmon/runc could not create or start the process.

    `message` carries runc's own error text (e.g. `exec: "nosuch": executable file not
    found in $PATH`) so the container service can map it to exit code 127/126 as Docker does;
    `exit_code_hint` is that mapping, done once here.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.runtime_message = message

    @property
    def exit_code_hint(self) -> int:
        text = self.runtime_message
        if "executable file not found" in text or "no such file or directory" in text:
            return 127
        if "permission denied" in text:
            return 126
        return 128


class ContainerNotRunning(NotFound):
    """The runtime has no such container (or it already stopped)."""


class RuntimeCommandError(SystemError_):
    """A runc command (kill, pause, update, ...) failed; carries its stderr."""
