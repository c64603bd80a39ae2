"""Docker's JSON progress messages (pull, push, load, build) rendered as the docker CLI
shows them."""

from __future__ import annotations

from dockyard.common.humanize import human_size

TYPE_CHECKING = False  # typing costs milliseconds on every build, pull and push
if TYPE_CHECKING:
    from typing import Any, TextIO


def _progress_bar(detail: dict[str, Any]) -> str:
    """jsonmessage's bar: [=====>     ]  1.2MB/3.4MB."""
    current = detail.get("current") or 0
    total = detail.get("total") or 0
    if total <= 0 and current <= 0:
        return ""
    if total <= 0:
        return human_size(current)
    width = 50
    filled = min(width, int(current * width / total))
    bar = "=" * filled + (">" if filled < width else "") + " " * max(0, width - filled - 1)
    return f"[{bar}] {human_size(current):>8}/{human_size(total)}"


class StreamError(Exception):
    """An error message in a JSON stream; `code` is its errorDetail code (a failed build
    step's exit status), 1 when it has none."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _stream_error(msg: dict[str, Any]) -> StreamError:
    detail = msg.get("errorDetail") or {}
    code = detail.get("code")
    return StreamError(detail.get("message") or msg.get("error"), code if isinstance(code, int) and code else 1)


def display_stream(messages: Any, out: TextIO, tty: bool) -> dict[str, Any]:
    """Render Docker JSON messages (pull/push/load/build); returns the last `aux` object.

    On a terminal each layer id keeps one line that is rewritten in place; otherwise
    progress updates are dropped and each status is one line, as the docker CLI does.
    """
    lines: dict[str, int] = {}
    aux: dict[str, Any] = {}
    for msg in messages:
        if msg.get("errorDetail") or msg.get("error"):
            raise _stream_error(msg)
        if "aux" in msg:
            aux = msg["aux"] or {}
            continue
        detail = msg.get("progressDetail") or {}
        progress = msg.get("progress") or _progress_bar(detail)
        has_progress = bool(detail.get("current") or detail.get("total"))
        if not tty and has_progress:
            continue
        text = ""
        ident = msg.get("id") or ""
        if ident:
            text += f"{ident}: "
        if msg.get("stream") is not None:
            text += msg["stream"]
            out.write(text)
            out.flush()
            continue
        status = msg.get("status") or ""
        text += f"{status} {progress}" if tty and progress else status
        if tty and ident:
            if ident in lines:
                up = len(lines) - lines[ident]
                out.write(f"\033[{up}A\r\033[2K{text}\033[{up}B\r")
            else:
                lines[ident] = len(lines)
                out.write(text + "\n")
        else:
            if tty:
                lines.clear()
            out.write(text + "\n")
        out.flush()
    return aux


def drain(messages: Any) -> None:
    """Read a progress stream to its end without showing it (-q); its error still raises."""
    for msg in messages:
        if msg.get("errorDetail") or msg.get("error"):
            raise _stream_error(msg)
