"""Switch-only command lines skip argparse; anything else is left to it."""

from __future__ import annotations

from dockyard.cli.quickargs import switches_only

PS = {"-a": "all", "--all": "all", "-q": "quiet", "--quiet": "quiet", "--no-trunc": "no_trunc"}
EXEC = {"-i": "interactive", "-t": "tty", "-d": "detach"}


def test_long_short_and_bundled_switches() -> None:
    got = switches_only(["-aq", "--no-trunc"], PS)
    assert got is not None
    flags, positionals = got
    assert (flags.all, flags.quiet, flags.no_trunc) == (True, True, True)  # type: ignore[attr-defined]
    assert positionals == []
    flags, _ = switches_only([], PS) or (None, None)
    assert flags is not None and not flags.all  # type: ignore[attr-defined]


def test_anything_else_goes_to_argparse() -> None:
    for argv in (
        ["a", "-q", "b"],
        ["-n", "3"],
        ["--format", "x"],
        ["-ax"],
        ["--help"],
        ["--all=1"],
        ["--"],
    ):
        assert switches_only(argv, PS) is None, argv


def test_flags_end_at_the_first_positional_when_not_interspersed() -> None:
    got = switches_only(["-it", "web", "ls", "-l", "--", "-x"], EXEC, interspersed=False)
    assert got is not None
    flags, rest = got
    assert flags.interactive and flags.tty and not flags.detach  # type: ignore[attr-defined]
    assert rest == ["web", "ls", "-l", "--", "-x"]
    assert switches_only(["-u", "root", "web", "id"], EXEC, interspersed=False) is None


def test_valued_flags_in_their_plain_forms() -> None:
    values = {"-f": "format", "--format": "format", "--type": "type"}
    got = switches_only(
        ["-a", "--format={{.ID}}", "w", "--type", "x", "-f", "last"], PS, values=values
    )
    assert got is not None
    flags, positionals = got
    assert (flags.all, flags.format, flags.type, positionals) == (True, "last", "x", ["w"])  # type: ignore[attr-defined]
    flags, _ = switches_only(["w"], PS, values=values) or (None, None)
    assert flags is not None and flags.format is None  # type: ignore[attr-defined]
    for argv in (["-f"], ["-f", "-a"], ["-fx"], ["-f=x"], ["--form", "x"], ["-af", "x"]):
        assert switches_only(argv, PS, values=values) is None, argv
