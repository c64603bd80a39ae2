"""The simplest command lines read without argparse (its import and a parser cost ~10 ms).

A command offers the switches it takes; a line made only of those (long, short or bundled
short forms) and the positionals it expects is read here, anything else (values, unknown
flags, `--`, help) goes to the command's argparse parser, which owns every error message.
"""

from __future__ import annotations


class Flags:
    """The switches that were given, as attributes (False when absent)."""

    def __init__(self, names: set[str], given: set[str]) -> None:
        for name in names:
            setattr(self, name, name in given)


def switches_only(
    argv: list[str], switches: dict[str, str], interspersed: bool = True
) -> tuple[Flags, list[str]] | None:
    """argv as (switches given, positionals), or None when argparse must read it.

    `switches` maps "-a" and "--all" to a name. Without `interspersed`, the first positional
    ends the flags (exec's CONTAINER COMMAND...): what follows is kept as typed.
    """
    shorts = {k[1]: v for k, v in switches.items() if len(k) == 2}
    given: set[str] = set()
    positionals: list[str] = []
    for i, arg in enumerate(argv):
        if arg.startswith("--"):
            if arg not in switches:
                return None
            given.add(switches[arg])
        elif arg.startswith("-") and len(arg) > 1:
            if not all(ch in shorts for ch in arg[1:]):
                return None
            given.update(shorts[ch] for ch in arg[1:])
        elif interspersed:
            positionals.append(arg)
        else:
            positionals = argv[i:]
            break
    return Flags(set(switches.values()), given), positionals
