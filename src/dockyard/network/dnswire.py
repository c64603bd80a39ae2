"""The little of the DNS wire format (RFC 1035) our resolver needs.

Queries are parsed far enough to answer them (id, flags, the one question); anything
we do not answer ourselves is forwarded to an upstream resolver byte for byte.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

QTYPE_A = 1
QTYPE_PTR = 12
QTYPE_AAAA = 28
CLASS_IN = 1

NOERROR = 0
FORMERR = 1
SERVFAIL = 2
NXDOMAIN = 3
NOTIMP = 4
REFUSED = 5

FLAG_QR = 0x8000
FLAG_AA = 0x0400
FLAG_TC = 0x0200
FLAG_RD = 0x0100
FLAG_RA = 0x0080
OPCODE_MASK = 0x7800


class WireError(ValueError):
    pass


@dataclass(frozen=True)
class Question:
    name: str  # lower-case, no trailing dot
    qtype: int
    qclass: int


@dataclass(frozen=True)
class Query:
    id: int
    flags: int
    question: Question | None
    question_wire: bytes  # the question section as received, echoed in the answer

    @property
    def opcode(self) -> int:
        return (self.flags & OPCODE_MASK) >> 11


def _read_name(data: bytes, off: int) -> tuple[str, int]:
    labels: list[str] = []
    end = None
    jumps = 0
    while True:
        if off >= len(data):
            raise WireError("truncated name")
        n = data[off]
        if n & 0xC0 == 0xC0:
            if off + 1 >= len(data) or jumps > 16:
                raise WireError("bad pointer")
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | data[off + 1]
            jumps += 1
            continue
        if n & 0xC0:
            raise WireError("bad label")
        off += 1
        if n == 0:
            break
        if off + n > len(data):
            raise WireError("truncated label")
        labels.append(data[off : off + n].decode("ascii", "replace"))
        off += n
    return ".".join(labels), end if end is not None else off


def encode_name(name: str) -> bytes:
    out = bytearray()
    for label in name.strip(".").split("."):
        if label:
            raw = label.encode("ascii")
            if len(raw) > 63:
                raise WireError("label too long")
            out += bytes([len(raw)]) + raw
    return bytes(out) + b"\x00"


def parse_query(data: bytes) -> Query:
    if len(data) < 12:
        raise WireError("short header")
    qid, flags, qd, _an, _ns, _ar = struct.unpack("!6H", data[:12])
    if qd < 1:
        return Query(qid, flags, None, b"")
    name, off = _read_name(data, 12)
    if off + 4 > len(data):
        raise WireError("truncated question")
    qtype, qclass = struct.unpack("!HH", data[off : off + 4])
    return Query(qid, flags, Question(name.lower(), qtype, qclass), data[12 : off + 4])


def build_query(name: str, qtype: int = QTYPE_A, qid: int = 0x1234, rd: bool = True) -> bytes:
    header = struct.pack("!6H", qid, FLAG_RD if rd else 0, 1, 0, 0, 0)
    return header + encode_name(name) + struct.pack("!HH", qtype, CLASS_IN)


def _answer_header(q: Query, rcode: int, ancount: int, authoritative: bool) -> bytes:
    flags = FLAG_QR | FLAG_RA | (q.flags & (OPCODE_MASK | FLAG_RD)) | rcode
    if authoritative:
        flags |= FLAG_AA
    qd = 1 if q.question_wire else 0
    return struct.pack("!6H", q.id, flags, qd, ancount, 0, 0)


def response(q: Query, rcode: int, authoritative: bool = False) -> bytes:
    """An answer without records (NXDOMAIN, SERVFAIL, REFUSED, or NOERROR/no data)."""
    return _answer_header(q, rcode, 0, authoritative) + q.question_wire


def a_response(q: Query, addresses: list[str], ttl: int = 600) -> bytes:
    out = bytearray(_answer_header(q, NOERROR, len(addresses), True) + q.question_wire)
    for addr in addresses:
        # 0xC00C: the name is the question's, which starts right after the header
        out += struct.pack("!HHHIH", 0xC00C, QTYPE_A, CLASS_IN, ttl, 4)
        out += ipaddress.IPv4Address(addr).packed
    return bytes(out)


def ptr_response(q: Query, names: list[str], ttl: int = 600) -> bytes:
    out = bytearray(_answer_header(q, NOERROR, len(names), True) + q.question_wire)
    for name in names:
        rdata = encode_name(name)
        out += struct.pack("!HHHIH", 0xC00C, QTYPE_PTR, CLASS_IN, ttl, len(rdata)) + rdata
    return bytes(out)


def truncated(q: Query) -> bytes:
    """Tell a UDP client to retry over TCP."""
    header = bytearray(response(q, NOERROR))
    header[2] |= FLAG_TC >> 8
    return bytes(header)


def ptr_ip(name: str) -> str | None:
    """ "2.0.17.172.in-addr.arpa" -> "172.17.0.2"."""
    suffix = ".in-addr.arpa"
    if not name.endswith(suffix):
        return None
    parts = name[: -len(suffix)].split(".")
    if len(parts) != 4:
        return None
    try:
        return str(ipaddress.IPv4Address(".".join(reversed(parts))))
    except ValueError:
        return None


@dataclass(frozen=True)
class Answer:
    """A parsed response (used by tests and the forwarder's sanity check)."""

    id: int
    rcode: int
    flags: int
    addresses: list[str]


def parse_response(data: bytes) -> Answer:
    if len(data) < 12:
        raise WireError("short header")
    qid, flags, qd, an, _ns, _ar = struct.unpack("!6H", data[:12])
    off = 12
    for _ in range(qd):
        _, off = _read_name(data, off)
        off += 4
    addrs = []
    for _ in range(an):
        _, off = _read_name(data, off)
        rtype, _cls, _ttl, rdlen = struct.unpack("!HHIH", data[off : off + 10])
        off += 10
        rdata = data[off : off + rdlen]
        off += rdlen
        if rtype == QTYPE_A and rdlen == 4:
            addrs.append(str(ipaddress.IPv4Address(rdata)))
        elif rtype == QTYPE_PTR:
            addrs.append(_read_name(data, off - rdlen)[0])
    return Answer(qid, flags & 0xF, flags, addrs)
