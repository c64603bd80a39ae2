"""The exceptions a command raises to end with a message or a status (cli/common prints them)."""

from __future__ import annotations


class CLIError(Exception):
    """Printed as is on stderr; exits with `code`."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class StatusExit(Exception):
    """Exit with a given status and no message (e.g. the container's own exit code)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code
