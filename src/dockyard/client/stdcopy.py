"""Docker's stdcopy framing: how attach, logs and exec multiplex stdout and stderr.

Without a TTY the daemon sends frames of an 8-byte header (stream, 0, 0, 0, big-endian
payload length) and the payload; stream 3 carries an error from inside the stream. With
a TTY the bytes are raw and need no decoding.
"""

from __future__ import annotations

import struct

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from collections.abc import Iterator

STDIN, STDOUT, STDERR, SYSERR = 0, 1, 2, 3


class StdDemux:
    """Incremental stdcopy decoder: feed bytes, get (stream, payload) frames."""

    def __init__(self) -> None:
        self.buf = b""

    def feed(self, data: bytes) -> Iterator[tuple[int, bytes]]:
        self.buf += data
        while len(self.buf) >= 8:
            stream = self.buf[0]
            (size,) = struct.unpack(">I", self.buf[4:8])
            if len(self.buf) < 8 + size:
                return
            payload = self.buf[8 : 8 + size]
            self.buf = self.buf[8 + size :]
            yield stream, payload


def demux_all(data: bytes) -> list[tuple[int, bytes]]:
    return list(StdDemux().feed(data))


def demux_stream(chunks: Iterator[bytes]) -> Iterator[tuple[int, bytes]]:
    """(stream, payload) frames from a byte stream such as Containers.logs()."""
    demux = StdDemux()
    for chunk in chunks:
        yield from demux.feed(chunk)
