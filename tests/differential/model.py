"""The scenario description: commands as data, run unchanged against every engine.

A command is a list of words with placeholders that each run fills with its own values, so
runs never share names and can go side by side: `{p}` a unique name prefix, `{tmp}` a private
host directory, `{port}` a free host port. `check` says which parts of the output must have
Docker's shape (the exit code and the normalised stderr are always compared):

- "exact": stdout equal after normalisation (IDs, the prefix, ports, sizes and times masked);
- "table": the same header, the same number of rows and cells per row;
- "json": one JSON document; the same key sets and value types, recursively;
- "jsonl": one JSON document per line; the same number of lines and the same shapes;
- "lines": the same number of lines;
- "none": stdout not compared (timing-dependent texts).
"""

from __future__ import annotations

from dataclasses import dataclass, field

CHECKS = ("exact", "table", "json", "jsonl", "lines", "none")


@dataclass(frozen=True)
class Step:
    argv: tuple[str, ...]
    check: str = "exact"
    stdin: str | None = None
    # a step that only prepares what later steps need: a failure there stops the scenario
    setup: bool = False

    def __post_init__(self) -> None:
        assert self.check in CHECKS, self.check

    @property
    def key(self) -> str:
        """How the allow-list names this step: its words with placeholders left in."""
        return " ".join(self.argv)


NEXT_SECOND = "#next-second"


def next_second() -> Step:
    """Wait for the next whole second: the docker CLI turns `--until 0s` into whole seconds,
    so events of the current second would be left out at random."""
    return Step((NEXT_SECOND,), "none")


HTTP_GET = "#http-get"


def http_get(host: str) -> Step:
    """The status line a published port answers from the host (host: "[::1]:{port}")."""
    return Step((HTTP_GET, host), "exact")


def cmd(line: str | list[str], check: str = "exact", stdin: str | None = None, setup: bool = False) -> Step:
    import shlex

    argv = tuple(shlex.split(line)) if isinstance(line, str) else tuple(line)
    return Step(argv, check, stdin, setup)


@dataclass(frozen=True)
class Scenario:
    name: str
    steps: tuple[Step, ...]
    # run whatever happens (errors ignored, nothing compared): removes what the steps made
    cleanup: tuple[Step, ...] = field(default=())
