"""Shared fixtures: a private test daemon (root only) with the small standard images."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from daemon_harness import TestDaemon  # noqa: E402
from testing.flowkit import TOOLS, Cli, Resources  # noqa: E402


def _can_run_containers() -> str | None:
    if os.geteuid() != 0:
        return "needs root"
    for tool in ("runc", "conmon", "nft"):
        if shutil.which(tool) is None and not os.path.exists(f"/usr/sbin/{tool}"):
            return f"needs {tool}"
    return None


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDaemon]:
    reason = _can_run_containers()
    if reason:
        pytest.skip(reason)
    base = Path(tmp_path_factory.mktemp("dyd"))
    d = TestDaemon(base)  # claims an address pool no other test daemon on this host holds
    try:
        d.start()
        d.load_image("busybox")
        d.load_image("hello-world")
        yield d
    finally:
        d.stop()


@pytest.fixture
def res(daemon: TestDaemon) -> Iterator[Resources]:
    """Unique names for this test's containers/volumes/networks/images; all removed after."""
    r = Resources(daemon)
    try:
        yield r
    finally:
        r.cleanup()


@pytest.fixture(params=TOOLS)
def cli(request: pytest.FixtureRequest, daemon: TestDaemon) -> Cli:
    """The same flow through the real `docker` CLI and through `dockyard`."""
    if request.param == "docker" and shutil.which("docker") is None:
        pytest.skip("needs the docker CLI")
    return Cli(daemon, request.param)
