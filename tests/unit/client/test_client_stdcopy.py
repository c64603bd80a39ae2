"""stdcopy frames decoded however the bytes are cut."""

import struct

from dockyard.client.stdcopy import StdDemux, demux_all, demux_stream


def frame(stream: int, data: bytes) -> bytes:
    return struct.pack(">BxxxI", stream, len(data)) + data


def test_demux_frames_split_anywhere():
    data = frame(1, b"out1") + frame(2, b"err") + frame(1, b"") + frame(1, b"x" * 70000)
    for cut in (1, 3, 7, 8, 9, 20, 100):
        demux = StdDemux()
        got = []
        for i in range(0, len(data), cut):
            got.extend(demux.feed(data[i : i + cut]))
        assert got == [(1, b"out1"), (2, b"err"), (1, b""), (1, b"x" * 70000)]


def test_demux_stream_and_all():
    data = frame(1, b"a") + frame(2, b"bc") + frame(3, b"err")
    assert list(demux_stream(iter([data[:5], data[5:11], data[11:]]))) == [
        (1, b"a"),
        (2, b"bc"),
        (3, b"err"),
    ]
    assert demux_all(data[:-1]) == [(1, b"a"), (2, b"bc")]  # a partial frame waits
