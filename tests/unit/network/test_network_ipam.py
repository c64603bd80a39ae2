from ipaddress import IPv4Address, IPv4Network

import pytest

from dockyard.errors import Conflict, Forbidden, InvalidParameter
from dockyard.network.ipam import DEFAULT_POOLS, ERR_OVERLAP, Allocation, Ipam


def ipam(routes=()):
    return Ipam(DEFAULT_POOLS, lambda: [IPv4Network(r) for r in routes])


def test_default_pools_in_docker_order():
    i = ipam()
    got = [str(i.create(f"n{k}").subnet) for k in range(7)]
    assert got == [
        "172.17.0.0/16",
        "172.18.0.0/16",
        "172.19.0.0/16",
        "172.20.0.0/16",
        "172.21.0.0/16",
        "172.22.0.0/16",
        "172.23.0.0/16",
    ]


def test_skips_host_routes_and_user_subnets():
    i = ipam(routes=["172.17.5.0/24", "172.19.0.0/16"])
    i.create("user", subnet="172.18.0.0/16")
    assert str(i.create("a").subnet) == "172.20.0.0/16"


def test_falls_back_to_192_168_slash_20():
    i = Ipam(
        [{"base": "172.17.0.0/16", "size": 16}, {"base": "192.168.0.0/16", "size": 20}],
        lambda: [IPv4Network("192.168.0.0/24")],
    )
    assert str(i.create("a").subnet) == "172.17.0.0/16"
    assert str(i.create("b").subnet) == "192.168.16.0/20"
    assert str(i.create("c").subnet) == "192.168.32.0/20"


def test_exhausted_pools():
    i = Ipam([{"base": "10.9.0.0/24", "size": 24}], lambda: [])
    i.create("a")
    with pytest.raises(Forbidden):
        i.create("b")


def test_user_subnet_errors():
    i = ipam()
    i.create("a", subnet="10.1.0.0/16")
    with pytest.raises(Forbidden) as exc:
        i.create("b", subnet="10.1.2.0/24")
    assert exc.value.message == ERR_OVERLAP
    with pytest.raises(InvalidParameter) as exc:
        i.create("c", subnet="10.2.0.1/24")
    assert exc.value.message.endswith("invalid subnet 10.2.0.1/24: it should be 10.2.0.0/24")
    with pytest.raises(InvalidParameter):
        i.create("d", subnet="banana")
    with pytest.raises(InvalidParameter) as exc:
        i.create("e", subnet="10.3.0.0/24", gateway="10.4.0.1")
    assert exc.value.message == "no matching subnet for gateway 10.4.0.1"


def test_allocation_is_lowest_free_and_skips_gateway():
    i = ipam()
    a = i.create("n", subnet="10.5.0.0/29", gateway="10.5.0.1")
    assert a.gateway == IPv4Address("10.5.0.1")
    got = [str(i.allocate("n")) for _ in range(3)]
    assert got == ["10.5.0.2", "10.5.0.3", "10.5.0.4"]
    i.release("n", "10.5.0.2")
    assert str(i.allocate("n")) == "10.5.0.2"  # dockerd hands the lowest free one out again
    assert str(i.allocate("n")) == "10.5.0.5"
    assert str(i.allocate("n")) == "10.5.0.6"
    with pytest.raises(Forbidden):
        i.allocate("n")


def test_requested_ip():
    i = ipam()
    i.create("n", subnet="10.6.0.0/24")
    assert str(i.allocate("n", "10.6.0.50")) == "10.6.0.50"
    with pytest.raises(Conflict) as exc:
        i.allocate("n", "10.6.0.50")
    assert exc.value.message == "Address already in use"
    with pytest.raises(Conflict):
        i.allocate("n", "10.6.0.1")  # the gateway
    with pytest.raises(InvalidParameter):
        i.allocate("n", "10.7.0.5")


def test_state_round_trip():
    i = ipam()
    i.create("n", subnet="10.8.0.0/24", ip_range="10.8.0.128/25")
    i.allocate("n")
    i.allocate("n")
    j = ipam()
    j.load(i.to_dict())
    assert j.to_dict() == i.to_dict()
    assert str(j.allocate("n")) == "10.8.0.132"  # .129 gateway, .130 .131 taken
    assert Allocation.from_dict(i.networks["n"].to_dict()).user_subnet


def test_podman_subnets_are_read_from_its_network_files(tmp_path) -> None:
    from ipaddress import IPv4Network

    from dockyard.network.ipam import podman_subnets

    (tmp_path / "podman.json").write_text(
        '{"name": "podman", "subnets": [{"subnet": "10.88.0.0/16", "gateway": "10.88.0.1"},'
        ' {"subnet": "fd00::/64"}]}'
    )
    (tmp_path / "broken.json").write_text("{not json")
    assert podman_subnets(str(tmp_path)) == [IPv4Network("10.88.0.0/16")]
    assert podman_subnets(str(tmp_path / "missing")) == []


def test_ipv6_subnets_allocate_and_persist_beside_ipv4():
    ipam = Ipam(routes=lambda: [])
    ipam.create("n1")
    v6 = ipam.create6("n1", "fd42:1::/64")
    assert str(v6.gateway) == "fd42:1::1"
    assert str(v6.allocate()) == "fd42:1::2"
    assert str(v6.allocate("fd42:1::10")) == "fd42:1::10"
    with pytest.raises(Conflict):
        v6.allocate("fd42:1::10")
    with pytest.raises(InvalidParameter):
        v6.allocate("10.0.0.1")
    with pytest.raises(Forbidden, match=ERR_OVERLAP):
        ipam.create6("n2", "fd42:1::/48")
    with pytest.raises(InvalidParameter, match="it should be fd42:2::/64"):
        ipam.create6("n2", "fd42:2::5/64")
    auto = ipam.create6("abcdef0123456789")
    assert str(auto.subnet) == "fdab:cdef:123::/64"

    again = Ipam(routes=lambda: [])
    again.load(ipam.to_dict())
    assert set(again.networks) == {"n1"}
    assert again.networks6["n1"].allocated == v6.allocated
    assert str(again.networks6["n1"].allocate()) == "fd42:1::3"
    again.remove("n1")
    assert "n1" not in again.networks6


def test_pending_rows_are_the_changes_only():
    ipam = Ipam(routes=lambda: [])
    ipam.create("n1", "10.1.0.0/24")
    for _ in range(50):
        ipam.allocate("n1")
    assert len(ipam.pending()) == 51  # the subnet and its addresses
    ipam.written()
    assert ipam.pending() == []
    ipam.release("n1", "10.1.0.7")
    ipam.allocate("n1", "10.1.0.200")
    assert sorted(ipam.pending()) == [
        ("addresses", "n1 10.1.0.200", True),
        ("addresses", "n1 10.1.0.7", None),
    ]
    ipam.written()
    ipam.remove("n1")
    gone = ipam.pending()
    assert ("ipam", "n1", None) in gone and len(gone) == 51
    assert all(doc is None for _, _, doc in gone)


def test_rows_load_back_and_orphan_addresses_go():
    ipam = Ipam(routes=lambda: [])
    ipam.create("n1", "10.1.0.0/24")
    ipam.allocate("n1")
    subnets = {k: doc for t, k, doc in ipam.pending() if t == "ipam"}
    addresses = {k: doc for t, k, doc in ipam.pending() if t == "addresses"}
    again = Ipam(routes=lambda: [])
    again.load_rows(subnets, {**addresses, "gone 10.2.0.2": True})
    assert again.to_dict() == ipam.to_dict()
    assert again.pending() == [("addresses", "gone 10.2.0.2", None)]
