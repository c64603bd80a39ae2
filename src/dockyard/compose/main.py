"""`dockyard compose` / `docker compose`: Compose v2's global flags, then one command module.

Global flags are accepted before and after the command word (cobra's persistent flags).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from typing import Any

from .errors import ComposeError

# command -> module under dockyard.compose.commands (each has `add_arguments` and `run`)
COMMANDS: dict[str, str] = {
    "build": "build",
    "config": "config",
    "convert": "config",  # Compose v2's alias
    "cp": "cp",
    "create": "create",
    "down": "down",
    "events": "events",
    "exec": "exec",
    "images": "images",
    "kill": "lifecycle",
    "logs": "logs",
    "ls": "ls",
    "pause": "lifecycle",
    "port": "port",
    "ps": "ps",
    "pull": "pull",
    "push": "pull",
    "restart": "lifecycle",
    "rm": "rm",
    "run": "run",
    "start": "lifecycle",
    "stop": "lifecycle",
    "top": "top",
    "unpause": "lifecycle",
    "up": "up",
    "version": "version",
    "wait": "wait",
}

USAGE = """Usage:  docker compose [OPTIONS] COMMAND

Define and run multi-container applications with Docker

Options:
      --ansi string                Control when to print ANSI control characters ("never"|"always"|"auto") (default "auto")
      --env-file stringArray       Specify an alternate environment file
  -f, --file stringArray           Compose configuration files
      --parallel int               Control max parallelism, -1 for unlimited (default -1)
      --profile stringArray        Specify a profile to enable
      --progress string            Set type of progress output (auto, tty, plain, json, quiet)
      --project-directory string   Specify an alternate working directory
                                   (default: the path of the, first specified, Compose file)
  -p, --project-name string        Project name

Commands:
""" + "".join(f"  {name}\n" for name in COMMANDS if name != "convert")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ComposeError(message.replace("unrecognized arguments", "unknown flag"), exit_code=1)


def global_flags() -> argparse.ArgumentParser:
    parent = _Parser(add_help=False, allow_abbrev=False)
    add = parent.add_argument
    add("-f", "--file", action="append", dest="files", default=None)
    add("-p", "--project-name", dest="project_name", default=None)
    add("--project-directory", dest="project_directory", default=None)
    add("--env-file", action="append", dest="env_files", default=None)
    add("--profile", action="append", dest="profiles", default=None)
    add("--parallel", type=int, default=None)
    add("--ansi", choices=["never", "always", "auto"], default=None)
    add("--progress", choices=["auto", "tty", "plain", "json", "quiet"], default=None)
    add("--compatibility", action="store_true", default=None)
    add("--dry-run", action="store_true", default=None)
    add("--all-resources", action="store_true", default=None)
    return parent


def split_command(argv: list[str]) -> tuple[list[str], str | None, list[str]]:
    """(the global flags before the command word, the word or None, what follows it)."""
    takes_value = {
        "-f",
        "--file",
        "-p",
        "--project-name",
        "--project-directory",
        "--env-file",
        "--profile",
        "--parallel",
        "--ansi",
        "--progress",
    }
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in takes_value:
            i += 2
        elif arg.startswith("-"):
            i += 1
        else:
            return argv[:i], arg, argv[i + 1 :]
    return argv, None, []


def parse(argv: list[str]) -> tuple[str, argparse.Namespace]:
    before, command, after = split_command(argv)
    if command is None or command not in COMMANDS:
        if command is None and ("-v" in before or "--version" in before):
            return "version", argparse.Namespace(format=None, short=False)
        if command is None or "-h" in before or "--help" in before:
            raise ComposeError(USAGE, exit_code=0 if command is None else 1)
        raise ComposeError(f'unknown docker command: "compose {command}"')
    module = importlib.import_module(f"dockyard.compose.commands.{COMMANDS[command]}")
    parser = _Parser(
        prog=f"docker compose {command}",
        parents=[global_flags()],
        allow_abbrev=False,
        conflict_handler="resolve",
    )
    module.add_arguments(parser, command)
    opts = parser.parse_args(before + after)
    opts.command = command
    opts.run = module.run
    env_parallel = os.environ.get("COMPOSE_PARALLEL_LIMIT")
    if opts.parallel is None:
        opts.parallel = int(env_parallel) if env_parallel else -1
    return command, opts


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        _, opts = parse(argv)
        run: Callable[[Any], int | None] = opts.run
        return run(opts) or 0
    except ComposeError as exc:
        stream = sys.stdout if exc.exit_code == 0 else sys.stderr
        print(str(exc), file=stream)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `... | head`: the reader left, as Compose does, say nothing
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def plugin_main() -> int:
    """The docker CLI plugin entry (`docker-compose`): metadata, or `compose <args>`."""
    argv = sys.argv[1:]
    if argv[:1] == ["docker-cli-plugin-metadata"]:
        from .commands.version import plugin_metadata

        print(plugin_metadata())
        return 0
    if argv[:1] == ["compose"]:
        argv = argv[1:]
    return main(argv)


if __name__ == "__main__":
    sys.exit(main())
