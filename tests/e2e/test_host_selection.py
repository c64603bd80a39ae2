"""Which daemon `dockyard` talks to: -H, then DOCKYARD_HOST, then DOCKER_HOST."""

from __future__ import annotations

import os
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(os.geteuid() != 0, reason="needs root")]


def test_host_selection(daemon: Any) -> None:
    """-H, then DOCKYARD_HOST, then DOCKER_HOST when it points at a dockyard daemon."""
    import subprocess

    from testing.flowkit import tool_argv

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


@pytest.mark.parametrize("tool", ["dockyard", "docker"])
def test_context_selection(daemon: Any, tmp_path: Any, tool: str) -> None:
    """A context made by either CLI reaches the daemon through --context, DOCKER_CONTEXT and
    `context use`; a host in the environment beats the context in use, as in Docker."""
    import shutil
    import subprocess

    from testing.flowkit import tool_argv

    if tool == "docker" and shutil.which("docker") is None:
        pytest.skip("needs the docker CLI")
    base = {k: v for k, v in daemon.env.items() if k not in ("DOCKYARD_HOST", "DOCKER_HOST")}
    base["DOCKER_CONFIG"] = str(tmp_path)
    maker = "docker" if tool == "dockyard" else "dockyard"  # made by the other CLI

    def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)

    made = run([*tool_argv(maker), "context", "create", "e2e-ctx", "--docker", f"host={daemon.host}"], base)
    assert made.returncode == 0, made.stderr
    fmt = ["version", "--format", "{{.Server.Os}}"]
    for pre, env in (
        (["--context", "e2e-ctx"], base),
        ([], dict(base, DOCKER_CONTEXT="e2e-ctx")),
    ):
        proc = run([*tool_argv(tool), *pre, *fmt], env)
        assert proc.returncode == 0 and proc.stdout.strip() == "linux", (pre, proc)
    assert run([*tool_argv(tool), "context", "use", "e2e-ctx"], base).returncode == 0
    proc = run([*tool_argv(tool), *fmt], base)
    assert proc.returncode == 0 and proc.stdout.strip() == "linux", proc
    nowhere = f"unix://{tmp_path}/nowhere.sock"
    host_var = "DOCKYARD_HOST" if tool == "dockyard" else "DOCKER_HOST"
    proc = run([*tool_argv(tool), *fmt], dict(base, **{host_var: nowhere}))
    assert proc.returncode != 0  # a host in the environment overrides the context in use
    proc = run([*tool_argv(tool), "--context", "nosuch", "ps"], base)
    assert proc.returncode == 1 and 'context "nosuch": context not found' in proc.stderr
