"""Human sizes as Docker reads them (go-units RAMInBytes): "64m", "1.5g", "512KiB"."""

from __future__ import annotations

_SIZE = r"^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$"
_BINARY = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}


def ram_in_bytes(text: str) -> int:
    """Binary multiples, fractions truncated; raises ValueError("invalid size: '…'")."""
    import re  # here: `run` imports this module on every call, and rarely has a size

    m = re.match(_SIZE, text)
    if m is None:
        raise ValueError(f"invalid size: '{text}'")
    try:
        number = float(m.group(1))
    except ValueError:  # "1.2.3" passes the pattern but is no number
        raise ValueError(f"invalid size: '{text}'") from None
    return int(number * _BINARY[(m.group(2) or "").lower()])
