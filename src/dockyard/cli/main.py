"""The `dockyard` command: global flags, then a lazily imported command module.

Start-up matters (every `ps` pays it): only stdlib modules load before the command runs;
help texts (cli/help, cli/helpdata) load only when help is printed. The launcher that
scripts/install-deps writes starts Python without `site` (-S, ~5 ms): the commands that
need only the standard library (LEAN) run without it, the others get it loaded first.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from typing import Any, NoReturn

# command words -> "module:function" under dockyard.cli. Group forms ("container ls") and
# the short forms Docker keeps at top level ("ps") point at the same function.
COMMANDS: dict[str, str] = {
    "version": "sysinfo:version",
    "info": "sysinfo:info",
    "system info": "sysinfo:info",
    "system df": "system:df",
    "system events": "system:events",
    "events": "system:events",
    "system prune": "system:prune",
    "system check": "system:check",
}

# Command modules register more entries here (kept in one table for fast lookup). A later
# table brings new first words only (kube, pod): an everyday command needs the first alone.
EXTRA_COMMAND_TABLES = [
    "dockyard.cli.command_table",
    "dockyard.kube.command_table",  # `kube …`, `pod …`: a sibling client, not part of cli/
]
# Whole programs of their own, on the same floor as cli: first word -> "module:function".
PROGRAMS = {"compose": "dockyard.kube.compose_program:main"}  # compose, + `convert --kube`
# Command modules that import nothing outside the standard library (no site-packages).
LEAN = {"ps", "attach", "sysinfo", "lifecycle", "run", "inspect", "containers", "images", "build"}


def load_site() -> None:
    """site-packages (and .pth files), when the launcher started Python with -S."""
    if "site" not in sys.modules:
        import site

        site.main()


def _import(name: str) -> Any:
    """importlib.import_module without importing importlib (and warnings) on every command."""
    __import__(name)
    return sys.modules[name]


_loaded_tables: list[str] = []


def load_tables(first_word: str | None = None) -> None:
    """Read the command tables into COMMANDS. Given the first command word: stop after the
    table that knows it (the cli's own table comes first and holds the everyday words)."""
    for name in EXTRA_COMMAND_TABLES:
        if name in _loaded_tables:
            continue
        try:
            module = _import(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        _loaded_tables.append(name)
        COMMANDS.update(module.COMMANDS)
        if first_word is not None and _knows(first_word):
            return


def _knows(word: str) -> bool:
    prefix = word + " "
    return word in COMMANDS or any(k.startswith(prefix) for k in COMMANDS)


def extra_groups() -> list[str]:
    """The programs of PROGRAMS that are installed (listed as management commands)."""
    from importlib.util import find_spec

    found = []
    for word, target in PROGRAMS.items():
        try:
            if find_spec(target.split(":")[0]) is not None:
                found.append(word)
        except ModuleNotFoundError:
            continue
    return found


_VALUED = {"-H": "host", "--host": "host", "-c": "context", "--context": "context"}
_VALUED.update({"--config": "config", "-l": "log-level", "--log-level": "log-level"})
_SWITCHES = {"-D": "debug", "--debug": "debug", "-v": "version", "--version": "version"}
_SWITCHES.update({"-h": "help", "--help": "help"})


def _split_globals(argv: list[str]) -> tuple[dict[str, str | bool], list[str]]:
    opts: dict[str, str | bool] = {}
    i = 0
    while i < len(argv):
        name, eq, value = argv[i].partition("=")
        if name in _VALUED and (eq or i + 1 < len(argv)):
            opts[_VALUED[name]] = value if eq else argv[i + 1]
            i += 1 if eq else 2
        elif argv[i] in _SWITCHES:
            opts[_SWITCHES[argv[i]]] = True
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


def _groups() -> set[str]:
    return {k.split(" ", 1)[0] for k in COMMANDS if " " in k}


def _verbs(group: str) -> list[str]:
    return [k.split(" ", 1)[1] for k in COMMANDS if k.startswith(group + " ")]


def _unknown(words: list[str]) -> int:
    """Docker's "unknown command" text, with cobra's suggestions."""
    from . import help as helptext

    if words[0] in _groups():
        hint = helptext.did_you_mean(words[1], helptext.canonical_verbs(words[0], _verbs(words[0])))
        usage = f"\n\nUsage:  dockyard {words[0]}"
        tail = f"\n\nRun 'dockyard {words[0]} --help' for more information"
        shown = " ".join(words[:2])
    else:
        tops = {k.split(" ", 1)[0] for k in COMMANDS} | set(extra_groups()) | {"help"}
        hint = helptext.did_you_mean(words[0], tops - {"buildx"})
        usage, tail, shown = "", "\n\nRun 'dockyard --help' for more information", words[0]
    print(f"dockyard: unknown command: dockyard {shown}{usage}{hint}{tail}", file=sys.stderr)
    return 1


def _help(words: list[str], opts: dict[str, str | bool]) -> int:
    """`dockyard help [COMMAND...]`, `dockyard --help`, `dockyard container`."""
    from . import help as helptext

    if not words:
        sys.stdout.write(helptext.top_level(COMMANDS, extra_groups()))
        return 0
    if len(words) == 1 and words[0] in _groups():
        sys.stdout.write(helptext.group(words[0], _verbs(words[0])))
        return 0
    key, _ = _find_command(words)
    if key is None and words[0] not in extra_groups():
        print(f"unknown help topic: {' '.join(words)}", file=sys.stderr)
        return 1
    passed = [f"--{k}={v}" for k, v in opts.items() if isinstance(v, str)]
    return main([*passed, *words, "--help"])


def _run_program(word: str, args: list[str], host: str | None) -> int:
    load_site()
    if host:
        os.environ["DOCKYARD_HOST"] = host
    module_name, func_name = PROGRAMS[word].split(":")
    return getattr(_import(module_name), func_name)(args)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    opts, rest = _split_globals(argv)
    if opts.get("version"):
        from .. import __version__

        print(f"dockyard version {__version__}")
        return 0
    host, context = opts.get("host"), opts.get("context")
    if host and context:
        print("conflicting options: cannot specify both --host and --context", file=sys.stderr)
        return 1
    if opts.get("config"):
        os.environ["DOCKER_CONFIG"] = str(opts["config"])
    if rest and rest[0] in PROGRAMS and rest[0] in extra_groups():
        return _run_program(rest[0], rest[1:], str(host) if host else None)
    load_tables(rest[0] if rest and not opts.get("help") else None)
    if not rest or opts.get("help"):
        return _help([], opts)
    if rest[0] == "help":
        return _help(rest[1:], opts)
    key, args = _find_command(rest)
    if key is None:
        if rest[0] in _groups() and (len(rest) == 1 or rest[1] in ("--help", "-h")):
            return _help(rest[:1], opts)
        return _unknown(rest)
    from .context import Context, run_command

    module_name, func_name = COMMANDS[key].split(":")
    if module_name not in LEAN:
        load_site()
    module = _import(module_name if "." in module_name else f"dockyard.cli.{module_name}")
    ctx = Context(
        host=str(host) if host else None,
        debug=bool(opts.get("debug")),
        command=key,
        context=str(context) if context else None,
    )
    return run_command(ctx, getattr(module, func_name), args)


def _may_skip_teardown() -> bool:
    """Nothing is left for the interpreter's exit to do: no atexit callbacks (logging,
    weakref.finalize, tempfile), no thread to join, output flushed."""
    import atexit

    if atexit._ncallbacks():
        return False
    threading = sys.modules.get("threading")
    if threading is not None and (
        threading._threading_atexits  # type: ignore[attr-defined]
        or any(not t.daemon for t in threading.enumerate() if t is not threading.main_thread())
    ):
        return False
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return False  # a closed pipe: the ordinary exit reports it as before
    return True


def launch() -> NoReturn:
    """The launcher's entry: main(), then an exit that skips the interpreter's teardown
    (freeing every module and object: 2-5 ms of a short command) when nothing needs it."""
    code = main()
    if _may_skip_teardown():
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    sys.exit(main())
