import pytest

from dockyard.common.ports import parse_expose, parse_port_spec, parse_publish, publish_all
from dockyard.errors import Conflict, InvalidParameter
from dockyard.network.portmap import PortReserver


def one(spec):
    exposed, bindings = parse_publish([spec])
    return exposed, bindings


@pytest.mark.parametrize(
    "spec,exposed,bindings",
    [
        ("8080:80", {"80/tcp": {}}, {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}),
        (
            "127.0.0.1:8080:80",
            {"80/tcp": {}},
            {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]},
        ),
        ("127.0.0.1::80", {"80/tcp": {}}, {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}),
        ("8080:80/udp", {"80/udp": {}}, {"80/udp": [{"HostIp": "", "HostPort": "8080"}]}),
        ("8080:80/TCP", {"80/tcp": {}}, {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}),
        ("80", {"80/tcp": {}}, {"80/tcp": [{"HostIp": "", "HostPort": ""}]}),
        (":80", {"80/tcp": {}}, {"80/tcp": [{"HostIp": "", "HostPort": ""}]}),
        ("0:80", {"80/tcp": {}}, {"80/tcp": [{"HostIp": "", "HostPort": "0"}]}),
        ("[::1]:80:80", {"80/tcp": {}}, {"80/tcp": [{"HostIp": "::1", "HostPort": "80"}]}),
        ("::1:80:80", {"80/tcp": {}}, {"80/tcp": [{"HostIp": "::1", "HostPort": "80"}]}),
        ("[::1]::80", {"80/tcp": {}}, {"80/tcp": [{"HostIp": "::1", "HostPort": ""}]}),
        ("80/sctp", {"80/sctp": {}}, {"80/sctp": [{"HostIp": "", "HostPort": ""}]}),
        (
            "8000-8010:80",
            {"80/tcp": {}},
            {"80/tcp": [{"HostIp": "", "HostPort": "8000-8010"}]},
        ),
        (
            "8000-8002:80-82/udp",
            {"80/udp": {}, "81/udp": {}, "82/udp": {}},
            {
                "80/udp": [{"HostIp": "", "HostPort": "8000"}],
                "81/udp": [{"HostIp": "", "HostPort": "8001"}],
                "82/udp": [{"HostIp": "", "HostPort": "8002"}],
            },
        ),
        (
            "80-81",
            {"80/tcp": {}, "81/tcp": {}},
            {
                "80/tcp": [{"HostIp": "", "HostPort": ""}],
                "81/tcp": [{"HostIp": "", "HostPort": ""}],
            },
        ),
    ],
)
def test_valid_specs_match_docker_cli(spec, exposed, bindings):
    assert one(spec) == (exposed, bindings)


@pytest.mark.parametrize(
    "spec,message",
    [
        ("99999:80", "invalid hostPort: 99999"),
        ("a:b", "invalid containerPort: b"),
        ("8080:80/xyz", "invalid proto: xyz"),
        (
            "8000-8010:80-85",
            "invalid ranges specified for container and host Ports: 80-85 and 8000-8010",
        ),
        ("1.2.3:80:80", "invalid IP address: 1.2.3"),
        ("8080:", "no port specified: 8080:<empty>"),
        ("80-70", "invalid containerPort: 80-70"),
        ("65536", "invalid containerPort: 65536"),
        ("1.2.3.4:80", "invalid hostPort: 1.2.3.4"),
    ],
)
def test_invalid_specs_have_docker_texts(spec, message):
    with pytest.raises(InvalidParameter) as exc:
        parse_port_spec(spec)
    assert exc.value.message == message


def test_repeated_port_accumulates_bindings():
    _, bindings = parse_publish(["8080:80", "127.0.0.1:9090:80"])
    assert bindings == {
        "80/tcp": [
            {"HostIp": "", "HostPort": "8080"},
            {"HostIp": "127.0.0.1", "HostPort": "9090"},
        ]
    }


def test_expose_and_publish_all():
    exposed = parse_expose(["80", "7000-7001/udp"])
    assert exposed == {"80/tcp": {}, "7000/udp": {}, "7001/udp": {}}
    out = publish_all(exposed, {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]})
    assert out["80/tcp"] == [{"HostIp": "", "HostPort": "8080"}]
    assert out["7000/udp"] == [{"HostIp": "", "HostPort": ""}]


def test_reserver_any_port_and_conflicts():
    r = PortReserver()
    try:
        port = r.reserve("tcp", "127.0.0.1", "")
        assert r.range[0] <= port <= r.range[1]
        # same port again, on the same or on every address, is ours already
        with pytest.raises(Conflict) as exc:
            r.reserve("tcp", "", str(port))
        assert exc.value.message == f"Bind for 0.0.0.0:{port} failed: port is already allocated"
        # udp is another space
        assert r.reserve("udp", "127.0.0.1", str(port)) == port
        r.release("tcp", "127.0.0.1", port)
        assert r.reserve("tcp", "127.0.0.1", str(port)) == port
    finally:
        r.release_all()


def test_reserver_hands_out_ports_in_order_as_dockerd():
    """From the range's start, each search going on after the last port handed out (a
    released port is not taken again at once); a port in use by another program is skipped."""
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    busy = s.getsockname()[1]
    r = PortReserver((busy - 1, busy + 3))
    try:
        first = r.reserve("tcp", "127.0.0.1", "")
        assert first == busy - 1
        assert r.reserve("tcp", "127.0.0.1", "") == busy + 1  # skips the busy one
        r.release("tcp", "127.0.0.1", first)
        assert r.reserve("tcp", "127.0.0.1", "") == busy + 2
    finally:
        s.close()
        r.release_all()


def test_reserver_refuses_port_of_other_program():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    port = s.getsockname()[1]
    r = PortReserver()
    try:
        with pytest.raises(Conflict) as exc:
            r.reserve("tcp", "127.0.0.1", str(port))
        assert "address already in use" in exc.value.message
        # a range skips it
        got = r.reserve("tcp", "127.0.0.1", f"{port}-{port + 5}")
        assert got != port
    finally:
        s.close()
        r.release_all()


def test_an_ipv6_port_is_relayed_to_the_container_address():
    """[::]:P listens and relays to the (IPv4) target, as docker-proxy does; IPv4 and IPv6
    reservations of one port do not conflict; release stops the relay."""
    import socket
    import threading

    from dockyard.network.portmap import ipv6_wildcard_available

    if not ipv6_wildcard_available():
        pytest.skip("IPv6 is disabled on this host")
    upstream = socket.create_server(("127.0.0.1", 0))
    target = upstream.getsockname()

    def echo_once() -> None:
        conn, _ = upstream.accept()
        with conn:
            conn.sendall(b"echo:" + conn.recv(100))

    threading.Thread(target=echo_once, daemon=True).start()
    r = PortReserver()
    try:
        for _ in range(20):  # a port free on IPv4 may be held on IPv6 by another program
            port = r.reserve("tcp", "0.0.0.0", "")
            try:
                assert r.reserve("tcp", "::", str(port)) == port
                break
            except Conflict:
                continue
        else:
            pytest.fail("no port free on both IPv4 and IPv6")
        r.forward("tcp", "::", port, target)
        with socket.create_connection(("::1", port), timeout=5) as c:
            c.sendall(b"hi")
            c.shutdown(socket.SHUT_WR)
            assert c.recv(100) == b"echo:hi"
        r.release("tcp", "::", port)
        with pytest.raises(OSError):
            socket.create_connection(("::1", port), timeout=2).close()
    finally:
        r.release_all()
        upstream.close()
