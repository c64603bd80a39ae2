"""Container create/update bodies are checked by type before any work (issue 16, item 3)."""

from __future__ import annotations

from typing import Any

import pytest

from dockyard.api.containerbody import check_create, check_update
from dockyard.api.decode import decode_json
from dockyard.errors import InvalidParameter

BAD_CREATE: list[tuple[Any, str]] = [
    ({"Cmd": 5}, "CreateRequest.Cmd of type strslice.StrSlice"),
    ({"Cmd": ["a", 1]}, "CreateRequest.Cmd of type"),
    ({"Env": "A=B"}, "CreateRequest.Env of type []string"),
    ({"Image": 5}, "CreateRequest.Image of type string"),
    ({"HostConfig": "x"}, "CreateRequest.HostConfig of type container.HostConfig"),
    ({"Labels": ["a"]}, "cannot unmarshal array into Go struct field CreateRequest.Labels"),
    ({"Labels": {"a": 1}}, "CreateRequest.Labels of type map[string]string"),
    ({"User": 5}, "cannot unmarshal number into Go struct field CreateRequest.User"),
    ({"Tty": "yes"}, "CreateRequest.Tty of type bool"),
    ({"HostConfig": {"RestartPolicy": "x"}}, "HostConfig.RestartPolicy of type"),
    ({"HostConfig": {"RestartPolicy": {"MaximumRetryCount": "3"}}}, "MaximumRetryCount"),
    ({"HostConfig": {"ShmSize": "x"}}, "HostConfig.ShmSize of type int64"),
    ({"HostConfig": {"PidsLimit": "x"}}, "HostConfig.PidsLimit of type int64"),
    ({"HostConfig": {"PortBindings": "x"}}, "HostConfig.PortBindings of type nat.PortMap"),
    ({"HostConfig": {"PortBindings": {"80/tcp": "x"}}}, "HostConfig.PortBindings"),
    ({"HostConfig": {"Memory": 1.5}}, "number 1.5 into Go struct field"),
    ({"HostConfig": {"Memory": 2**64}}, "HostConfig.Memory of type int64"),
    ({"HostConfig": {"Memory": True}}, "cannot unmarshal bool"),
    ({"HostConfig": {"Binds": "/a:/b"}}, "HostConfig.Binds of type []string"),
    ({"HostConfig": {"LogConfig": {"Config": {"max-size": 1}}}}, "LogConfig.Config"),
    ({"HostConfig": {"ConsoleSize": [1]}}, "HostConfig.ConsoleSize of type [2]uint"),
    ({"NetworkingConfig": {"EndpointsConfig": {"n": 5}}}, "EndpointsConfig"),
    ({"Healthcheck": {"Interval": "1s"}}, "Healthcheck.Interval of type time.Duration"),
    ([], "must be an object"),
]


@pytest.mark.parametrize(("body", "needle"), BAD_CREATE)
def test_wrong_types_are_refused_naming_the_field(body: Any, needle: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        check_create(body)
    assert needle in info.value.message


def test_valid_bodies_pass_unchanged() -> None:
    body = {
        "Image": None,  # null is Go's zero value, not a type error
        "Cmd": "echo hi",
        "Entrypoint": ["/bin/sh", "-c"],
        "Env": ["A=B"],
        "Labels": {"a": "b"},
        "ExposedPorts": {"80/tcp": {}},
        "Unknown": object(),  # unknown fields are ignored, as Go ignores them
        "HostConfig": {
            "Memory": 0,
            "RestartPolicy": {"Name": "always", "MaximumRetryCount": 0},
            "PortBindings": {"80/tcp": [{"HostPort": "8080"}], "81/tcp": None},
            "CapAdd": "NET_ADMIN",
            "ConsoleSize": [24, 80],
        },
        "NetworkingConfig": {"EndpointsConfig": {"bridge": {}, "other": None}},
    }
    assert check_create(body) is body
    assert check_create(None) == {}


def test_update_checks_resources_and_restart_policy() -> None:
    assert check_update({"Memory": 1 << 20, "RestartPolicy": {"Name": "no"}})
    for body, field in [
        ({"Memory": "1m"}, "UpdateConfig.Memory"),
        ({"RestartPolicy": 1}, "UpdateConfig.RestartPolicy"),
    ]:
        with pytest.raises(InvalidParameter, match=field):
            check_update(body)


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (b'{"Memory": NaN}', "invalid character 'N'"),
        (b'{"Memory": -Infinity}', "invalid character '-'"),
        (b'{"Memory": 1e400}', "number 1e400 is out of range"),
        (b"[" * 100_000 + b"]" * 100_000, "exceeded max depth"),
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "exceeded max depth"),
    ],
)
def test_non_finite_numbers_and_deep_nesting_are_400(raw: bytes, needle: str) -> None:
    with pytest.raises(InvalidParameter, match=needle):
        decode_json(raw)


def test_commit_config_is_checked_like_create() -> None:
    from dockyard.api.containerbody import check_config

    assert check_config(None) is None
    assert check_config({"Cmd": ["sh"], "Env": ["A=B"]}) == {"Cmd": ["sh"], "Env": ["A=B"]}
    with pytest.raises(InvalidParameter, match="Go struct field Config.Cmd of type strslice"):
        check_config({"Cmd": 5})
    with pytest.raises(InvalidParameter, match="Config.Labels of type map"):
        check_config({"Labels": ["a"]})
