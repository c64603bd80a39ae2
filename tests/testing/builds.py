"""Build tests' helper: write a Dockerfile into a context directory and run
`dockyard build` against a test daemon."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any


def build_dir(
    daemon: Any, ctx: Path, dockerfile: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    ctx.mkdir(parents=True, exist_ok=True)
    (ctx / "Dockerfile").write_text(dockerfile)
    if env is None:
        return daemon.cli("build", *args, str(ctx), timeout=180)
    return subprocess.run(
        [str(Path(daemon.env["PATH"].split(":")[0]) / "dockyard"), "build", *args, str(ctx)],
        env={**daemon.env, **env},
        capture_output=True,
        text=True,
        timeout=180,
    )
