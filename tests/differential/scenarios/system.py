"""The engine as a whole: version, info, system df, login without a TTY."""

from __future__ import annotations

from model import Scenario, cmd

SYSTEM = Scenario(
    "system",
    (
        cmd("version --format '{{json .}}'", "json"),
        cmd("version --format '{{.Server.Os}} {{.Client.Os}}'"),
        cmd("version --format '{{.Server.Nope}}'"),
        cmd("info --format '{{json .}}'", "json"),
        cmd("info --format '{{.OSType}} {{.Driver}} {{.ContainersRunning}}'", "none"),
        cmd("info --format '{{.Nope}}'"),
        cmd("system df", "table"),
        cmd("system df -v", "none"),
        cmd("system df --format json", "jsonl"),
        cmd("system df --format '{{.Type}}'", "exact"),
        cmd("system df --format '{{.Nope}}'"),
        cmd("login localhost:1"),
        cmd("login -u someone localhost:1"),
        cmd("logout localhost:1"),
    ),
)

SCENARIOS = (SYSTEM,)
