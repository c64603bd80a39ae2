"""GET /info's security part follows the daemon's seccomp-profile, as dockerd 23+ shows it."""

from __future__ import annotations

import pytest

from dockyard.api.system import security_info

WARNING = "WARNING: daemon is not using the default seccomp profile"


@pytest.mark.parametrize(
    ("profile", "warnings"),
    [("builtin", None), ("unconfined", [WARNING]), ("/etc/dockyard/seccomp.json", [WARNING])],
)
def test_security_options_name_the_daemon_profile(profile: str, warnings: list | None) -> None:
    assert security_info(profile) == {
        "SecurityOptions": [f"name=seccomp,profile={profile}"],
        "Warnings": warnings,
    }
