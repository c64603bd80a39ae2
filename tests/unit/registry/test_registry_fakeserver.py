"""The in-memory registry the registry and distribution tests run against."""

from __future__ import annotations

from testing.registry import FakeRegistry, make_layer


def test_fake_registry_serves_what_it_holds() -> None:
    import http.client

    with FakeRegistry() as reg:
        digest, _, raw = reg.add_image("x", "1", [make_layer({"a": b"1"})])
        conn = http.client.HTTPConnection(reg.host, timeout=5)
        conn.request("GET", "/v2/x/manifests/1")
        resp = conn.getresponse()
        assert resp.status == 200 and resp.read() == raw
        conn.close()
