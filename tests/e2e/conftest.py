"""Fixtures of the end-to-end tests (the daemon itself comes from tests/conftest.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))



@pytest.fixture(scope="module")
def docker_client(daemon: Any) -> Iterator[Any]:
    """A docker-py client talking to the module's private daemon."""
    docker = pytest.importorskip("docker")
    client = docker.DockerClient(base_url=daemon.host, timeout=60)
    try:
        yield client
    finally:
        client.close()
