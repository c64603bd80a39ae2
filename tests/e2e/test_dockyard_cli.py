"""The tutorial's flows through our own `dockyard` CLI against a private dockyardd."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tutorial_flows as flows  # noqa: E402
from flowkit import Cli, Resources  # noqa: E402

TOOL = "dockyard"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(
        TOOL == "docker" and shutil.which("docker") is None, reason="needs the docker CLI"
    ),
]


@pytest.fixture
def cli(daemon: Any) -> Cli:
    return Cli(daemon, TOOL)


def test_version_info(cli: Cli) -> None:
    flows.flow_version_info(cli)


def test_hello_world(cli: Cli, res: Resources) -> None:
    flows.flow_hello_world(cli, res)


def test_hello_world_named_rm_rmi_load(cli: Cli, res: Resources) -> None:
    flows.flow_hello_world_named_then_rmi(cli, res)


def test_nginx_cp_and_stop_removes(cli: Cli, res: Resources, tmp_path: Path) -> None:
    flows.flow_nginx_cp(cli, res, tmp_path)


def test_nginx_host_volume(cli: Cli, res: Resources, tmp_path: Path) -> None:
    flows.flow_nginx_volume(cli, res, tmp_path)


def test_mysql_env_and_data_volume(cli: Cli, res: Resources, tmp_path: Path) -> None:
    flows.flow_mysql(cli, res, tmp_path)


def test_redis_master_three_replicas_link(cli: Cli, res: Resources) -> None:
    flows.flow_redis_link(cli, res)


def test_ps_start_stop_rm(cli: Cli, res: Resources) -> None:
    flows.flow_ps_start_stop(cli, res)


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
