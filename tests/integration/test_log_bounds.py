"""Container logs stay within max-size x max-file as Docker's (issue 16, item 7), with the
bound taken from daemon.json `log-opts` or the container's own --log-opt."""

from __future__ import annotations

import glob
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import daemon_harness  # noqa: E402

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]

MIB = 1024 * 1024
LINE = "l=0123456789012345678901234567890123456789012345678901234567890123456789; "
# ~8 MiB of output as fast as busybox sh can write it.
FLOOD = LINE + "i=0; while [ $i -lt 80000 ]; do echo $i$l; i=$((i+1)); done; echo done"
# ~3 MiB in bursts of ~200 KiB, paced so the rotation keeps up and nothing is dropped.
PACED = (
    LINE + "for b in $(seq 15); do i=0; while [ $i -lt 1800 ]; do echo $i$l; i=$((i+1)); done; "
    "sleep 0.5; done; echo done"
)


@pytest.fixture(scope="module")
def dyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    d = daemon_harness.TestDaemon(Path(tmp_path_factory.mktemp("dylogs")))
    try:
        d.start({"log-opts": {"max-size": "512k", "max-file": "2"}})
        d.load_image("busybox")
        yield d
    finally:
        d.stop()


def flood(d: Any, name: str, *opts: str, script: str = FLOOD) -> list[int]:
    """Run the script to its end; the sizes of its log files, largest first."""
    proc = d.cli("run", "-d", "--name", name, *opts, "busybox", "sh", "-c", script)
    assert proc.returncode == 0, proc.stderr
    assert d.cli("wait", name).stdout.strip() == "0"
    log_path = json.loads(d.cli("inspect", name).stdout)[0]["LogPath"]
    files = glob.glob(glob.escape(log_path) + "*")
    assert files, log_path
    tail = d.cli("logs", "--tail", "1", name)
    assert tail.stdout.strip() == "done", tail.stdout + tail.stderr
    return sorted((os.path.getsize(f) for f in files), reverse=True)


def test_daemon_json_log_opts_bound_a_container(dyd: Any) -> None:
    sizes = flood(dyd, "daemon-bound")
    assert len(sizes) <= 2 and sizes[0] <= 512 * 1024, sizes


def test_container_log_opts_override_the_daemons(dyd: Any) -> None:
    opts = ("--log-opt", "max-size=1m", "--log-opt", "max-file=2")
    sizes = flood(dyd, "own-bound", *opts, script=PACED)
    # At most 2 files of at most 1 MiB (Docker: about 2 MB, not 4); the rotated one is past
    # the daemon's 512k, so the container's options won.
    assert len(sizes) == 2 and 512 * 1024 < sizes[0] <= MIB and sizes[1] <= MIB, sizes
