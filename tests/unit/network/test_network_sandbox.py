from dockyard.network import sandbox
from dockyard.network.bridge import mac_for


def test_hosts_file_layout():
    text = sandbox.hosts_file(
        "abc123",
        "172.17.0.3",
        extra_hosts=[("gw", "172.17.0.1")],
        links=[("172.17.0.2", "mydb", "db")],
    )
    lines = text.splitlines()
    assert lines[0] == "127.0.0.1\tlocalhost"
    assert "172.17.0.1\tgw" in lines
    assert "172.17.0.2\tmydb db" in lines
    assert lines[-1] == "172.17.0.3\tabc123"


def test_extra_hosts_host_gateway():
    got = sandbox.parse_extra_hosts(["a:1.2.3.4", "b=host-gateway", "c:[::1]"], "172.17.0.1")
    assert got == [("a", "1.2.3.4"), ("b", "172.17.0.1"), ("c", "::1")]


def test_resolv_conf_parsing_filters_loopback():
    r = sandbox.parse_resolv_conf(
        "# hi\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch a.b c\noptions edns0\n"
    )
    assert r.nameservers == ["127.0.0.53", "10.0.0.2"]
    assert r.reachable == ["10.0.0.2"]
    assert r.search == ["a.b", "c"]
    assert sandbox.resolv_conf(["10.0.0.2"], r.search, ["ndots:0"]) == (
        "search a.b c\nnameserver 10.0.0.2\noptions ndots:0\n"
    )


def test_docker_mac():
    assert mac_for("172.17.0.2") == "02:42:ac:11:00:02"
