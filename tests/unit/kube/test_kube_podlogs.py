"""`pod logs`: prefixed whole lines, stdout and stderr apart, several containers followed."""

from __future__ import annotations

import io
import struct
import threading
from collections.abc import Iterator

import pytest

from dockyard.client.api import APIError
from dockyard.kube.podlogs import LogOptions, PrefixWriter, print_logs


def frame(stream: int, data: bytes) -> bytes:
    return struct.pack(">BxxxI", stream, len(data)) + data


class Engine:
    """Containers whose logs are canned chunks; `gate` holds a follower until released."""

    def __init__(self, logs: dict[str, list[bytes]], tty: set[str] | None = None) -> None:
        self.containers = self
        self.logs_of, self.tty = logs, tty or set()
        self.asked: list[dict] = []
        self.gate = threading.Event()

    def inspect(self, cid: str) -> dict:
        return {"Config": {"Tty": cid in self.tty}}

    def logs(self, cid: str, **kwargs: object) -> Iterator[bytes]:
        self.asked.append({"id": cid, **kwargs})
        if cid == "gone":
            raise APIError(404, "No such container: gone")
        for i, chunk in enumerate(self.logs_of[cid]):
            if i == 1 and kwargs["follow"] and cid == "slow":
                self.gate.wait(5)  # the other container's lines come meanwhile
            yield chunk


def run(engine: Engine, members: list[tuple[str, str]], **opts: object) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    print_logs(engine, members, LogOptions(**opts), PrefixWriter(out, err))  # type: ignore[arg-type]
    return out.getvalue(), err.getvalue()


def test_lines_split_across_frames_are_whole_and_streams_stay_apart() -> None:
    engine = Engine(
        {
            "a": [frame(1, b"hel"), frame(1, b"lo\nwor") + frame(2, b"oops\r\n"), frame(1, b"ld")],
            "t": [b"tty line\r\n"],
        },
        tty={"t"},
    )
    out, err = run(engine, [("web", "a"), ("term", "t")], tail="5", timestamps=True)
    assert out == "web hello\nweb world\nterm tty line\n"
    assert err == "web oops\n"
    assert engine.asked[0] == {
        "id": "a",
        "follow": False,
        "tail": "5",
        "since": None,
        "until": None,
        "timestamps": True,
    }


def test_follow_reads_every_container_at_once() -> None:
    engine = Engine({"slow": [frame(1, b"first\n"), frame(1, b"last\n")], "fast": []})

    def fast() -> Iterator[bytes]:
        yield frame(1, b"fast line\n")
        engine.gate.set()  # only now may the slow container go on

    engine.logs_of["fast"] = fast()  # type: ignore[assignment]
    out, _ = run(engine, [("slow", "slow"), ("fast", "fast")], follow=True, since="1700000000")
    lines = out.splitlines()
    assert sorted(lines) == ["fast fast line", "slow first", "slow last"]
    # slow's last line waited for fast's: both were read at the same time
    assert lines.index("fast fast line") < lines.index("slow last")
    assert {a["id"]: a["follow"] for a in engine.asked} == {"slow": True, "fast": True}
    assert engine.asked[0]["since"] == "1700000000"


def test_one_container_gone_does_not_stop_the_others() -> None:
    engine = Engine({"a": [frame(1, b"still here\n")]})
    out, err = run(engine, [("x", "gone"), ("a", "a")], follow=True)
    assert out == "a still here\n"
    assert err == "x error: No such container: gone\n"


@pytest.mark.parametrize("flag", ["--since", "--until"])
def test_bad_times_are_refused(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    from dockyard.cli import main

    code = main.main(["-H", "unix:///nonexistent.sock", "pod", "logs", flag, "yesterday", "p"])
    assert code == 1
    assert f'invalid value for "{flag[2:]}"' in capsys.readouterr().err
