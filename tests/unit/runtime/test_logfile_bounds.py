"""Logs are bounded by default and never exceed max-size x max-file (issue 16, item 7)."""

from __future__ import annotations

from dockyard.containers.runtime_adapter import _conmon_log_cap, _size_bytes
from dockyard.runtime.logfile import effective_log_opts


def test_default_bound_when_nobody_sets_max_size() -> None:
    assert effective_log_opts({}, None) == {"max-size": "20m", "max-file": "5"}
    assert effective_log_opts({}, {"max-file": "3"}) == {"max-size": "20m", "max-file": "3"}


def test_daemon_json_and_container_override_the_default() -> None:
    daemon = {"max-size": "10m", "max-file": "2"}
    assert effective_log_opts(daemon, {}) == daemon
    assert effective_log_opts(daemon, {"max-size": "1m"}) == {"max-size": "1m", "max-file": "2"}
    # An explicit max-size alone keeps Docker's max-file of 1; -1 is unbounded, as Docker's.
    assert effective_log_opts({}, {"max-size": "1m"}) == {"max-size": "1m"}
    assert _conmon_log_cap(effective_log_opts({}, {"max-size": "-1"})) is None


def test_no_file_grows_past_max_size() -> None:
    assert _size_bytes("1m") == 1024 * 1024  # Docker's RAMInBytes
    assert _conmon_log_cap({"max-size": "1m", "max-file": "2"}) == 1024 * 1024
    assert _conmon_log_cap({"max-size": "1m"}) == 1024 * 1024
