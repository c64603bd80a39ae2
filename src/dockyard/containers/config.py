"""What the container service is given by the daemon: its settings and how it publishes
events (the composition root fills these in from daemon.json and the flags)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# (type, action, actor id, attributes): the daemon's event bus.
Publish = Callable[[str, str, str, dict[str, str]], object]


@dataclass(frozen=True)
class ContainerConfig:
    data_root: Path  # containers live in <data_root>/containers
    exec_root: Path  # conmon and runc state (a tmpfs)
    default_runtime: str = "runc"
    runtime_paths: dict[str, str] = field(default_factory=lambda: {"runc": "/usr/sbin/runc"})
    log_opts: dict[str, str] = field(default_factory=dict)  # daemon.json log-opts
    # daemon.json seccomp-profile, for containers without a `seccomp=` option of their own:
    # "builtin", "unconfined" or the profile's JSON text (read once, at the daemon's start).
    default_seccomp: str = "builtin"
