"""The simplest command lines read without argparse (its import and a parser cost ~10 ms).

A command offers the switches (and the valued flags) it takes; a line made only of those
(long, short or bundled short switches; `--flag value`, `--flag=value`, `-f value`) and
the positionals it expects is read here. Anything else (a value that looks like a flag,
`-fvalue`, unknown or abbreviated flags, `--`, help) goes to the command's argparse
parser, which owns every error message.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from .common import ArgumentParser


def parser(command: str, usage: str | None = None) -> ArgumentParser:
    """cli.common's parser: argparse loads only for the command lines that need it."""
    from .common import parser as argparse_parser

    return argparse_parser(command, usage=usage)


class Flags:
    """The switches that were given, as attributes (False when absent), and the values of
    the valued flags (None when absent)."""

    def __init__(self, names: set[str], given: set[str], values: dict[str, str | None]) -> None:
        for name in names:
            setattr(self, name, name in given)
        for name, value in values.items():
            setattr(self, name, value)


def switches_only(
    argv: list[str],
    switches: dict[str, str],
    interspersed: bool = True,
    values: dict[str, str] | None = None,
) -> tuple[Flags, list[str]] | None:
    """argv as (flags given, positionals), or None when argparse must read it.

    Positionals parted by flags (`a -s b`) are left to argparse too: it takes only the first
    run of them for a `nargs="+"` argument and reports the rest.

    `switches` maps "-a" and "--all" to a name, `values` does the same for flags that take
    a value (the last one given wins, as with argparse). Without `interspersed`, the first
    positional ends the flags (exec's CONTAINER COMMAND...): what follows is kept as typed.
    """
    values = values or {}
    shorts = {k[1]: v for k, v in switches.items() if len(k) == 2}
    given: set[str] = set()
    got: dict[str, str | None] = dict.fromkeys(values.values())
    positionals: list[str] = []
    i = last = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name in values:
            if not eq:
                if i + 1 >= len(argv) or argv[i + 1].startswith("-"):
                    return None
                i += 1
                value = argv[i]
            got[values[name]] = value
        elif arg.startswith("--"):
            if arg not in switches:
                return None
            given.add(switches[arg])
        elif arg.startswith("-") and len(arg) > 1:
            if not all(ch in shorts for ch in arg[1:]):
                return None
            given.update(shorts[ch] for ch in arg[1:])
        elif interspersed:
            if positionals and last != i - 1:
                return None
            positionals.append(arg)
            last = i
        else:
            positionals = argv[i:]
            break
        i += 1
    return Flags(set(switches.values()), given, got), positionals
