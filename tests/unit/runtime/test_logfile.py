import os
import threading
import time

from dockyard.runtime import logfile
from dockyard.runtime.logfile import (
    LogFollower,
    follow_logs,
    parse_timestamp,
    read_logs,
    rotate,
)

T0 = "2026-01-02T03:04:05.000000001+00:00"


def rec(i: int, stream: str = "stdout", tag: str = "F", text: str | None = None) -> str:
    ts = f"2026-01-02T03:04:{i % 60:02d}.{i:09d}+00:00"
    return f"{ts} {stream} {tag} {text if text is not None else f'line{i}'}\n"


def write(path, *records: str, mode: str = "w") -> None:
    with open(path, mode) as f:
        f.write("".join(records))


def test_parse_timestamp_offsets_and_nanos():
    secs, text = parse_timestamp(T0)
    assert text == "2026-01-02T03:04:05.000000001Z"
    secs2, text2 = parse_timestamp("2026-01-02T05:04:05.5+02:00")
    assert text2 == "2026-01-02T03:04:05.500000000Z"
    assert abs(secs2 - secs - 0.5) < 1e-6


def test_read_all_partial_join_and_stream_filter(tmp_path):
    p = tmp_path / "log"
    write(
        p,
        rec(1),
        rec(2, "stdout", "P", "par"),
        rec(3, "stderr", "F", "err"),
        rec(4, "stdout", "F", "tial"),
        rec(5, "stdout", "F", ""),
    )
    got = list(read_logs(str(p)))
    assert [(s, d) for s, d, _ in got] == [
        ("stdout", b"line1\n"),
        ("stderr", b"err\n"),
        ("stdout", b"partial\n"),
        ("stdout", b"\n"),
    ]
    assert got[2][2] == parse_timestamp(rec(2).split()[0])[1]  # first fragment's time
    assert [d for _, d, _ in read_logs(str(p), stdout=False)] == [b"err\n"]


def test_tail_since_until_timestamps(tmp_path):
    p = tmp_path / "log"
    write(p, *[rec(i) for i in range(1, 11)])
    assert [d for _, d, _ in read_logs(str(p), tail=3)] == [b"line8\n", b"line9\n", b"line10\n"]
    assert list(read_logs(str(p), tail=0)) == []
    assert len(list(read_logs(str(p), tail=100))) == 10
    assert len(list(read_logs(str(p), tail=-1))) == 10
    since = parse_timestamp(rec(5).split()[0])[0]
    until = parse_timestamp(rec(7).split()[0])[0]
    got = [d for _, d, _ in read_logs(str(p), since=since, until=until)]
    assert got == [b"line5\n", b"line6\n", b"line7\n"]
    (_, data, ts) = next(read_logs(str(p), tail=1, timestamps=True))
    assert data == ts.encode() + b" line10\n"


def test_tail_counts_selected_stream_and_ignores_incomplete_record(tmp_path):
    p = tmp_path / "log"
    write(p, rec(1), rec(2, "stderr"), rec(3), rec(4, "stderr"), rec(5, "stdout", "P", "a"))
    write(p, rec(6, "stdout", "F", "b"), mode="a")
    with open(p, "a") as f:
        f.write("2026-01-02T03:04:07.000000000+00:00 stdout F half-writ")  # no newline yet
    got = [d for _, d, _ in read_logs(str(p), tail=2, stderr=False)]
    assert got == [b"line3\n", b"ab\n"]


def test_tail_is_fast_on_big_log(tmp_path):
    p = tmp_path / "log"
    line = rec(1, text="x" * 200)
    with open(p, "w") as f:
        f.write(line * 250_000)  # ~60 MB
    t = time.monotonic()
    got = list(read_logs(str(p), tail=5))
    assert len(got) == 5
    assert time.monotonic() - t < 0.5
    t = time.monotonic()
    assert next(read_logs(str(p)))[1] == b"x" * 200 + b"\n"  # streamed, not slurped
    assert time.monotonic() - t < 0.2


def test_tail_spans_rotated_files(tmp_path):
    p = tmp_path / "log"
    write(str(p) + ".2", rec(1), rec(2))
    write(str(p) + ".1", rec(3))
    write(p, rec(4))
    assert logfile.log_files(str(p)) == [str(p) + ".2", str(p) + ".1", str(p)]
    assert [d for _, d, _ in read_logs(str(p))] == [b"line1\n", b"line2\n", b"line3\n", b"line4\n"]
    assert [d for _, d, _ in read_logs(str(p), tail=3)] == [b"line2\n", b"line3\n", b"line4\n"]


def test_rotate_keeps_max_file(tmp_path):
    p = str(tmp_path / "log")
    for i in range(4):
        write(p, rec(i))
        rotate(p, 3)
    assert sorted(os.listdir(tmp_path)) == ["log.1", "log.2"]
    assert open(p + ".1").read() == rec(3)
    assert open(p + ".2").read() == rec(2)


def test_follower_sees_appends_replacement_and_truncation(tmp_path):
    p = tmp_path / "log"
    write(p, rec(1), rec(2))
    f = LogFollower(str(p), tail=1)
    assert [d for _, d, _ in f.initial] == [b"line2\n"]
    assert f.poll() == []
    write(p, rec(3, "stdout", "P", "x"), mode="a")
    assert f.poll() == []  # partial line: wait for the rest
    write(p, rec(4, "stdout", "F", "y"), mode="a")
    assert [d for _, d, _ in f.poll()] == [b"xy\n"]
    # conmon-style replacement: rename a new file over the path after a last write
    write(p, rec(5), mode="a")
    write(str(p) + ".tmp", rec(6))
    os.replace(str(p) + ".tmp", p)
    assert [d for _, d, _ in f.poll()] == [b"line5\n", b"line6\n"]
    # truncation in place
    with open(p, "w") as fh:
        fh.write(rec(7, text="z"))  # shorter than what we already read
    assert [d for _, d, _ in f.poll()] == [b"z\n"]
    f.close()


def test_follow_logs_stops_and_catches_last_lines(tmp_path):
    p = tmp_path / "log"
    write(p, rec(1))
    stop = threading.Event()
    got = []

    def consume():
        for _, d, _ in follow_logs(str(p), stop=stop, poll_interval=0.01):
            got.append(d)

    t = threading.Thread(target=consume)
    t.start()
    time.sleep(0.05)
    write(p, rec(2), mode="a")
    time.sleep(0.05)
    write(p, rec(3), mode="a")
    stop.set()
    t.join(2)
    assert not t.is_alive()
    assert got == [b"line1\n", b"line2\n", b"line3\n"]


def test_follow_waits_for_missing_file(tmp_path):
    p = tmp_path / "log"
    f = LogFollower(str(p))
    assert list(f.initial) == [] and f.poll() == []
    write(p, rec(1))
    assert [d for _, d, _ in f.poll()] == [b"line1\n"]
    f.close()
