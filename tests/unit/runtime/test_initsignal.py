"""runtime/initsignal: a container's init is signalled straight only when provably it."""

from __future__ import annotations

import signal
import subprocess
import sys

from dockyard.runtime import initsignal


def _sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def test_a_process_outside_the_containers_cgroup_is_not_signalled() -> None:
    p = _sleeper()
    try:
        assert not initsignal.signal_init(p.pid, "f" * 64, signal.SIGKILL)
        assert p.poll() is None  # nothing was sent
    finally:
        p.kill()
        p.wait()


def test_a_process_that_is_not_its_namespaces_init_is_not_signalled() -> None:
    p = _sleeper()
    try:
        with open(f"/proc/{p.pid}/cgroup") as f:
            own = f.read().strip().splitlines()[-1].rsplit("/", 1)[-1] or "/"
        # In the right cgroup (named as the test runs), but pid 1 of no namespace of its own.
        assert not initsignal.signal_init(p.pid, own, signal.SIGKILL)
        assert p.poll() is None
    finally:
        p.kill()
        p.wait()


def test_gone_or_no_pid_is_left_to_the_runtime() -> None:
    p = _sleeper()
    p.kill()
    p.wait()
    assert not initsignal.signal_init(p.pid, "f" * 64, signal.SIGKILL)
    assert not initsignal.signal_init(0, "f" * 64, signal.SIGKILL)


def test_the_namespace_line_decides() -> None:
    assert initsignal._first_of_its_namespace("Name:\tsleep\nNSpid:\t4242\t1\n")
    assert not initsignal._first_of_its_namespace("NSpid:\t4242\n")
    assert not initsignal._first_of_its_namespace("NSpid:\t4242\t7\n")
    assert not initsignal._first_of_its_namespace("Name:\told kernel\n")
