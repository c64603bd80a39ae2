"""What every command shares: the client (started on demand), flag parsing, errors."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from ..client.api import DEFAULT_HOST, APIError, Client, DaemonUnreachable, resolve_host
from ..client.contexts import ContextError
from ..client.http1 import UnexpectedEOF
from .errors import CLIError, StatusExit

if TYPE_CHECKING:
    from ..client.engine import Engine


class Context:
    def __init__(
        self, host: str | None, debug: bool, command: str, context: str | None = None
    ) -> None:
        self._host_flag = host
        self.context_flag = context
        self.debug = debug
        self.command = command
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            try:
                host = resolve_host(self._host_flag, self.context_flag)
            except ContextError as exc:
                raise CLIError(
                    f"Failed to initialize: unable to resolve docker endpoint: {exc}"
                ) from None
            self._client = Client(host)
            if host == DEFAULT_HOST and not self._host_flag:
                ensure_daemon(self._client)
        return self._client

    @property
    def api(self) -> Engine:
        """The typed Engine API (client.engine) over this command's connection."""
        from ..client.engine import Engine

        return Engine(self.client)

    def usage_hint(self) -> str:
        return f"Run 'dockyard {self.command} --help' for more information"


def ensure_daemon(client: Client) -> None:
    """Start dockyardd when the default socket does not answer (as root only)."""
    try:
        client.ping(timeout=5)
        return
    except (DaemonUnreachable, OSError, APIError):
        pass
    if os.geteuid() != 0:
        return  # the real error comes from the first request
    import subprocess  # only here: most commands never start a daemon

    print("dockyard: the daemon is not running; starting dockyardd ...", file=sys.stderr)
    log_file = "/var/log/dockyard/dockyardd.log"
    exe = os.path.join(os.path.dirname(sys.executable), "dockyardd")
    if not os.path.exists(exe):
        exe = "dockyardd"
    os.makedirs(os.path.dirname(log_file), exist_ok=True)
    subprocess.Popen(
        [exe, "--log-file", log_file],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            client.ping(timeout=2)
            return
        except (DaemonUnreachable, OSError, APIError):
            time.sleep(0.1)
    print(f"dockyard: dockyardd did not come up; see {log_file}", file=sys.stderr)


class ArgumentParser(argparse.ArgumentParser):
    """argparse with Docker's help and error style: `unknown flag`, exit 125 for flag errors.

    `add_help=False` (run/create, where -h is --hostname) still accepts `--help`.
    """

    # The command words as typed ("container ls"), for help texts; set by run_command.
    invoked: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        short_help = kwargs.pop("add_help", True)
        super().__init__(*args, add_help=False, **kwargs)
        self._argv: list[str] | None = None
        names = ("-h", "--help") if short_help else ("--help",)
        self.add_argument(*names, action="help", help=argparse.SUPPRESS)

    def _path(self) -> str:
        return ArgumentParser.invoked or self.prog.removeprefix("dockyard ")

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


def run_command(
    ctx: Context, func: Callable[[Context, list[str]], int | None], args: list[str]
) -> int:
    ArgumentParser.invoked = ctx.command
    try:
        code = func(ctx, args)
        return int(code or 0)
    except StatusExit as exc:
        return exc.code
    except CLIError as exc:
        if exc.message:
            print(exc.message, file=sys.stderr)
        return exc.code
    except APIError as exc:
        print(f"Error response from daemon: {exc.message}", file=sys.stderr)
        return 1
    except DaemonUnreachable:
        host = ctx._client.host if ctx._client else DEFAULT_HOST
        print(
            f"Cannot connect to the dockyard daemon at {host}. Is the daemon running?",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except ConnectionError as exc:
        # The daemon went away mid-request (killed, restarted): one line, like docker's
        # "unexpected EOF", never a traceback.
        print(exc if isinstance(exc, UnexpectedEOF) else f"error during connect: {exc}",
              file=sys.stderr)  # fmt: skip
        return 1


def print_json(data: Any) -> None:
    import json

    print(json.dumps(data, indent=4))
