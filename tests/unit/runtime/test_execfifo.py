import os
import subprocess
import sys
import time

import pytest

from dockyard.runtime import execfifo
from dockyard.runtime.errors import RuntimeStartError

# Plays runc init: blocks opening the fifo for writing, writes "0", then stays a while
# (closing its end only when it "execs", here: exits).
WRITER = (
    "import os, sys, time\n"
    "fd = os.open(sys.argv[1], os.O_WRONLY)\n"
    "os.write(fd, b'0')\n"
    "time.sleep(float(sys.argv[2]))\n"
)


def test_open_fifo_is_none_without_a_fifo(tmp_path):
    assert execfifo.open_fifo(str(tmp_path / "exec.fifo")) is None
    regular = tmp_path / "file"
    regular.write_text("x")
    assert execfifo.open_fifo(str(regular)) is None


def test_release_reads_to_the_writers_close_and_removes_the_fifo(tmp_path):
    fifo = tmp_path / "exec.fifo"
    os.mkfifo(fifo, 0o622)
    init = subprocess.Popen([sys.executable, "-c", WRITER, str(fifo), "0.3"])
    try:
        fd = execfifo.open_fifo(str(fifo))
        assert fd is not None
        t0 = time.monotonic()
        execfifo.release(fd, str(fifo), init.pid, timeout=30)
        # as `runc start`: back only once init closed its end (its exec)
        assert time.monotonic() - t0 >= 0.2
        assert init.poll() is not None or init.wait(5) == 0
        assert not fifo.exists()  # runc's sign that the container runs
    finally:
        init.kill()
        init.wait()


def test_release_of_a_dead_init_is_an_error_and_keeps_the_fifo(tmp_path):
    fifo = tmp_path / "exec.fifo"
    os.mkfifo(fifo, 0o622)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    fd = execfifo.open_fifo(str(fifo))
    assert fd is not None
    with pytest.raises(RuntimeStartError, match="already dead"):
        execfifo.release(fd, str(fifo), dead.pid, timeout=30)
    assert fifo.exists()
