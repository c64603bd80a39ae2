"""Docker's engine for the differential tests, started once per module (see docker_engine.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from daemon_harness import IMAGES_OUT  # noqa: E402
from docker_engine import DockerEngine, why_docker_cannot_run  # noqa: E402


@pytest.fixture(scope="module")
def docker_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DockerEngine | str]:
    """A private dockerd with busybox and hello-world, or why there is none (a string)."""
    reason = why_docker_cannot_run()
    if reason:
        yield reason
        return
    engine = DockerEngine(Path(tmp_path_factory.mktemp("dkd")))
    try:
        try:
            engine.start()
            for image in ("busybox", "hello-world"):
                engine.load(IMAGES_OUT / f"{image}.tar")
        except RuntimeError as e:
            yield f"Docker's engine could not start here: {e}"
            return
        yield engine
    finally:
        engine.stop()
