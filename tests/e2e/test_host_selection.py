"""Which daemon `dockyard` talks to: -H, then DOCKYARD_HOST, then DOCKER_HOST."""

from __future__ import annotations

import os
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(os.geteuid() != 0, reason="needs root")]


def test_host_selection(daemon: Any) -> None:
    """-H, then DOCKYARD_HOST, then DOCKER_HOST when it points at a dockyard daemon."""
    import subprocess

    from flowkit import tool_argv

    base = {k: v for k, v in daemon.env.items() if k not in ("DOCKYARD_HOST", "DOCKER_HOST")}

    def version(env: dict[str, str], *pre: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*tool_argv("dockyard"), *pre, "version", "--format", "{{.Server.Os}}"],
            env=env, capture_output=True, text=True, timeout=30,
        )  # fmt: skip

    nowhere = f"unix://{daemon.base}/nowhere.sock"
    for env, pre in (
        (base, ("-H", daemon.host)),
        (dict(base, DOCKER_HOST=nowhere), ("--host", daemon.host)),
        (dict(base, DOCKYARD_HOST=daemon.host, DOCKER_HOST=nowhere), ()),
        (dict(base, DOCKER_HOST=daemon.host), ()),
    ):
        proc = version(env, *pre)
        assert proc.returncode == 0 and proc.stdout.strip() == "linux", (env, pre, proc)
    proc = version(dict(base, DOCKYARD_HOST=nowhere))
    assert proc.returncode != 0 and proc.stderr
