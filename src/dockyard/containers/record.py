"""A container's typed record: what the daemon knows of one container, as attributes.

Each part loads from (and dumps to) the Docker-shaped JSON the daemon has always stored, so
a daemon upgraded in place reads its old rows; keys a part does not model are kept as they
came (`other`) and written back unchanged. The inspect JSON is rendered from these parts in
containers/views.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..common.timefmt import ZERO_TIME

# (JSON key, attribute) of a part, in Docker's order.
Keys = tuple[tuple[str, str], ...]


def load_keys(d: dict[str, Any], keys: Keys) -> dict[str, Any]:
    """The constructor arguments for the keys `d` has."""
    return {attr: d[key] for key, attr in keys if key in d}


def dump_keys(obj: object, keys: Keys) -> dict[str, Any]:
    return {key: getattr(obj, attr) for key, attr in keys}


_STATE_KEYS: Keys = (
    ("Status", "status"),
    ("Running", "running"),
    ("Paused", "paused"),
    ("Restarting", "restarting"),
    ("OOMKilled", "oom_killed"),
    ("Dead", "dead"),
    ("Pid", "pid"),
    ("ExitCode", "exit_code"),
    ("Error", "error"),
    ("StartedAt", "started_at"),
    ("FinishedAt", "finished_at"),
)


@dataclass
class State:
    """Docker's container State. `health` is State.Health (None: no health check)."""

    status: str = "created"
    running: bool = False
    paused: bool = False
    restarting: bool = False
    oom_killed: bool = False
    dead: bool = False
    pid: int = 0
    exit_code: int = 0
    error: str = ""
    started_at: str = ZERO_TIME
    finished_at: str = ZERO_TIME
    health: dict[str, Any] | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> State:
        return cls(**load_keys(d, _STATE_KEYS), health=d.get("Health"))

    def to_dict(self) -> dict[str, Any]:
        out = dump_keys(self, _STATE_KEYS)
        if self.health is not None:
            out["Health"] = self.health
        return out

    def started(self, pid: int, at: str) -> None:
        self.status, self.running, self.paused, self.restarting = "running", True, False, False
        self.oom_killed, self.dead, self.pid, self.exit_code = False, False, pid, 0
        self.error, self.started_at, self.finished_at = "", at, ZERO_TIME

    def start_failed(self, exit_code: int, message: str) -> None:
        self.status = "created" if self.status == "created" else "exited"
        self.running, self.pid, self.exit_code, self.error = False, 0, exit_code, message

    def exited(self, code: int, oom: bool, at: str) -> None:
        self.status, self.running, self.paused, self.restarting = "exited", False, False, False
        self.oom_killed, self.pid, self.exit_code, self.finished_at = oom, 0, code, at

    def stop_restarting(self) -> None:
        self.restarting = False
        self.status = "exited"
