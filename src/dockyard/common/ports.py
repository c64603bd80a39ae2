"""`-p` / `--publish` parsing with the docker CLI's rules and error texts.

The result uses the Engine API shapes: ExposedPorts {"80/tcp": {}} and
HostConfig.PortBindings {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}.
"""

from __future__ import annotations

import ipaddress
from typing import NamedTuple

from dockyard.errors import InvalidParameter

PROTOCOLS = ("tcp", "udp", "sctp")


class PortMapping(NamedTuple):  # not a dataclass: the CLI imports this, dataclasses costs ~10 ms
    port: str  # "80/tcp"
    host_ip: str
    host_port: str  # "", "8080" or a dynamic range "8000-8010"


def _split_parts(raw: str) -> tuple[str, str, str]:
    parts = raw.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    # everything before the last two colons is the IP (IPv6 may contain colons)
    return ":".join(parts[:-2]), parts[-2], parts[-1]


def split_proto_port(raw: str) -> tuple[str, str]:
    """Return (proto, port); "80" -> ("tcp", "80")."""
    parts = raw.split("/")
    if not raw or not parts[0]:
        return "", ""
    if len(parts) == 1 or not parts[1]:
        return "tcp", parts[0]
    return parts[1], parts[0]


def _parse_uint16(text: str) -> int:
    # Go's strconv.ParseUint(s, 10, 16): digits only, no sign, at most 65535
    if not text or not text.isascii() or not text.isdigit():
        raise ValueError(text)
    value = int(text)
    if value > 65535:
        raise ValueError(text)
    return value


def parse_port_range(text: str) -> tuple[int, int]:
    """ "80" -> (80, 80); "80-90" -> (80, 90); raises ValueError when invalid."""
    if not text:
        raise ValueError("empty string specified for ports")
    if "-" not in text:
        port = _parse_uint16(text)
        return port, port
    start_s, _, end_s = text.partition("-")
    start, end = _parse_uint16(start_s), _parse_uint16(end_s)
    if end < start:
        raise ValueError(f"invalid range specified for container ports: {text}")
    return start, end


def parse_port_spec(raw: str) -> list[PortMapping]:
    """One `-p` value -> its mappings (several for a range)."""
    ip, host_port, container_port = _split_parts(raw)
    proto, container_port = split_proto_port(container_port)
    if ip.startswith("["):
        if not ip.endswith("]"):
            raise InvalidParameter(f"invalid IP address: {ip}")
        ip = ip[1:-1]
    if ip:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise InvalidParameter(f"invalid IP address: {ip}") from None
    if not container_port:
        raise InvalidParameter(f"no port specified: {raw}<empty>")
    try:
        start, end = parse_port_range(container_port)
    except ValueError:
        raise InvalidParameter(f"invalid containerPort: {container_port}") from None
    host_start = host_end = 0
    if host_port:
        try:
            host_start, host_end = parse_port_range(host_port)
        except ValueError:
            raise InvalidParameter(f"invalid hostPort: {host_port}") from None
        # a host range with a single container port is a range to pick one port from
        if end - start != host_end - host_start and end != start:
            raise InvalidParameter(
                f"invalid ranges specified for container and host Ports: "
                f"{container_port} and {host_port}"
            )
    if proto.lower() not in PROTOCOLS:
        raise InvalidParameter(f"invalid proto: {proto}")
    proto = proto.lower()
    out = []
    for i in range(end - start + 1):
        hp = str(host_start + i) if host_port else ""
        if start == end and host_start != host_end:
            hp = f"{host_start}-{host_end}"
        out.append(PortMapping(f"{start + i}/{proto}", ip, hp))
    return out


def parse_publish(
    specs: list[str],
) -> tuple[dict[str, dict], dict[str, list[dict[str, str]]]]:
    """All `-p` values -> (ExposedPorts, PortBindings) as the docker CLI sends them."""
    exposed: dict[str, dict] = {}
    bindings: dict[str, list[dict[str, str]]] = {}
    for spec in specs:
        for m in parse_port_spec(spec):
            exposed.setdefault(m.port, {})
            bindings.setdefault(m.port, []).append({"HostIp": m.host_ip, "HostPort": m.host_port})
    return exposed, bindings


def parse_expose(specs: list[str], *, dockerfile: bool = False) -> dict[str, dict]:
    """`--expose 80`, `--expose 7000-7002/udp` -> ExposedPorts, with the docker CLI's
    errors; `dockerfile=True` reads EXPOSE arguments (of a Dockerfile, `commit -c`,
    `import -c`) with the builder's errors."""
    exposed: dict[str, dict] = {}
    for spec in specs:
        proto, start, end = _dockerfile_expose(spec) if dockerfile else _cli_expose(spec)
        for p in range(start, end + 1):
            exposed[f"{p}/{proto}"] = {}
    return exposed


def _cli_expose(spec: str) -> tuple[str, int, int]:
    proto, port = split_proto_port(spec)
    try:
        start, end = parse_port_range(port)
    except ValueError:
        raise InvalidParameter(
            f"invalid range format for --expose: {spec}, error: {port}"
        ) from None
    if proto.lower() not in PROTOCOLS:
        raise InvalidParameter(f"invalid proto: {proto}")
    return proto.lower(), start, end


def _dockerfile_expose(spec: str) -> tuple[str, int, int]:
    port, _, proto = spec.partition("/")
    proto = (proto or "tcp").lower()
    if proto not in PROTOCOLS:
        raise InvalidParameter(f"invalid proto: {proto}")
    if ":" in port:
        raise InvalidParameter(f"invalid containerPort: {spec}")
    lo, dash, hi = port.partition("-")
    try:
        start, end = int(lo), int(hi) if dash else int(lo)
    except ValueError:
        raise InvalidParameter(f"invalid containerPort: {port}") from None
    if not (0 < start <= end <= 65535):
        raise InvalidParameter(f"invalid containerPort: {port}")
    return proto, start, end


def publish_all(
    exposed: dict[str, dict], bindings: dict[str, list[dict[str, str]]] | None = None
) -> dict[str, list[dict[str, str]]]:
    """`-P`: every exposed port without an explicit binding gets a random host port."""
    out = {k: list(v) for k, v in (bindings or {}).items()}
    for port in exposed:
        out.setdefault(port, [{"HostIp": "", "HostPort": ""}])
    return out
