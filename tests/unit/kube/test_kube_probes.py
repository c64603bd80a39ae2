"""Health checks <-> probes, both ways, table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from dockyard.kube.probes import (
    health_from_docker,
    health_from_probe,
    health_to_docker,
    probe_from_health,
)
from dockyard.kube.spec import Health

S = 1_000_000_000

DOCKER_TO_PROBE = [
    (
        {
            "Test": ["CMD", "pg_isready", "-U", "app"],
            "Interval": 10 * S,
            "Timeout": 3 * S,
            "Retries": 5,
        },
        {
            "exec": {"command": ["pg_isready", "-U", "app"]},
            "periodSeconds": 10,
            "timeoutSeconds": 3,
            "failureThreshold": 5,
        },
    ),
    (
        {"Test": ["CMD-SHELL", "curl -f localhost || exit 1"], "StartPeriod": 20 * S},
        {
            "exec": {"command": ["/bin/sh", "-c", "curl -f localhost || exit 1"]},
            "periodSeconds": 30,
            "timeoutSeconds": 30,
            "failureThreshold": 3,
            "initialDelaySeconds": 20,
        },
    ),
    # sub-second durations round up to Kubernetes' one second minimum
    (
        {"Test": ["CMD", "true"], "Interval": S // 2, "Timeout": S // 10, "Retries": 0},
        {
            "exec": {"command": ["true"]},
            "periodSeconds": 1,
            "timeoutSeconds": 1,
            "failureThreshold": 3,
        },
    ),
]


@pytest.mark.parametrize(("docker", "probe"), DOCKER_TO_PROBE)
def test_docker_health_check_to_probe(docker: dict[str, Any], probe: dict[str, Any]) -> None:
    health = health_from_docker(docker)
    assert health is not None
    assert probe_from_health(health) == probe


@pytest.mark.parametrize("docker", [None, {}, {"Test": ["NONE"]}, {"Test": []}, {"Test": ["CMD"]}])
def test_no_health_check(docker: dict[str, Any] | None) -> None:
    assert health_from_docker(docker) is None


PROBE_TO_DOCKER = [
    (
        {
            "exec": {"command": ["/bin/sh", "-c", "test -f /ready"]},
            "periodSeconds": 5,
            "timeoutSeconds": 2,
            "failureThreshold": 4,
            "initialDelaySeconds": 7,
        },
        {
            "Test": ["CMD-SHELL", "test -f /ready"],
            "Interval": 5 * S,
            "Timeout": 2 * S,
            "Retries": 4,
            "StartPeriod": 7 * S,
        },
    ),
    # Kubernetes' defaults: every 10 s, 1 s timeout, 3 failures
    (
        {"exec": {"command": ["cat", "/tmp/healthy"]}},
        {
            "Test": ["CMD", "cat", "/tmp/healthy"],
            "Interval": 10 * S,
            "Timeout": 1 * S,
            "Retries": 3,
            "StartPeriod": 0,
        },
    ),
]


@pytest.mark.parametrize(("probe", "docker"), PROBE_TO_DOCKER)
def test_probe_to_docker_health_check(probe: dict[str, Any], docker: dict[str, Any]) -> None:
    health = health_from_probe(probe)
    assert health is not None
    assert health_to_docker(health) == docker


@pytest.mark.parametrize(
    "probe",
    [
        {"httpGet": {"path": "/", "port": 80}},
        {"tcpSocket": {"port": 80}},
        {"grpc": {"port": 9000}},
        {"exec": {"command": []}},
    ],
)
def test_probes_without_a_command_have_no_health_check(probe: dict[str, Any]) -> None:
    assert health_from_probe(probe) is None


def test_round_trip_keeps_the_check() -> None:
    health = Health(["CMD", "true"], interval=15, timeout=4, retries=2, start_period=9)
    assert health_from_probe(probe_from_health(health)) == health
