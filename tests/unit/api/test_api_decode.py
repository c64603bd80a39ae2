"""Request bodies of the network and volume routes decoded into plain options."""

from __future__ import annotations

import pytest

from dockyard.api.decode import json_object, opt_object, str_map, string
from dockyard.api.networks import connect_options, create_options, disconnect_options
from dockyard.errors import InvalidParameter
from dockyard.network.options import ConnectOptions, CreateOptions, DisconnectOptions


def test_create_options_defaults_and_fields() -> None:
    assert create_options({"Name": "n"}) == CreateOptions(name="n")
    opts = create_options(
        {
            "Name": "n",
            "Driver": "",
            "Internal": True,
            "IPAM": {"Config": [{"Subnet": "10.9.0.0/24"}]},
            "Labels": {"a": "b"},
            "Options": None,
        }
    )
    assert opts.driver == "bridge" and opts.internal and opts.labels == {"a": "b"}
    assert opts.ipam == {"Config": [{"Subnet": "10.9.0.0/24"}]} and opts.options == {}


@pytest.mark.parametrize(
    "body",
    [{}, {"Name": ""}, {"Name": 3}, {"Name": "n", "Labels": ["a"]}, {"Name": "n", "IPAM": "x"}],
)
def test_create_options_refuse_bad_bodies(body: dict) -> None:
    with pytest.raises(InvalidParameter):
        create_options(body)


def test_connect_and_disconnect_options() -> None:
    assert connect_options({"Container": "c", "EndpointConfig": None}) == ConnectOptions("c", {})
    assert connect_options({"Container": "c", "EndpointConfig": {"Aliases": ["x"]}}) == (
        ConnectOptions("c", {"Aliases": ["x"]})
    )
    assert disconnect_options({"Container": "c", "Force": True}) == DisconnectOptions("c", True)
    assert disconnect_options({}) == DisconnectOptions("", False)


def test_decode_helpers() -> None:
    assert json_object(None) == {}
    with pytest.raises(InvalidParameter):
        json_object([1])
    assert opt_object({"k": {}}, "k") is None
    assert str_map({"k": None}, "k") == {}
    with pytest.raises(InvalidParameter):
        str_map({"k": {"a": 1}}, "k")
    assert string({"k": ""}, "k", "d") == "d"
    with pytest.raises(InvalidParameter):
        string({"k": 1}, "k")


@pytest.mark.parametrize("name", ["../x", "a/b", "bad name!", "a\0b", "-x", "_x", "x" * 10_000])
def test_network_names_follow_dockers_rule_and_limit(name: str) -> None:
    with pytest.raises(InvalidParameter, match="network name"):
        create_options({"Name": name})


def test_network_names_docker_accepts() -> None:
    for name in ["a", "my-net_1.2", "A" * 255]:
        assert create_options({"Name": name}).name == name
