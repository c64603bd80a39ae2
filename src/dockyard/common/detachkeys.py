"""Docker's detach keys: the --detach-keys grammar and the matcher that spots them in input.

"ctrl-p,ctrl-q" (the default) means the bytes 0x10 0x11; each comma-separated key is one
character standing for itself, or ctrl-@, ctrl-a … ctrl-z, ctrl-[, ctrl-\\, ctrl-], ctrl-^,
ctrl-_. Standard library only: the CLI and the daemon's attach share it.
"""

from __future__ import annotations

DEFAULT_DETACH_KEYS = b"\x10\x11"  # ctrl-p, ctrl-q

_CTRL_NAMES = ["ctrl-@"] + [f"ctrl-{chr(c)}" for c in range(ord("a"), ord("z") + 1)]
_CTRL_NAMES += ["ctrl-[", "ctrl-\\", "ctrl-]", "ctrl-^", "ctrl-_"]


def parse_detach_keys(spec: str) -> bytes:
    """ "ctrl-p,ctrl-q" -> b"\\x10\\x11"; "" -> the default.

    Raises:
        ValueError: "Unknown character: 'ctrl-1'" or "Unknown sequence: 'abc'".
    """
    if not spec:
        return DEFAULT_DETACH_KEYS
    out = bytearray()
    for key in spec.split(","):
        if len(key) == 1:
            out += key.encode()
            continue
        if key in _CTRL_NAMES:
            out.append(_CTRL_NAMES.index(key))
            continue
        if key.startswith("ctrl-"):
            raise ValueError(f"Unknown character: '{key}'")
        raise ValueError(f"Unknown sequence: '{key}'")
    return bytes(out)


class EscapeDetector:
    """Holds back bytes that could start the detach sequence (docker's EscapeProxy): what
    turns out not to be the sequence is passed on, the sequence itself never is."""

    def __init__(self, keys: bytes) -> None:
        self.keys = keys
        self.pending = b""

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        """Returns (bytes to forward, detach requested)."""
        if not self.keys:
            return data, False
        out = bytearray()
        for b in data:
            self.pending += bytes([b])
            if self.keys.startswith(self.pending):
                if self.pending == self.keys:
                    self.pending = b""
                    return bytes(out), True
                continue
            out += self.pending
            self.pending = b""
        return bytes(out), False
