"""Signal names and numbers as `docker stop -s` / `kill -s` / StopSignal give them."""

from __future__ import annotations

import signal as signal_mod

from ..errors import InvalidParameter


def parse_signal(sig: str | int) -> int:
    if isinstance(sig, int):
        return sig
    s = str(sig).strip().upper()
    if s.isdigit():
        n = int(s)
        if not 0 < n < 65:
            raise InvalidParameter(f"Invalid signal: {sig}")
        return n
    if not s.startswith("SIG"):
        s = "SIG" + s
    try:
        return int(getattr(signal_mod.Signals, s))
    except AttributeError:
        raise InvalidParameter(f"Invalid signal: {sig}") from None
