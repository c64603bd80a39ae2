"""network create/connect/disconnect send the bodies the docker CLI sends."""

from dockyard.client.engine import Engine


def test_network_create_body_matches_docker(monkeypatch):
    from dockyard.cli import networks

    captured = {}

    class FakeClient:
        def post(self, path, params=None, body=None):
            captured["body"] = body
            return {"Id": "x"}

    class Ctx:
        client = FakeClient()
        api = Engine(client)

    networks.create(
        Ctx(),
        [
            "--subnet", "10.1.0.0/24", "--gateway", "10.1.0.1", "--ip-range", "10.1.0.128/25",
            "--internal", "--label", "a=b", "--attachable",
            "-o", "com.docker.network.bridge.name=br9", "-d", "bridge", "n1",
        ],
    )  # fmt: skip
    assert captured["body"] == {
        "Driver": "bridge",
        "Scope": "",
        "IPAM": {
            "Driver": "default",
            "Options": {},
            "Config": [
                {"Subnet": "10.1.0.0/24", "IPRange": "10.1.0.128/25", "Gateway": "10.1.0.1"}
            ],
        },
        "Internal": True,
        "Attachable": True,
        "Ingress": False,
        "ConfigOnly": False,
        "ConfigFrom": None,
        "Options": {"com.docker.network.bridge.name": "br9"},
        "Labels": {"a": "b"},
        "Name": "n1",
    }
    networks.create(Ctx(), ["n2", "--ipv6"])
    assert captured["body"]["EnableIPv6"] is True
    assert captured["body"]["IPAM"]["Config"] == []


def test_network_connect_and_disconnect_bodies_match_docker():
    from dockyard.cli import networks

    calls = []

    class Resp:
        def read(self):
            return b""

    class FakeClient:
        def request(self, method, path, params=None, body=None):
            calls.append((path, body))
            return Resp()

    class Ctx:
        client = FakeClient()
        api = Engine(client)

    args = ["--alias", "a1", "--alias", "a2", "--ip", "10.0.0.5", "--link", "db:d", "mynet", "web"]
    networks.connect(Ctx(), args)
    networks.disconnect(Ctx(), ["-f", "mynet", "web"])
    assert calls == [
        (
            "/networks/mynet/connect",
            {
                "Container": "web",
                "EndpointConfig": {
                    "IPAMConfig": {"IPv4Address": "10.0.0.5"},
                    "Links": ["db:d"],
                    "Aliases": ["a1", "a2"],
                    "MacAddress": "",
                    "DriverOpts": {},
                    "GwPriority": 0,
                    "NetworkID": "",
                    "EndpointID": "",
                    "Gateway": "",
                    "IPAddress": "",
                    "IPPrefixLen": 0,
                    "IPv6Gateway": "",
                    "GlobalIPv6Address": "",
                    "GlobalIPv6PrefixLen": 0,
                    "DNSNames": None,
                },
            },
        ),
        ("/networks/mynet/disconnect", {"Container": "web", "Force": True}),
    ]
