"""Levenshtein distance: "did you mean" for mistyped commands and Dockerfile instructions.
Standard library only."""

from __future__ import annotations


def distance(a: str, b: str) -> int:
    """The fewest single-character insertions, deletions and substitutions from a to b."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]
