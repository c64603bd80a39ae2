import asyncio
import socket
import struct

import pytest

from dockyard.network import dnswire as w
from dockyard.network.dns import DnsServer


def test_query_round_trip():
    data = w.build_query("Web.Example.", qid=7)
    q = w.parse_query(data)
    assert q.id == 7 and q.question == w.Question("web.example", w.QTYPE_A, w.CLASS_IN)
    assert q.flags & w.FLAG_RD


def test_a_response_encoding():
    q = w.parse_query(w.build_query("web", qid=9))
    ans = w.parse_response(w.a_response(q, ["10.1.0.2", "10.1.0.3"]))
    assert ans.id == 9 and ans.rcode == w.NOERROR
    assert ans.addresses == ["10.1.0.2", "10.1.0.3"]
    assert ans.flags & w.FLAG_QR and ans.flags & w.FLAG_AA and ans.flags & w.FLAG_RD


def test_nxdomain_and_ptr():
    q = w.parse_query(w.build_query("nope", qid=1))
    assert w.parse_response(w.response(q, w.NXDOMAIN)).rcode == w.NXDOMAIN
    assert w.ptr_ip("2.0.1.10.in-addr.arpa") == "10.1.0.2"
    assert w.ptr_ip("x.in-addr.arpa") is None
    q = w.parse_query(w.build_query("2.0.1.10.in-addr.arpa", w.QTYPE_PTR))
    assert w.parse_response(w.ptr_response(q, ["web.net"])).addresses == ["web.net"]


def test_compressed_names_and_garbage():
    # a name that points back to the question's name
    data = w.build_query("a.b")
    ans = w.a_response(w.parse_query(data), ["1.2.3.4"])
    assert w.parse_response(ans).addresses == ["1.2.3.4"]
    with pytest.raises(w.WireError):
        w.parse_query(b"\x00\x01")
    loop = struct.pack("!6H", 1, 0, 1, 0, 0, 0) + b"\xc0\x0c"
    with pytest.raises(w.WireError):
        w.parse_query(loop)


def _server(upstreams=None):
    table = {"web": ["10.1.0.2"], "db": ["10.1.0.3"]}
    return DnsServer(lambda key, src, name: table.get(name), None, upstreams)


def test_server_answers_ours_and_refuses_without_upstream():
    async def go():
        s = _server()
        r = await s.handle("n", "10.1.0.5", w.build_query("web"), tcp=False)
        assert w.parse_response(r).addresses == ["10.1.0.2"]
        r = await s.handle("n", "10.1.0.5", w.build_query("web", w.QTYPE_AAAA), tcp=False)
        assert w.parse_response(r).rcode == w.NOERROR and not w.parse_response(r).addresses
        r = await s.handle("n", "10.1.0.5", w.build_query("elsewhere.test"), tcp=False)
        assert w.parse_response(r).rcode == w.REFUSED

    asyncio.run(go())


def test_server_forwards_to_upstream_on_loopback():
    async def go():
        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        up.bind(("127.0.0.1", 0))
        up.setblocking(False)
        loop = asyncio.get_running_loop()

        async def fake_upstream():
            data, addr = await loop.sock_recvfrom(up, 512)
            q = w.parse_query(data)
            rcode_reply = (
                w.a_response(q, ["192.0.2.77"])
                if q.question.name == "known.test"
                else w.response(q, w.NXDOMAIN)
            )
            await loop.sock_sendto(up, rcode_reply, addr)

        s = _server([("127.0.0.1", up.getsockname()[1])])
        task = asyncio.create_task(fake_upstream())
        r = await s.handle("n", "10.1.0.5", w.build_query("known.test"), tcp=False)
        await task
        assert w.parse_response(r).addresses == ["192.0.2.77"]
        task = asyncio.create_task(fake_upstream())
        r = await s.handle("n", "10.1.0.5", w.build_query("missing.test"), tcp=False)
        await task
        assert w.parse_response(r).rcode == w.NXDOMAIN
        up.close()

    asyncio.run(go())


def test_server_servfail_when_upstream_silent(monkeypatch):
    from dockyard.network import dns

    monkeypatch.setattr(dns, "FORWARD_TIMEOUT", 0.2)

    async def go():
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        silent.bind(("127.0.0.1", 0))
        s = _server([("127.0.0.1", silent.getsockname()[1])])
        r = await s.handle("n", "10.1.0.5", w.build_query("x.test"), tcp=False)
        assert w.parse_response(r).rcode == w.SERVFAIL
        silent.close()

    asyncio.run(go())


def test_server_over_real_sockets_udp_and_tcp():
    """A listener on loopback answers over UDP and TCP (length-prefixed)."""

    async def go():
        s = _server()
        port = await s.start_listener("n", "127.0.0.1", 0)
        loop = asyncio.get_running_loop()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.setblocking(False)
        await loop.sock_connect(u, ("127.0.0.1", port))
        await loop.sock_sendall(u, w.build_query("db", qid=5))
        ans = w.parse_response(await asyncio.wait_for(loop.sock_recv(u, 512), 2))
        assert (ans.id, ans.addresses) == (5, ["10.1.0.3"])
        u.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for qid in (6, 7):  # several queries on one connection
            q = w.build_query("web", qid=qid)
            writer.write(struct.pack("!H", len(q)) + q)
            size = struct.unpack("!H", await reader.readexactly(2))[0]
            ans = w.parse_response(await reader.readexactly(size))
            assert (ans.id, ans.addresses) == (qid, ["10.1.0.2"])
        writer.close()
        await s.close()

    asyncio.run(go())


def test_server_answers_servfail_when_lookup_breaks():
    def broken(key, src, name):
        raise KeyError(key)

    async def go():
        s = DnsServer(broken)
        r = await s.handle("n", "10.1.0.5", w.build_query("web"), tcp=False)
        assert w.parse_response(r).rcode == w.SERVFAIL

    asyncio.run(go())
