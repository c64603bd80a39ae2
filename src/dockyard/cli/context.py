"""What every command runs in: the client (started on demand) and the error handling around
a command. Kept free of argparse and typing: the lean commands (cli/lean) start from here."""

from __future__ import annotations

import os
import sys
import time

from ..client.api import (
    DEFAULT_HOST,
    APIError,
    Client,
    DaemonUnreachable,
    client_for,
    resolve_host,
)
from ..client.http1 import UnexpectedEOF
from .errors import CLIError, StatusExit

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from collections.abc import Callable

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
            except Exception as exc:
                from ..client.contexts import ContextError  # loaded only if a context was read

                if not isinstance(exc, ContextError):
                    raise
                raise CLIError(
                    f"Failed to initialize: unable to resolve docker endpoint: {exc}"
                ) from None
            self._client = client_for(host)
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


# The command words as typed ("container ls"), for help and usage texts.
invoked: str | None = None


def run_command(
    ctx: Context, func: Callable[[Context, list[str]], int | None], args: list[str]
) -> int:
    """Run one command; the errors it ends with are printed as the docker CLI does."""
    global invoked
    invoked = ctx.command
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
