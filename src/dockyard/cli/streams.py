"""Attach/exec I/O on the terminal: stdin to the hijacked socket, its stdcopy frames (or
raw TTY bytes) to stdout/stderr, raw mode, resize, detach keys, signal proxying, and the
wait sent before start."""

from __future__ import annotations

import _socket
import os
import sys

from dockyard.client.stdcopy import STDERR, SYSERR, StdDemux
from dockyard.common import leanjson as json
from dockyard.common.detachkeys import EscapeDetector, parse_detach_keys

# threading and signal load where a stream needs them (stdin, TTY, --sig-proxy): a plain
# `exec` skips their ~5 ms; typing is for type checkers only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import threading
    from collections.abc import Callable, Iterator
    from socket import socket
    from typing import Any

    from dockyard.client.containers import Containers
    from dockyard.client.exec import Exec


def write_fd(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class StreamError(Exception):
    """A SYSERR frame (stream 3): the daemon reports a failure inside the stream."""


def copy_frames(chunks: Iterator[bytes], tty: bool, out_fd: int = 1, err_fd: int = 2) -> None:
    """Write a logs/attach byte stream to stdout/stderr, demultiplexing without a TTY."""
    demux = None if tty else StdDemux()
    for chunk in chunks:
        if demux is None:
            write_fd(out_fd, chunk)
            continue
        for stream, payload in demux.feed(chunk):
            if stream == SYSERR:
                raise StreamError(payload.decode(errors="replace"))
            write_fd(err_fd if stream == STDERR else out_fd, payload)


# --- terminal -------------------------------------------------------------------------------


def terminal_size(fd: int | None = None) -> tuple[int, int] | None:
    """(rows, cols) of the terminal on stdout, None when not a terminal."""
    try:
        size = os.get_terminal_size(sys.stdout.fileno() if fd is None else fd)
    except (OSError, ValueError):
        return None
    return size.lines, size.columns


def container_resizer(containers: Containers, ref: str) -> Callable[[], None]:
    """Resizes the container's TTY to ours."""
    return _resizer(lambda h, w: containers.resize(ref, h, w))


def exec_resizer(execs: Exec, exec_id: str) -> Callable[[], None]:
    """Resizes the exec session's TTY to ours."""
    return _resizer(lambda h, w: execs.resize(exec_id, h, w))


def _resizer(resize_to: Callable[[int, int], None]) -> Callable[[], None]:
    def resize() -> None:
        size = terminal_size()
        if size is None or size == (0, 0):
            return
        try:
            resize_to(size[0], size[1])
        except Exception:  # a resize racing the exit is harmless
            pass

    return resize


class RawTerminal:
    """Puts stdin in raw mode (no echo, no line discipline) and restores it."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.saved: Any = None

    def __enter__(self) -> RawTerminal:
        import termios
        import tty

        try:
            self.saved = termios.tcgetattr(self.fd)
            tty.setraw(self.fd, termios.TCSANOW)
        except termios.error:
            self.saved = None
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.saved is not None:
            import termios

            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)


# --- the session ----------------------------------------------------------------------------


class Session:
    """Pumps stdin to the socket and the socket to stdout/stderr until the stream ends."""

    def __init__(
        self,
        sock: socket,
        tty: bool,
        stdin: bool,
        stdout: bool = True,
        stderr: bool = True,
        detach_keys: str = "",
        resize: Callable[[], None] | None = None,
        in_fd: int = 0,
        out_fd: int = 1,
        err_fd: int = 2,
    ) -> None:
        self.sock = sock
        self.tty = tty
        self.stdin = stdin
        self.keys = parse_detach_keys(detach_keys)
        self.resize = resize
        self.in_fd, self.out_fd, self.err_fd = in_fd, out_fd, err_fd
        self.detached = False
        self.broken_pipe = False
        self.error: str | None = None
        self._closed = False

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                self.sock.close()
            except OSError:
                pass

    def hang_up_later(self, delay: float = 2.0) -> None:
        """The container is gone: end the session if the daemon does not close it soon."""
        import threading

        timer = threading.Timer(delay, self._hang_up)
        timer.daemon = True
        timer.start()

    def _hang_up(self) -> None:
        try:
            self.sock.shutdown(_socket.SHUT_RDWR)
        except OSError:
            pass

    def run(self) -> bool:
        """Returns True when the user detached with the detach keys."""
        raw = self.tty and self.stdin and os.isatty(self.in_fd)
        old_winch = None
        if self.resize is not None:
            import signal
            import threading

            self.resize()
            if threading.current_thread() is threading.main_thread():
                old_winch = signal.signal(signal.SIGWINCH, lambda *_: self.resize())  # type: ignore[misc]
        try:
            if raw:
                with RawTerminal(self.in_fd):
                    self._pump()
            else:
                self._pump()
        finally:
            if old_winch is not None:
                import signal

                signal.signal(signal.SIGWINCH, old_winch)
            self.close()
        if self.error:
            print(self.error, file=sys.stderr)
        if self.broken_pipe:
            # our reader went away (`| head`): stop like a Go CLI killed by SIGPIPE
            raise BrokenPipeError
        return self.detached

    def _pump(self) -> None:
        if self.stdin:
            import threading

            threading.Thread(target=self._send_stdin, daemon=True).start()
        demux = None if self.tty else StdDemux()
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                break
            if not data:
                break
            try:
                if demux is None:
                    write_fd(self.out_fd, data)
                    continue
                for stream, payload in demux.feed(data):
                    if stream == SYSERR:
                        self.error = payload.decode(errors="replace").rstrip("\n")
                    else:
                        write_fd(self.err_fd if stream == STDERR else self.out_fd, payload)
            except BrokenPipeError:
                self.broken_pipe = True
                break

    def _send_stdin(self) -> None:
        detector = EscapeDetector(self.keys if self.tty else b"")
        try:
            while True:
                data = os.read(self.in_fd, 65536)
                if not data:
                    # EOF: half-close so the process sees end of input; output keeps flowing
                    self.sock.shutdown(_socket.SHUT_WR)
                    return
                data, detach = detector.feed(data)
                if detach:
                    # The daemon detaches too when it sees the keys (both dockerd and ours
                    # do), keeping the container's stdin open; a daemon that does not gets
                    # its connection closed shortly after.
                    import threading

                    self.detached = True
                    self.sock.sendall(data + self.keys)
                    timer = threading.Timer(1.0, self._hang_up)
                    timer.daemon = True
                    timer.start()
                    return
                if data:
                    self.sock.sendall(data)
        except OSError:
            return


# --- wait and signals -----------------------------------------------------------------------


class Waiter:
    """POST /containers/{id}/wait sent now (before start), its answer read later."""

    def __init__(self, containers: Containers, ref: str, condition: str) -> None:
        # a connection of its own, held open
        self.pending = containers.wait_pending(ref, condition)

    _thread: threading.Thread | None = None
    _result: tuple[int, str | None] | None = None

    def watch(self, on_exit: Callable[[], None]) -> None:
        """Read the answer in the background and call on_exit once the container is gone."""
        import threading

        def run() -> None:
            try:
                self._result = self._read()
            except Exception:  # closed under us (detach): nothing to report
                return
            on_exit()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def result(self) -> tuple[int, str | None]:
        if self._thread is not None:
            self._thread.join()
            if self._result is None:
                return 125, "error waiting for container: unexpected EOF"
            return self._result
        return self._read()

    def _read(self) -> tuple[int, str | None]:
        status, body = self.pending.response()
        try:
            doc = json.loads(body) if body.strip() else {}
        except ValueError:
            doc = {}
        if status >= 400:
            return 125, doc.get("message") or body.decode(errors="replace").strip()
        error = (doc.get("Error") or {}).get("Message") or None
        return int(doc.get("StatusCode", 0)), error

    def close(self) -> None:
        self.pending.abort()
        if self._thread is None:
            self.pending.close()


_PROXIED = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")


class SignalProxy:
    """--sig-proxy: signals the CLI receives go to the container (POST /kill).

    Through `_signal`: the `signal` module's enums (~3 ms to import) are not needed here."""

    def __init__(self, containers: Containers, ref: str) -> None:
        import _signal
        import threading

        self.containers = containers
        self.ref = ref
        self.saved: dict[int, Any] = {}
        if threading.current_thread() is not threading.main_thread():
            return
        for name in _PROXIED:
            signum = getattr(_signal, name)
            self.saved[signum] = _signal.signal(signum, self._forward)

    def _forward(self, signum: int, _frame: Any) -> None:
        import _signal
        import threading

        name = next(n for n in _PROXIED if getattr(_signal, n) == signum)
        threading.Thread(target=self._kill, args=(name,), daemon=True).start()

    def _kill(self, name: str) -> None:
        try:
            self.containers.kill(self.ref, name)
        except Exception:
            pass

    def stop(self) -> None:
        import _signal

        for signum, handler in self.saved.items():
            _signal.signal(signum, handler)
        self.saved = {}


# --- start, attached --------------------------------------------------------------------------


def start_and_follow(
    containers: Containers, ref: str, session: Session | None, condition: str, sig_proxy: bool
) -> tuple[int, str | None] | None:
    """Start the container with its attach session open and follow it until it ends.

    The wait goes out before the start, so a quick exit is not missed. Returns None when the
    user detached, else (exit status, the wait's error). The start's APIError propagates
    (session and wait closed)."""
    waiter = Waiter(containers, ref, condition)
    try:
        containers.start(ref)
    except Exception:
        if session is not None:
            session.close()
        waiter.close()
        raise
    if session is not None:
        # a daemon that misses the exit must not leave us attached forever
        waiter.watch(session.hang_up_later)
    proxy = SignalProxy(containers, ref) if sig_proxy else None
    try:
        detached = session.run() if session is not None else False
    finally:
        if proxy is not None:
            proxy.stop()
    if detached:
        waiter.close()
        return None
    return waiter.result()
