"""A process's /proc/<pid>/stat, read the one way the start and removal short cuts need."""

from __future__ import annotations


def stat_fields(pid: int) -> list[bytes] | None:
    """The fields after the command name (state first), or None when there is no such
    process. The name is skipped by its last ")": it may hold spaces and parentheses."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    return data[data.rindex(b")") + 2 :].split()


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    fields = stat_fields(pid)
    return fields is not None and fields[0] != b"Z"
