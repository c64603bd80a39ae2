"""Network, volume and exec bodies checked against the Engine API's types (issue 16)."""

from __future__ import annotations

import pytest

from dockyard.api.bodycheck import go_kind
from dockyard.api.resourcebodies import (
    EXEC_CREATE,
    EXEC_START,
    NETWORK_CONNECT,
    NETWORK_CREATE,
    VOLUME_CREATE,
    check_length,
    checked,
)
from dockyard.errors import InvalidParameter


@pytest.mark.parametrize(
    ("fields", "struct", "body", "message"),
    [
        (NETWORK_CREATE, "CreateRequest", {"Name": "n", "Internal": "yes"},
         "cannot unmarshal string into Go struct field CreateRequest.Internal of type bool"),
        (NETWORK_CREATE, "CreateRequest", {"Name": "n", "IPAM": {"Config": [{"Subnet": 5}]}},
         "cannot unmarshal number into Go struct field CreateRequest.IPAM.Config.Subnet of type string"),
        (NETWORK_CREATE, "CreateRequest", {"Name": "n", "IPAM": {"Config": {"a": 1}}},
         "CreateRequest.IPAM.Config of type []network.IPAMConfig"),
        (NETWORK_CREATE, "CreateRequest", {"Name": "n", "IPAM": {"Options": {"a": 1}}},
         "CreateRequest.IPAM.Options of type map[string]string"),
        (NETWORK_CREATE, "CreateRequest", {"Name": "n", "EnableIPv6": 1},
         "cannot unmarshal number into Go struct field CreateRequest.EnableIPv6 of type bool"),
        (NETWORK_CONNECT, "NetworkConnect", {"Container": "c", "EndpointConfig": {"Aliases": "a"}},
         "NetworkConnect.EndpointConfig.Aliases of type []string"),
        (NETWORK_CONNECT, "NetworkConnect",
         {"Container": "c", "EndpointConfig": {"IPAMConfig": {"IPv4Address": 4}}},
         "NetworkConnect.EndpointConfig.IPAMConfig.IPv4Address of type string"),
        (VOLUME_CREATE, "CreateOptions", {"Name": ["v"]},
         "cannot unmarshal array into Go struct field CreateOptions.Name of type string"),
        (VOLUME_CREATE, "CreateOptions", {"Labels": {"a": None}}, "CreateOptions.Labels"),
        (EXEC_CREATE, "ExecConfig", {"Cmd": "ls"}, "ExecConfig.Cmd of type []string"),
        (EXEC_CREATE, "ExecConfig", {"Cmd": ["ls"], "ConsoleSize": [1, -1]},
         "ExecConfig.ConsoleSize of type [2]uint"),
        (EXEC_START, "ExecStartCheck", {"Detach": "no"}, "ExecStartCheck.Detach of type bool"),
    ],
)  # fmt: skip
def test_wrong_types_are_named_as_dockerd_names_them(fields, struct, body, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidParameter) as err:
        checked(body, fields, struct)
    assert message in err.value.message


def test_good_and_null_bodies_pass() -> None:
    body = {"Name": "n", "IPAM": {"Config": [{"Subnet": "10.1.0.0/24", "AuxiliaryAddresses": {}}]},
            "Labels": None, "ConfigFrom": {"Network": "x"}}  # fmt: skip
    assert checked(body, NETWORK_CREATE, "CreateRequest") is body
    assert checked(None, VOLUME_CREATE, "CreateOptions") == {}
    with pytest.raises(InvalidParameter, match="must be an object"):
        checked([1], EXEC_START, "ExecStartCheck")


def test_numbers_that_do_not_fit_are_named_with_their_literal() -> None:
    assert go_kind(-1, "uint16") == "number -1" and go_kind(1.5, "int") == "number 1.5"
    assert go_kind(5, "string") == "number" and go_kind(True, "int") == "bool"


def test_names_have_a_length_limit() -> None:
    assert check_length("container", "a" * 255)
    with pytest.raises(InvalidParameter, match="too long"):
        check_length("container", "é" * 128)


def test_auth_config_and_registry_addresses() -> None:
    from dockyard.api.auth import check_registry_address
    from dockyard.api.resourcebodies import AUTH_CONFIG

    with pytest.raises(InvalidParameter, match="AuthConfig.password of type string"):
        checked({"password": []}, AUTH_CONFIG, "AuthConfig")
    for ok in ("", "localhost:5000", "https://index.docker.io/v1/", "[::1]:5000"):
        check_registry_address(ok)
    for bad in ('{"a":5}', "a b", "x:99999", "\x00"):
        with pytest.raises(InvalidParameter, match="invalid registry address"):
            check_registry_address(bad)
