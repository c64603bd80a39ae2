"""The one exception of compose: a message for the user, printed as Compose prints it."""

from __future__ import annotations


class ComposeError(Exception):
    """Bad input or a failed step; `str()` is the message Compose v2 prints."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def invalid_project(message: str) -> ComposeError:
    return ComposeError(f"{message}: invalid compose project")
