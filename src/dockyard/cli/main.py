"""The `dockyard` command: global flags, then a lazily imported command module.

Start-up matters (every `ps` pays it): only stdlib modules load before the command runs.
"""

from __future__ import annotations

import importlib
import sys

# command words -> "module:function" under dockyard.cli. Group forms ("container ls") and
# the short forms Docker keeps at top level ("ps") point at the same function.
COMMANDS: dict[str, str] = {
    "version": "system:version",
    "info": "system:info",
    "system info": "system:info",
    "system df": "system:df",
    "system events": "system:events",
    "events": "system:events",
    "system prune": "system:prune",
}

# Command modules register more entries here (kept in one table for fast lookup).
EXTRA_COMMAND_TABLES = [
    "dockyard.cli.command_table",
]


def _load_tables() -> None:
    for name in EXTRA_COMMAND_TABLES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        COMMANDS.update(module.COMMANDS)


USAGE = """
Usage:  dockyard [OPTIONS] COMMAND

A Docker-compatible container engine

Global options:
  -H, --host string      Daemon socket to connect to (default unix:///run/dockyard.sock)
  -D, --debug            Enable debug mode
  -v, --version          Print version information and quit

Run 'dockyard COMMAND --help' for more information on a command.
"""


def _split_globals(argv: list[str]) -> tuple[dict[str, str | bool], list[str]]:
    opts: dict[str, str | bool] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-H", "--host") and i + 1 < len(argv):
            opts["host"] = argv[i + 1]
            i += 2
        elif arg.startswith("--host="):
            opts["host"] = arg.split("=", 1)[1]
            i += 1
        elif arg in ("-D", "--debug"):
            opts["debug"] = True
            i += 1
        elif arg in ("-l", "--log-level") and i + 1 < len(argv):
            i += 2
        elif arg in ("-v", "--version"):
            opts["version"] = True
            i += 1
        elif arg in ("-h", "--help"):
            opts["help"] = True
            i += 1
        else:
            break
    return opts, argv[i:]


def _find_command(words: list[str]) -> tuple[str | None, list[str]]:
    for n in (3, 2, 1):
        if len(words) >= n:
            key = " ".join(words[:n])
            if key in COMMANDS:
                return key, words[n:]
    return None, words


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    opts, rest = _split_globals(argv)
    if opts.get("version"):
        from .. import __version__

        print(f"dockyard version {__version__}")
        return 0
    if not rest or opts.get("help"):
        print(USAGE.strip("\n"))
        return 0
    _load_tables()
    key, args = _find_command(rest)
    if key is None:
        print(
            f"dockyard: unknown command: dockyard {rest[0]}\n\nRun 'dockyard --help' for more information",
            file=sys.stderr,
        )
        return 1
    from .common import Context, run_command

    module_name, func_name = COMMANDS[key].split(":")
    module = importlib.import_module(f"dockyard.cli.{module_name}")
    ctx = Context(host=opts.get("host"), debug=bool(opts.get("debug")), command=key)  # type: ignore[arg-type]
    return run_command(ctx, getattr(module, func_name), args)


if __name__ == "__main__":
    sys.exit(main())
