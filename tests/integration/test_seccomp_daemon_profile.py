"""The daemon's seccomp-profile (daemon.json) with real containers: a custom profile is the
containers' default, a container's own option still wins, "unconfined" drops the filter,
and a bad profile refuses the start before anything is made."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from daemon_harness import TestDaemon

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]

DENY_MKDIR = {
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}],
}
WARNING = "WARNING: daemon is not using the default seccomp profile"
SECCOMP_MODE = ["grep", "Seccomp:", "/proc/self/status"]


def run(d: TestDaemon, *argv: str) -> tuple[int, str]:
    proc = d.cli("run", "--rm", "--network", "none", *argv)
    return proc.returncode, proc.stdout + proc.stderr


def test_custom_profile_then_unconfined(tmp_path: Path) -> None:
    profile = tmp_path / "deny-mkdir.json"
    profile.write_text(json.dumps(DENY_MKDIR))
    d = TestDaemon(tmp_path / "d")
    try:
        d.start(extra_config={"seccomp-profile": str(profile)})
        d.load_image("busybox")
        code, out = run(d, "busybox", "mkdir", "/x")
        assert code == 1 and "mkdir: can't create directory '/x': Operation not permitted" in out
        code, out = run(d, "--security-opt", "seccomp=builtin", "busybox", "mkdir", "/x")
        assert code == 0, out  # the default profile by name, not the daemon's
        code, out = run(d, "--security-opt", "seccomp=unconfined", "busybox", *SECCOMP_MODE)
        assert (code, out.strip()) == (0, "Seccomp:\t0")
        for info in (d.docker("info"), d.cli("info")):  # both CLIs render the daemon's answer
            assert f" Security Options:\n  seccomp\n   Profile: {profile}\n" in info.stdout
            assert WARNING in info.stderr

        d.kill()
        d.start(extra_config={"seccomp-profile": "unconfined"})
        code, out = run(d, "busybox", *SECCOMP_MODE)
        assert (code, out.strip()) == (0, "Seccomp:\t0")
        code, out = run(d, "--security-opt", "seccomp=builtin", "busybox", *SECCOMP_MODE)
        assert (code, out.strip()) == (0, "Seccomp:\t2")
        info = d.client().get("/info")
        assert info["SecurityOptions"] == ["name=seccomp,profile=unconfined"]
        assert info["Warnings"] == [WARNING]
    finally:
        d.stop()


def test_bad_profile_refuses_the_start(tmp_path: Path) -> None:
    profile = tmp_path / "bad.json"
    profile.write_text('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"]')
    d = TestDaemon(tmp_path / "d")
    try:
        with pytest.raises(RuntimeError) as err:
            d.start(extra_config={"seccomp-profile": str(profile)})
        assert f"invalid seccomp profile ({profile}): Decoding seccomp profile failed" in str(
            err.value
        )
        assert not d.socket.exists() and not d.root.exists()
    finally:
        d.stop()
