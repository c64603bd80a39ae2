"""Small helpers shared by the builder: Go-style formatting and argument checks."""

from __future__ import annotations

import json
import re

from ..errors import InvalidParameter

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9}
_UNITS["h"] = 3600 * 10**9


def go_quote_list(items: list[str] | None) -> str:
    """Go's fmt %q of a []string: ["a" "b"]."""
    return "[" + " ".join(json.dumps(s, ensure_ascii=False) for s in items or []) + "]"


def go_list(items: list[str]) -> str:
    """Go's fmt %v of a []string: [a b]."""
    return "[" + " ".join(items) + "]"


def parse_duration(text: str, flag: str) -> int:
    """Go's time.ParseDuration, in nanoseconds."""
    s = text.strip()
    if s in ("0", ""):
        return 0
    pos, total = 0, 0.0
    for m in _DURATION.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(s) or pos == 0:
        raise InvalidParameter(f'time: invalid duration "{text}"')
    return int(total)


SIGNALS = {
    "ABRT": 6, "ALRM": 14, "BUS": 7, "CHLD": 17, "CLD": 17, "CONT": 18, "FPE": 8, "HUP": 1,
    "ILL": 4, "INT": 2, "IO": 29, "IOT": 6, "KILL": 9, "PIPE": 13, "POLL": 29, "PROF": 27,
    "PWR": 30, "QUIT": 3, "SEGV": 11, "STKFLT": 16, "STOP": 19, "SYS": 31, "TERM": 15,
    "TRAP": 5, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "USR1": 10, "USR2": 12,
    "VTALRM": 26, "WINCH": 28, "XCPU": 24, "XFSZ": 25,
}  # fmt: skip


def check_signal(sig: str) -> None:
    s = sig.upper().removeprefix("SIG")
    if s.isdigit():
        if 0 < int(s) <= 64:
            return
    elif s in SIGNALS or re.fullmatch(r"RTM(IN|AX)([+-]\d+)?", s):
        return
    raise InvalidParameter(f"Invalid signal: {sig}")
