"""Container record rules: names, config merging with the image, host config checks."""

from __future__ import annotations

import pytest

from dockyard.containers import model
from dockyard.containers.attach import parse_detach_keys
from dockyard.containers.logs import parse_line
from dockyard.containers.signals import parse_signal
from dockyard.containers.starterrors import classify_start_error
from dockyard.errors import InvalidParameter


@pytest.mark.parametrize("name", ["web", "/web", "my_app.1", "a-b", "x1"])
def test_valid_names(name: str) -> None:
    assert model.validate_name(name) == name.lstrip("/")


@pytest.mark.parametrize("name", ["a", "-web", "we b", "wé", "a/b", ""])
def test_invalid_names(name: str) -> None:
    with pytest.raises(InvalidParameter, match="Invalid container name"):
        model.validate_name(name)


def test_name_conflict_message() -> None:
    err = model.name_conflict("web", "abc123")
    assert err.status == 409
    assert 'The container name "/web" is already in use by container "abc123"' in err.message


IMAGE = {
    "Cmd": ["nginx", "-g", "daemon off;"],
    "Entrypoint": ["/docker-entrypoint.sh"],
    "Env": ["PATH=/usr/bin:/bin", "NGINX_VERSION=1.25"],
    "WorkingDir": "/srv",
    "ExposedPorts": {"80/tcp": {}},
    "Labels": {"maintainer": "x"},
    "StopSignal": "SIGQUIT",
}


def test_image_provides_what_the_request_leaves_out() -> None:
    cfg = model.merge_image_config({"Env": ["NGINX_VERSION=2", "A=1"]}, IMAGE)
    assert cfg["Entrypoint"] == ["/docker-entrypoint.sh"]
    assert cfg["Cmd"] == ["nginx", "-g", "daemon off;"]
    assert cfg["Env"] == ["NGINX_VERSION=2", "A=1", "PATH=/usr/bin:/bin"]  # as dockerd
    assert cfg["WorkingDir"] == "/srv"
    assert cfg["StopSignal"] == "SIGQUIT"
    assert cfg["ExposedPorts"] == {"80/tcp": {}}


def test_user_cmd_keeps_image_entrypoint() -> None:
    cfg = model.merge_image_config({"Cmd": ["sh"]}, IMAGE)
    assert model.command_of(cfg) == ["/docker-entrypoint.sh", "sh"]


def test_user_entrypoint_drops_image_cmd() -> None:
    cfg = model.merge_image_config({"Entrypoint": ["/bin/echo"]}, IMAGE)
    assert model.command_of(cfg) == ["/bin/echo"]


def test_empty_entrypoint_clears_it() -> None:
    cfg = model.merge_image_config({"Entrypoint": [""], "Cmd": ["ls"]}, IMAGE)
    assert model.command_of(cfg) == ["ls"]


def test_path_is_always_set() -> None:
    cfg = model.merge_image_config({"Cmd": ["true"]}, {})
    assert cfg["Env"][0].startswith("PATH=")


def test_host_config_defaults_and_restart_policy() -> None:
    hc = model.normalize_host_config(
        {"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3}}, "runc"
    )
    assert hc["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert hc["Runtime"] == "runc"
    assert hc["ShmSize"] == 64 * 1024 * 1024


@pytest.mark.parametrize(
    ("hc", "message"),
    [
        ({"RestartPolicy": {"Name": "sometimes"}}, "invalid restart policy"),
        ({"RestartPolicy": {"Name": "always", "MaximumRetryCount": 2}}, "maximum retry count"),
        ({"AutoRemove": True, "RestartPolicy": {"Name": "always"}}, "AutoRemove"),
        ({"Memory": 1024}, "Minimum memory limit"),
        ({"Memory": -5}, "must not be negative"),
        ({"NanoCpus": -1}, "range of CPUs"),
        ({"NanoCpus": 10**15}, "range of CPUs"),
        ({"CpuShares": "lots"}, "invalid CpuShares"),
    ],
)
def test_bad_host_config(hc: dict, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        model.normalize_host_config(hc, "runc")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('exec: "nosuch": executable file not found in $PATH', 127),
        ("exec: /etc/passwd: permission denied", 126),
        ("something else broke", 128),
    ],
)
def test_start_error_exit_codes(text: str, expected: int) -> None:
    assert classify_start_error(text)[1] == expected


@pytest.mark.parametrize(
    ("sig", "num"), [("SIGTERM", 15), ("term", 15), ("9", 9), ("KILL", 9), (10, 10)]
)
def test_parse_signal(sig: str | int, num: int) -> None:
    assert parse_signal(sig) == num


@pytest.mark.parametrize("sig", ["SIGNOPE", "0", "99"])
def test_parse_bad_signal(sig: str) -> None:
    with pytest.raises(InvalidParameter, match="Invalid signal"):
        parse_signal(sig)


def test_detach_keys() -> None:
    assert parse_detach_keys(None) == b"\x10\x11"
    assert parse_detach_keys("ctrl-a,x") == b"\x01x"
    with pytest.raises(InvalidParameter):
        parse_detach_keys("ctrl-ab")


def test_k8s_file_line_parsing() -> None:
    assert parse_line(b"2026-01-01T00:00:00.1Z stdout F hello world\n") == (
        "2026-01-01T00:00:00.1Z",
        "stdout",
        False,
        b"hello world",
    )
    assert parse_line(b"2026-01-01T00:00:00.1Z stderr P part")[2] is True
    assert parse_line(b"garbage") is None
