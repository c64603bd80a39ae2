"""Differential parity: every scenario run through the docker CLI against Docker's engine
(the reference) and, unchanged, through our CLI and the docker CLI against dockyardd. Any
difference in exit code, stderr or output shape fails, unless allow.py keeps it with a reason.
Where the docker CLI at dockyardd already behaves like Docker, a difference through `dockyard`
is our CLI's."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from allow import ALLOWED, Allowed, allowed
from compare import Outcome, differences
from daemon_harness import VENV_BIN
from model import Scenario
from runner import Run
from scenarios import SCENARIOS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker CLI"),
]

CLIENTS = ("dockyard", "docker-cli")
# what this session compared, and which allowances it needed (for the stale check at the end)
_COMPARED: set[tuple[str, str]] = set()
_NEEDED: set[Allowed] = set()


def _client(client: str, daemon: Any) -> Run:
    env = dict(daemon.env)
    env.pop("DOCKER_CONTEXT", None)
    argv0 = [str(VENV_BIN / "dockyard")] if client == "dockyard" else ["docker"]
    return Run(argv0, env)


@pytest.fixture(scope="module")
def reference(docker_engine: Any) -> dict[str, list[Outcome]]:
    """Docker's outcomes per scenario, made on first use."""
    return {}


def _docker_outcomes(scenario: Scenario, engine: Any, cache: dict[str, list[Outcome]]) -> list[Outcome]:
    if scenario.name not in cache:
        cache[scenario.name] = Run(["docker"], engine.env).play(scenario)
    return cache[scenario.name]


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_same_as_docker(daemon: Any, docker_engine: Any, reference: dict[str, list[Outcome]],
                        scenario: Scenario, client: str) -> None:  # fmt: skip
    ours = _client(client, daemon).play(scenario)
    tracebacks = [s.key for s, o in zip(scenario.steps, ours, strict=True) if "Traceback" in o.stderr]
    assert not tracebacks, tracebacks
    if isinstance(docker_engine, str):
        pytest.skip(f"Docker side not run: {docker_engine}")
    theirs = _docker_outcomes(scenario, docker_engine, reference)
    found = []
    for step, ref, got in zip(scenario.steps, theirs, ours, strict=True):
        for diff in differences(step, ref, got):
            allowance = allowed(client, step.key, diff)
            if allowance is None:
                found.append(f"[{step.key}] {diff}")
            else:
                _NEEDED.add(allowance)
    _COMPARED.add((scenario.name, client))
    report = os.environ.get("DFX_REPORT")
    if report and found:
        with open(Path(report), "a") as f:
            f.write(f"## {scenario.name} via {client}\n" + "\n".join(found) + "\n")
    assert not found, "\n".join(found)


def test_every_allowance_is_still_needed() -> None:
    """Runs after the scenarios (pytest keeps file order): an allow-list entry no difference
    needed any more is stale and goes, so the list only ever names kept differences."""
    if len(_COMPARED) < len(SCENARIOS) * len(CLIENTS):
        pytest.skip("only after every scenario was compared through both clients in this run")
    stale = [a for a in ALLOWED if a.always and a not in _NEEDED]
    assert not stale, stale
