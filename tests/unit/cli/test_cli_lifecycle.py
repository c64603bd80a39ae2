"""start, stop, restart, kill, rm, pause, unpause, wait: plain lines read without argparse
give the namespace argparse gives; anything else is left to argparse."""

from __future__ import annotations

import pytest

from dockyard.cli import lifecycle

# (reader, parser): the quick reader falls back to the parser, so each line is also read by
# the parser alone and the two namespaces compared; `quick_only` checks argparse was not used.
CASES = {
    "start": (lifecycle.start_args, lifecycle._start_parser),
    "stop": (lambda a: lifecycle.stop_args("stop", a), lambda: lifecycle._stop_parser("stop")),
    "restart": (
        lambda a: lifecycle.stop_args("restart", a),
        lambda: lifecycle._stop_parser("restart"),
    ),
    "kill": (lifecycle.kill_args, lifecycle._kill_parser),
    "rm": (lifecycle.rm_args, lifecycle._rm_parser),
    "pause": (lambda a: lifecycle.names_args("pause", a), lambda: lifecycle._names_parser("pause")),
    "wait": (lambda a: lifecycle.names_args("wait", a), lambda: lifecycle._names_parser("wait")),
}
QUICK = [
    ("start", ["web"]), ("start", ["-a", "web"]), ("start", ["-ai", "web"]),
    ("start", ["--interactive", "--attach", "a", "b"]), ("start", ["--detach-keys", "ctrl-x", "w"]),
    ("start", ["--detach-keys=ctrl-a,q", "w"]), ("stop", ["web"]), ("stop", ["-t", "0", "w"]),
    ("stop", ["--time=3", "a", "b"]), ("stop", ["--timeout", " 7", "w"]), ("stop", ["-s", "KILL", "w"]),
    ("restart", ["--signal=SIGTERM", "-t", "1", "w"]), ("restart", ["a", "b", "c"]),
    ("kill", ["web"]), ("kill", ["-s", "HUP", "a", "b"]), ("kill", ["--signal=9", "w"]),
    ("rm", ["web"]), ("rm", ["-f", "w"]), ("rm", ["-fv", "a", "b"]), ("rm", ["--force", "--link", "w"]),
    ("rm", ["a", "b", "-f"]), ("rm", ["-"]), ("pause", ["a", "b"]), ("wait", ["w"]),
]  # fmt: skip
LEFT_TO_ARGPARSE = [
    ("start", []), ("start", ["-d", "w"]), ("start", ["--detach-keys", "-x", "w"]),
    ("stop", ["-t", "x", "w"]), ("stop", ["-t", "-1", "w"]), ("stop", ["-t"]), ("stop", ["-t3", "w"]),
    ("stop", ["--tim", "3", "w"]), ("kill", ["-sHUP", "w"]), ("kill", ["w", "-s", "HUP", "x"]),
    ("rm", ["-fx", "w"]), ("rm", ["--force=1", "w"]), ("rm", ["--", "w"]), ("rm", ["a", "-f", "b"]),
    ("pause", []), ("pause", ["--help"]), ("wait", ["-a", "w"]),
]  # fmt: skip


def _no_argparse(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("argparse was used")

    monkeypatch.setattr(lifecycle, "parser", refuse)


@pytest.mark.parametrize("command,argv", QUICK)
def test_plain_lines_read_as_argparse_reads_them(
    monkeypatch: pytest.MonkeyPatch, command: str, argv: list[str]
) -> None:
    read, make_parser = CASES[command]
    expected = vars(make_parser().parse_args(argv))
    _no_argparse(monkeypatch)
    assert vars(read(argv)) == expected


@pytest.mark.parametrize("command,argv", LEFT_TO_ARGPARSE)
def test_other_lines_are_left_to_argparse(
    monkeypatch: pytest.MonkeyPatch, command: str, argv: list[str]
) -> None:
    read, _ = CASES[command]
    used = []

    def spy(command: str, usage: str | None = None) -> object:
        used.append(command)
        raise SystemExit(0)

    monkeypatch.setattr(lifecycle, "parser", spy)
    with pytest.raises(SystemExit):
        read(argv)
    assert used
