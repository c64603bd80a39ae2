"""A dockyard node is a Docker node outside a swarm: the real docker CLI and docker-py see
the same errors, messages and exit codes as against such a Docker."""

from __future__ import annotations

import os
from typing import Any

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]

NOT_MANAGER = (
    'Error response from daemon: This node is not a swarm manager. Use "docker swarm init" or '
    '"docker swarm join" to connect this node to swarm and try again.'
)


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (["swarm", "leave"], "Error response from daemon: This node is not part of a swarm"),
        (
            ["swarm", "leave", "--force"],
            "Error response from daemon: This node is not part of a swarm",
        ),
        (["node", "ls"], NOT_MANAGER),
        (["service", "ls"], NOT_MANAGER),
        (["secret", "ls"], NOT_MANAGER),
        (["config", "ls"], NOT_MANAGER),
        (["swarm", "unlock-key"], "could not fetch unlock key: " + NOT_MANAGER),
        (["plugin", "inspect", "nope"], 'Error response from daemon: plugin "nope" not found'),
    ],
)
def test_docker_cli_swarm_commands_fail_as_outside_a_swarm(
    daemon: Any, args: list[str], stderr: str
) -> None:
    proc = daemon.docker(*args, timeout=30)
    assert proc.returncode == 1, proc
    assert proc.stderr.strip() == stderr
    # inspect prints the (empty) list of what it found, as against Docker
    assert proc.stdout == ("[]\n" if args[1] == "inspect" else "")


def test_docker_cli_plugin_ls_and_info(daemon: Any) -> None:
    proc = daemon.docker("plugin", "ls")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["ID", "NAME", "DESCRIPTION", "ENABLED"]
    info = daemon.docker("info")
    assert info.returncode == 0, info.stderr
    assert " Swarm: inactive\n" in info.stdout
    ours = daemon.cli("info")
    assert ours.returncode == 0 and " Swarm: inactive\n" in ours.stdout, ours
    fmt = daemon.docker("info", "--format", "{{json .Swarm}}")
    assert fmt.stdout.strip() == (
        '{"NodeID":"","NodeAddr":"","LocalNodeState":"inactive","ControlAvailable":false,'
        '"Error":"","RemoteManagers":null}'
    )


def test_docker_py_sees_a_node_outside_a_swarm(docker_client: Any) -> None:
    docker = pytest.importorskip("docker")
    # docker-py ignores a 503 on a forced leave: against Docker outside a swarm it is True.
    assert docker_client.swarm.leave(force=True) is True
    with pytest.raises(docker.errors.APIError) as e:
        docker_client.swarm.leave()
    assert e.value.status_code == 503
    assert e.value.explanation == "This node is not part of a swarm"
    for call in (docker_client.nodes.list, docker_client.services.list, docker_client.secrets.list,
                 docker_client.configs.list):  # fmt: skip
        with pytest.raises(docker.errors.APIError) as e:
            call()
        assert e.value.status_code == 503
        assert e.value.explanation.startswith("This node is not a swarm manager. Use ")
    assert docker_client.plugins.list() == []
    with pytest.raises(docker.errors.NotFound):
        docker_client.plugins.get("nope")
    swarm = docker_client.info()["Swarm"]
    assert swarm["LocalNodeState"] == "inactive" and swarm["NodeID"] == ""
    with pytest.raises(docker.errors.APIError) as e:
        docker_client.swarm.init()
    assert e.value.status_code == 501
    assert docker_client.info()["Swarm"]["LocalNodeState"] == "inactive"
