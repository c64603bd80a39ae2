"""What every command shares: the client (started on demand), flag parsing, errors."""

from __future__ import annotations

import argparse
import os
import sys

from ..client.api import APIError
from . import context
from .context import Context, run_command
from .errors import CLIError, StatusExit

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from typing import Any, NoReturn

__all__ = ["APIError", "CLIError", "Context", "StatusExit", "run_command"]


_COLUMNS: list[int] = []


def _terminal_columns() -> int:
    """shutil.get_terminal_size().columns: $COLUMNS, else the terminal on stdout, else 80."""
    if not _COLUMNS:
        try:
            columns = int(os.environ["COLUMNS"])
        except (KeyError, ValueError):
            columns = 0
        if columns <= 0:
            try:
                columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
            except (AttributeError, ValueError, OSError):
                columns = 0
        _COLUMNS.append(columns or 80)
    return _COLUMNS[0]


class ArgumentParser(argparse.ArgumentParser):
    """argparse with Docker's help and error style: `unknown flag`, exit 125 for flag errors.

    `add_help=False` (run/create, where -h is --hostname) still accepts `--help`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        short_help = kwargs.pop("add_help", True)
        super().__init__(*args, add_help=False, **kwargs)
        self._argv: list[str] | None = None
        names = ("-h", "--help") if short_help else ("--help",)
        self.add_argument(*names, action="help", help=argparse.SUPPRESS)

    def _get_formatter(self) -> argparse.HelpFormatter:
        # argparse makes one for every add_argument (to check a metavar): the terminal width
        # is read here once, without shutil, whose import costs ~3 ms on every `run`.
        return self.formatter_class(prog=self.prog, width=_terminal_columns() - 2)

    def _path(self) -> str:
        return context.invoked or self.prog.removeprefix("dockyard ")

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:
        self._argv = None if args is None else list(args)
        return super().parse_args(args, namespace)

    def format_help(self) -> str:
        from . import help as helptext  # help texts load only when asked for

        return helptext.command(self._path(), self)

    def error(self, message: str) -> NoReturn:
        extra = message.split(":", 1)[1].strip().split()[0] if ": " in message else ""
        too_many = "unrecognized arguments" in message and not extra.startswith("-")
        if "the following arguments are required" in message or " requires " in message or too_many:
            # Docker: a missing argument is a usage error (exit 1), not a flag error.
            from . import help as helptext

            print(helptext.usage_error(self._path(), self, message), file=sys.stderr)
            raise SystemExit(1)
        from . import help as helptext

        argv, self._argv = self._argv, None
        if argv is not None:  # argparse's words: find the fault again as pflag words it
            helptext.rescan(self, argv)
        print(helptext.flag_error(self._path(), self, message), file=sys.stderr)
        raise SystemExit(125)


def parser(
    command: str, usage: str | None = None, description: str | None = None
) -> ArgumentParser:
    return ArgumentParser(prog=f"dockyard {command}", usage=usage, description=description)


def print_json(data: Any) -> None:
    import json

    print(json.dumps(data, indent=4))
