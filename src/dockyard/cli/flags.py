"""pflag-style flag splitting (flags stop at the first positional) and the value
parsers Docker's flags share: sizes, durations, env and label files."""

from __future__ import annotations

import os

from .errors import CLIError

TYPE_CHECKING = False  # argparse is imported by the parser's owner, when one is needed
if TYPE_CHECKING:
    import argparse

_TRUE = ("1", "t", "T", "true", "TRUE", "True")


_FALSE = ("0", "f", "F", "false", "FALSE", "False")


def split_args(
    p: argparse.ArgumentParser, argv: list[str], interspersed: bool = False
) -> tuple[list[str], list[str], dict[str, bool]]:
    """Split like pflag with SetInterspersed(false): flags stop at the first positional.

    Returns (flags normalised to `--long=value` for argparse, positionals, bool flags set
    explicitly with `--flag=false`/`=true`). Values may then start with "-" safely.
    """
    actions = p._option_string_actions  # argparse keeps no public lookup table
    flags: list[str] = []
    rest: list[str] = []
    bools: dict[str, bool] = {}
    i = 0

    def long_name(action: argparse.Action) -> str:
        longs = [s for s in action.option_strings if s.startswith("--")]
        return longs[0] if longs else action.option_strings[0]

    def put(action: argparse.Action, value: str | None, shown: str) -> None:
        if action.nargs == 0:
            if value is None or value in _TRUE:
                flags.append(long_name(action))
                bools[action.dest] = True
            elif value in _FALSE:
                bools[action.dest] = False
            else:
                shown = ", ".join(n for n in action.option_strings if len(n) == 2)
                shown = ", ".join(filter(None, [shown, long_name(action)]))
                p.error(
                    f'invalid argument "{value}" for "{shown}" flag: strconv.ParseBool: '
                    f'parsing "{value}": invalid syntax'
                )
        else:
            flags.append(f"{long_name(action)}={value}")

    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            rest.extend(argv[i:])
            break
        if not arg.startswith("-") or arg == "-":
            rest.append(arg)
            if interspersed:
                continue
            rest.extend(argv[i:])
            break
        if arg.startswith("--"):
            name, eq, value = arg.partition("=")
            action = actions.get(name)
            if action is None:
                p.error(f"unknown flag: {name}")
            if action.nargs == 0 or eq:
                put(action, value if eq else None, name)
            elif i < len(argv):
                put(action, argv[i], name)
                i += 1
            else:
                p.error(f"flag needs an argument: {name}")
            continue
        j = 1
        while j < len(arg):
            c = arg[j]
            action = actions.get("-" + c)
            if action is None:
                if c in ("h",):
                    p.print_help()
                    raise SystemExit(0)
                p.error(f"unknown shorthand flag: '{c}' in {arg}")
            if action.nargs == 0:
                if arg[j + 1 : j + 2] == "=":
                    put(action, arg[j + 2 :], "-" + c)
                    break
                put(action, None, "-" + c)
                j += 1
                continue
            value = arg[j + 1 :]
            if value.startswith("="):
                value = value[1:]
            if not value:
                if i >= len(argv):
                    p.error(f"flag needs an argument: '{c}' in -{c}")
                value = argv[i]
                i += 1
            put(action, value, "-" + c)
            break
    return flags, rest, bools


def parse_with(
    p: argparse.ArgumentParser, argv: list[str], interspersed: bool = False
) -> tuple[argparse.Namespace, list[str]]:
    flags, rest, bools = split_args(p, argv, interspersed)
    ns = p.parse_args(flags)
    for dest, value in bools.items():
        setattr(ns, dest, value)
    ns._explicit = set(bools)
    for item in flags:
        name = item.split("=", 1)[0]
        action = p._option_string_actions.get(name)
        if action is not None:
            ns._explicit.add(action.dest)
    return ns, rest


class FlagError(Exception):
    """A bad flag value; reported like pflag: invalid argument "v" for "-x, --y" flag: why."""


def flag_error(p: argparse.ArgumentParser, flag: str, value: str, why: str) -> None:
    p.error(f'invalid argument "{value}" for "{flag}" flag: {why}')


def ram_in_bytes(value: str) -> int:
    """go-units RAMInBytes with its error texts."""
    import re

    m = re.fullmatch(r"(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?", value)
    if m is None:
        suffix = re.match(r"[\d.]*\s?(.*)", value)
        tail = suffix.group(1) if suffix else value
        if not re.match(r"\d", value):
            raise FlagError(f"invalid size: '{value}'")
        raise FlagError(f"invalid suffix: '{tail}'")
    mult = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}
    return int(float(m.group(1)) * mult[(m.group(2) or "").lower()])


def read_kv_file(path: str) -> list[str]:
    """--env-file / --label-file lines: comments and blanks skipped, bare names looked up."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read()
    except OSError as exc:
        raise CLIError(f"open {path}: {(exc.strerror or str(exc)).lower()}", 125) from None
    out = []
    for line in text.splitlines():
        line = line.lstrip(" \t")
        if not line or line.startswith("#"):
            continue
        name, eq, value = line.partition("=")
        if any(c in name for c in " \t\n\v\f\r"):
            raise CLIError(f"variable '{name}' contains whitespaces", 125)
        if not name:
            raise CLIError(f"no variable name on line '{line}'", 125)
        if eq:
            out.append(f"{name}={value}")
        elif name in os.environ:
            # a bare name takes its value from our environment, or is dropped (both files)
            out.append(f"{name}={os.environ[name]}")
    return out


def env_value(value: str) -> str:
    name, eq, _ = value.partition("=")
    if name == "":
        raise FlagError(f"invalid environment variable: {value}")
    if not eq and name in os.environ:
        return f"{name}={os.environ[name]}"
    return value
