"""Kubernetes resource quantities ("64Mi", "500m", "1.5") <-> bytes and nano-CPUs."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

_BINARY = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "Pi": 1 << 50, "Ei": 1 << 60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}


def parse(text: str | int | float) -> Decimal:
    """The quantity's value in its base unit (bytes, cores)."""
    raw = str(text).strip()
    for suffix, factor in _BINARY.items():
        if raw.endswith(suffix):
            return _number(raw[: -len(suffix)], text) * factor
    suffix = raw[-1:] if raw[-1:] in _DECIMAL and not raw[-1:].isdigit() else ""
    if suffix:
        return _number(raw[: -len(suffix)], text) * _DECIMAL[suffix]
    return _number(raw, text)


def _number(digits: str, original: object) -> Decimal:
    try:
        value = Decimal(digits)
    except InvalidOperation:
        raise ValueError(f"invalid quantity {original!r}") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"invalid quantity {original!r}")
    return value


def to_bytes(text: str | int | float) -> int:
    return int(parse(text).to_integral_value(rounding="ROUND_CEILING"))


def to_nano_cpus(text: str | int | float) -> int:
    return int(parse(text) * 1_000_000_000)


def from_bytes(n: int) -> str:
    for suffix, unit in (("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)):
        if n % unit == 0:
            return f"{n // unit}{suffix}"
    return str(n)


def from_nano_cpus(nano: int) -> str:
    milli = max(1, round(nano / 1_000_000))
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"
