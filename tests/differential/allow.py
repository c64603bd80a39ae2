"""Differences kept on purpose. Each entry names the steps (a regular expression on the
step's words, placeholders left in), the difference (a regular expression on its text, see
compare.py), the clients it applies to, and why it is kept."""

from __future__ import annotations

import re
from dataclasses import dataclass

BOTH = ("dockyard", "docker-cli")


@dataclass(frozen=True)
class Allowed:
    step: str
    diff: str
    why: str
    clients: tuple[str, ...] = BOTH

    def covers(self, client: str, step_key: str, diff: str) -> bool:
        return client in self.clients and bool(re.search(self.step, step_key)) and bool(re.search(self.diff, diff))


ALLOWED: tuple[Allowed, ...] = (
)


def allowed(client: str, step_key: str, diff: str) -> Allowed | None:
    return next((a for a in ALLOWED if a.covers(client, step_key, diff)), None)
