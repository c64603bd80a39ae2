"""Helpers the command modules share: IDs, filters, confirmations, per-name actions."""

from __future__ import annotations

import os
import sys

from ..client.api import APIError
from .context import Context
from .errors import CLIError

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def short_id(value: str) -> str:
    """stringid.TruncateID: drop an algorithm prefix, keep 12 characters."""
    return value.split(":", 1)[-1][:12]


def ellipsis(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def parse_filters(values: list[str]) -> dict[str, dict[str, bool]] | None:
    """-f k=v flags -> the filters JSON the docker CLI sends ({"k": {"v": true}})."""
    out: dict[str, dict[str, bool]] = {}
    for value in values:
        key, eq, val = value.partition("=")
        if not eq:
            raise CLIError("bad format of filter (expected name=value)", 125)
        out.setdefault(key.strip().lower(), {})[val] = True
    return out or None


def for_each(
    ctx: Context, names: list[str], action: Callable[[str], None], missing_ok: bool = False
) -> int:
    """Apply to each name; print it on success, the daemon's error otherwise (exit 1).

    `missing_ok` (rm -f, rmi -f): a name that does not exist is reported but is no failure,
    so `set -e` clean-up scripts go on, as with Docker.
    """
    failed = False
    for name in names:
        try:
            action(name)
        except APIError as exc:
            print(f"Error response from daemon: {exc.message}", file=sys.stderr)
            failed = failed or not (missing_ok and exc.status == 404)
            continue
        print(name)
    return 1 if failed else 0


def confirm(message: str) -> bool:
    sys.stdout.write(message + " [y/N] ")
    sys.stdout.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def split_repo_tag(ref: str) -> tuple[str, str]:
    if "@" in ref:
        return ref, ""
    name, sep, tag = ref.rpartition(":")
    if sep and "/" not in tag:
        return name, tag
    return ref, ""


def refuse_terminal(output: str | None, what: str) -> None:
    if not output and sys.stdout.isatty():
        raise CLIError("cowardly refusing to save to a terminal. Use the -o flag or redirect", 1)


def write_stream(chunks: Any, output: str | None, what: str) -> None:
    if output:  # a temporary file renamed into place, private to its owner, as Docker's
        tmp = output + ".dockyard-tmp"
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
            for chunk in chunks:
                f.write(chunk)
        os.replace(tmp, output)
        return
    out = sys.stdout.buffer
    for chunk in chunks:
        out.write(chunk)
    out.flush()


def start_error_code(message: str) -> int:
    """Docker's exit status for a failed start: 127 not found, 126 not executable."""
    if (
        "executable file not found" in message
        or "no such file or directory" in message
        or "system cannot find the file specified" in message
    ):
        return 127
    if "permission denied" in message or "is a directory" in message:
        return 126
    return 125


def print_deleted(title: str, names: list[str], reclaimed: int | None = None) -> None:
    """A prune's report: "Deleted X:" and one name a line, then the space reclaimed."""
    if names:
        print(f"Deleted {title}:")
        for name in names:
            print(name)
        print()
    if reclaimed is not None:
        from dockyard.common.humanize import human_size

        print(f"Total reclaimed space: {human_size(reclaimed)}")
