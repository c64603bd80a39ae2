"""Health checks both ways: Docker's Healthcheck ↔ Kubernetes' exec probes.

Kubernetes probes run an `exec` command, an HTTP GET or a TCP connect; Docker's health
check runs a command. Only `exec` maps without guessing which tools an image has, so the
other two are reported and skipped by the caller.
"""

from __future__ import annotations

from typing import Any

from .spec import Health

_NS = 1_000_000_000
_SHELL = ["/bin/sh", "-c"]


def health_from_docker(hc: dict[str, Any] | None) -> Health | None:
    """A container's Config.Healthcheck (durations in nanoseconds); None when it has none."""
    if not hc:
        return None
    test = list(hc.get("Test") or [])
    if not test or test[0] == "NONE" or test == ["CMD"]:
        return None
    if test[0] not in ("CMD", "CMD-SHELL"):
        test = ["CMD-SHELL", " ".join(test)]
    return Health(
        test=test,
        interval=(hc.get("Interval") or 30 * _NS) / _NS,
        timeout=(hc.get("Timeout") or 30 * _NS) / _NS,
        retries=hc.get("Retries") or 3,
        start_period=(hc.get("StartPeriod") or 0) / _NS,
    )


def health_to_docker(health: Health) -> dict[str, Any]:
    """The Healthcheck field of a create body."""
    return {
        "Test": list(health.test),
        "Interval": int(health.interval * _NS),
        "Timeout": int(health.timeout * _NS),
        "Retries": health.retries,
        "StartPeriod": int(health.start_period * _NS),
    }


def _seconds(value: float) -> int:
    return max(1, round(value))


def probe_from_health(health: Health) -> dict[str, Any]:
    """An exec probe (liveness and readiness alike) for a Docker health check."""
    if health.test[0] == "CMD-SHELL":
        command = [*_SHELL, health.test[1] if len(health.test) > 1 else ""]
    else:
        command = list(health.test[1:])
    probe: dict[str, Any] = {
        "exec": {"command": command},
        "periodSeconds": _seconds(health.interval),
        "timeoutSeconds": _seconds(health.timeout),
        "failureThreshold": max(1, health.retries),
    }
    if health.start_period:
        probe["initialDelaySeconds"] = round(health.start_period)
    return probe


def health_from_probe(probe: dict[str, Any]) -> Health | None:
    """A Docker health check for an exec probe; None for httpGet/tcpSocket/grpc probes."""
    command = list((probe.get("exec") or {}).get("command") or [])
    if not command:
        return None
    if command[:2] == _SHELL and len(command) == 3:
        test = ["CMD-SHELL", command[2]]
    else:
        test = ["CMD", *command]
    return Health(
        test=test,
        interval=float(probe.get("periodSeconds", 10)),
        timeout=float(probe.get("timeoutSeconds", 1)),
        retries=int(probe.get("failureThreshold", 3)),
        start_period=float(probe.get("initialDelaySeconds", 0)),
    )
