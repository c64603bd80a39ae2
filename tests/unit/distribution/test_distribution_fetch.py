"""fetch.BlobStream (a layer blob read straight from the registry) and InOrder (Docker's
"Pull complete" lines bottom first), against a scripted repository."""

from __future__ import annotations

import contextlib
import hashlib
import threading

import pytest

from dockyard.distribution.fetch import BlobStream, Cancelled, InOrder
from dockyard.registry.errors import ConnectError, VerificationError

DATA = bytes(range(256)) * 40  # 10240 bytes
DIGEST = "sha256:" + hashlib.sha256(DATA).hexdigest()


class FakeResponse:
    def __init__(self, data: bytes, break_at: int | None) -> None:
        self.data, self.pos, self.break_at = data, 0, break_at
        self.closed: bool | None = None

    def read_chunk(self, n: int) -> bytes:
        if self.break_at is not None and self.pos >= self.break_at:
            raise ConnectError("connection reset")
        end = len(self.data) if self.break_at is None else self.break_at
        chunk = self.data[self.pos : min(self.pos + min(n, 1000), end)]
        self.pos += len(chunk)
        return chunk

    def close(self, reuse: bool = True) -> None:
        self.closed = reuse


class FakeRepo:
    """Serves `data`; the first `breaks` responses break after `break_at` bytes."""

    def __init__(self, data: bytes, breaks: int = 0, break_at: int = 3000) -> None:
        self.data, self.breaks, self.break_at = data, breaks, break_at
        self.opened: list[FakeResponse] = []

    def open_blob(self, digest: str) -> FakeResponse:
        broken = len(self.opened) < self.breaks
        resp = FakeResponse(self.data, self.break_at if broken else None)
        self.opened.append(resp)
        return resp


def read_all(stream: BlobStream, n: int = 700) -> bytes:
    out = b""
    while chunk := stream.read(n):
        out += chunk
    return out


def test_stream_hands_out_the_blob_with_docker_progress() -> None:
    msgs: list[dict] = []
    done: list[bool] = []
    stream = BlobStream(FakeRepo(DATA), DIGEST, len(DATA), threading.Event(), msgs.append,
                        "abc", lambda: done.append(True))  # fmt: skip
    with stream:
        assert read_all(stream) == DATA
        assert done == []  # not before the store is done with it
    assert done == [True]
    words = [m["status"] for m in msgs]
    assert words[0] == "Downloading" and words[-2:] == ["Verifying Checksum", "Download complete"]
    assert msgs[-3]["progressDetail"] == {"current": len(DATA), "total": len(DATA)}


def test_broken_connection_resumes_where_it_stopped() -> None:
    repo = FakeRepo(DATA, breaks=2)
    stream = BlobStream(repo, DIGEST, len(DATA), threading.Event())
    assert read_all(stream) == DATA
    assert len(repo.opened) == 3


def test_connection_breaking_every_time_gives_up() -> None:
    repo = FakeRepo(DATA, breaks=5)
    stream = BlobStream(repo, DIGEST, len(DATA), threading.Event())
    with pytest.raises(ConnectError):
        read_all(stream)
    assert len(repo.opened) == 3


def test_more_bytes_than_declared_fail_verification() -> None:
    stream = BlobStream(FakeRepo(DATA + b"extra"), DIGEST, len(DATA), threading.Event())
    with pytest.raises(VerificationError, match=f"verification failed for digest {DIGEST}"):
        read_all(stream, 1 << 20)


def test_fewer_bytes_than_declared_fail_verification() -> None:
    stream = BlobStream(FakeRepo(DATA[:-10]), DIGEST, len(DATA), threading.Event())
    with pytest.raises(VerificationError):
        read_all(stream)


def test_done_only_when_the_layer_was_stored() -> None:
    done: list[bool] = []
    for fails in (True, False):
        stream = BlobStream(FakeRepo(DATA), DIGEST, len(DATA), threading.Event(), [].append,
                            "abc", lambda: done.append(True))  # fmt: skip
        with pytest.raises(ValueError) if fails else contextlib.nullcontext(), stream:
            read_all(stream)
            if fails:
                raise ValueError("the store refused it")
    assert done == [True]


def test_close_before_the_end_does_not_reuse_the_connection() -> None:
    repo = FakeRepo(DATA)
    with BlobStream(repo, DIGEST, len(DATA), threading.Event()) as stream:
        stream.read(100)  # a consumer failing early (a tar error in a corrupt layer)
    assert repo.opened[0].closed is False


def test_another_layers_failure_cancels_the_stream() -> None:
    failed = threading.Event()
    repo = FakeRepo(DATA)
    stream = BlobStream(repo, DIGEST, len(DATA), failed)
    stream.read(100)
    failed.set()
    with pytest.raises(Cancelled):
        stream.read(100)
    assert repo.opened[0].pos == 100


def test_pull_complete_lines_come_bottom_first() -> None:
    msgs: list[dict] = []
    order = InOrder(msgs.append, ["a", "b", "c"])
    marks = {i: order.done(i, 10) for i in "abc"}
    marks["c"]()
    marks["b"]()
    assert [m["status"] for m in msgs] == ["Extracting", "Extracting"]
    marks["a"]()
    complete = [m["id"] for m in msgs if m["status"] == "Pull complete"]
    assert complete == ["a", "b", "c"]
