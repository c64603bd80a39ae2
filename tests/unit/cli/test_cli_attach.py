"""logs: plain lines read without argparse give the namespace argparse gives."""

from __future__ import annotations

import pytest

from dockyard.cli import attach

QUICK = [
    ["web"], ["-f", "web"], ["-ft", "web"], ["--details", "--follow", "--timestamps", "w"],
    ["-n", "10", "w"], ["--tail=all", "w"], ["--tail", "0", "-f", "w"], ["w", "--since", "10m"],
    ["--since=2024-01-01T00:00:00Z", "--until", "1h", "w"], ["-n", "5", "-n", "7", "w"],
]  # fmt: skip
LEFT = [[], ["a", "b"], ["-n"], ["-n", "-1", "w"], ["-n5", "w"], ["--tai", "3", "w"], ["-x", "w"],
        ["--", "w"], ["--follow=1", "w"], ["--help"]]  # fmt: skip


@pytest.mark.parametrize("argv", QUICK)
def test_plain_logs_lines_read_as_argparse_reads_them(
    monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    expected = vars(attach._logs_parser().parse_args(argv))
    monkeypatch.setattr(attach, "_logs_parser", None)  # argparse is not used
    assert vars(attach.logs_args(argv)) == expected


@pytest.mark.parametrize("argv", LEFT)
def test_other_logs_lines_are_left_to_argparse(
    monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    def refuse() -> None:
        raise LookupError("argparse")

    monkeypatch.setattr(attach, "_logs_parser", refuse)
    with pytest.raises(LookupError):
        attach.logs_args(argv)
