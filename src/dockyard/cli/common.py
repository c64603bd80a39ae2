"""What every command shares: the client (started on demand), flag parsing, errors."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from ..client.api import DEFAULT_HOST, APIError, Client, DaemonUnreachable, resolve_host

if TYPE_CHECKING:
    from ..client.engine import Engine


class CLIError(Exception):
    """Printed as is on stderr; exits with `code`."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class StatusExit(Exception):
    """Exit with a given status and no message (e.g. the container's own exit code)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class Context:
    def __init__(self, host: str | None, debug: bool, command: str) -> None:
        self._host_flag = host
        self.debug = debug
        self.command = command
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            host = resolve_host(self._host_flag)
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
        return f"See 'dockyard {self.command} --help'."


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
    """argparse with Docker's error style: `unknown flag`, exit 125 for flag errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("add_help", True)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        if "the following arguments are required" in message:
            # Docker: a missing argument is a usage error (exit 1), not a flag error.
            print(
                f"\"{self.prog}\" requires at least 1 argument.\nSee '{self.prog} --help'."
                f"\n\n{self.format_usage().strip()}",
                file=sys.stderr,
            )
            raise SystemExit(1)
        if "unrecognized arguments" in message:
            extra = message.split(":", 1)[1].strip().split()[0]
            message = f"unknown flag: {extra}" if extra.startswith("-") else message
        print(f"{self.prog}: {message}\nSee '{self.prog} --help'.", file=sys.stderr)
        raise SystemExit(125)


def parser(
    command: str, usage: str | None = None, description: str | None = None
) -> ArgumentParser:
    return ArgumentParser(prog=f"dockyard {command}", usage=usage, description=description)


def run_command(
    ctx: Context, func: Callable[[Context, list[str]], int | None], args: list[str]
) -> int:
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


def print_json(data: Any) -> None:
    import json

    print(json.dumps(data, indent=4))
