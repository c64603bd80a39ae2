"""How a refused start reaches the client: Docker's status codes and exit codes."""

from __future__ import annotations

from ..errors import DockyardError


class StartError(DockyardError):
    """The runtime refused to start the process; `exit_code` is Docker's 126/127/128."""

    status = 400

    def __init__(self, message: str, exit_code: int = 128) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def classify_start_error(text: str) -> tuple[int, int]:
    """(HTTP status, exit code) for a runtime error, as Docker reports them."""
    low = text.lower()
    if "executable file not found" in low or "no such file or directory" in low:
        return 400, 127
    if "permission denied" in low or "is a directory" in low:
        return 400, 126
    return 500, 128


class NotModifiedStart(DockyardError):
    status = 304
