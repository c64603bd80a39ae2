"""NetworkManager's bookkeeping with the kernel side stubbed out (no root needed)."""

from __future__ import annotations

import pytest

from dockyard.errors import Conflict, Forbidden, InvalidParameter, NotFound
from dockyard.network import manager as m
from dockyard.network.dns import DnsServer
from dockyard.network.store import MemoryStore

ENDPOINT_KEYS = {
    "IPAMConfig", "Links", "Aliases", "MacAddress", "DriverOpts", "NetworkID", "EndpointID",
    "Gateway", "IPAddress", "IPPrefixLen", "IPv6Gateway", "GlobalIPv6Address",
    "GlobalIPv6PrefixLen", "DNSNames",
}  # fmt: skip
NETWORK_KEYS = {
    "Name", "Id", "Created", "Scope", "Driver", "EnableIPv6", "IPAM", "Internal", "Attachable",
    "Ingress", "ConfigFrom", "ConfigOnly", "Containers", "Options", "Labels",
}  # fmt: skip


class Kernel:
    """Records what the manager asks of the kernel."""

    def __init__(self) -> None:
        self.rulesets: list = []
        self.links: dict[str, int] = {}  # ns path -> interfaces made in it


@pytest.fixture
def kernel(monkeypatch, tmp_path):
    k = Kernel()
    monkeypatch.setattr(m.br, "enable_forwarding", lambda: None)
    monkeypatch.setattr(m.br, "ensure_bridge", lambda *a, **kw: None)
    monkeypatch.setattr(m.br, "delete_link", lambda name: None)
    monkeypatch.setattr(m.br, "detach", lambda *a: None)
    monkeypatch.setattr(m.br, "set_default_route", lambda *a: None)
    monkeypatch.setattr(m.br, "loopback_up", lambda *a: None)
    monkeypatch.setattr(m.br, "ensure_port", lambda *a: True)
    monkeypatch.setattr(m.br, "addresses", lambda name: [])

    def next_ifname(path):
        return f"eth{k.links.get(path, 0)}"

    def attach(path, *a):
        k.links[path] = k.links.get(path, 0) + 1
        return "vethtest"

    monkeypatch.setattr(m.br, "next_ifname", next_ifname)
    monkeypatch.setattr(m.br, "attach", attach)
    monkeypatch.setattr(m.netns, "create", lambda p: None)
    monkeypatch.setattr(m.netns, "delete", lambda p: None)
    monkeypatch.setattr(m.netns, "exists", lambda p: True)
    monkeypatch.setattr(m.netns, "release_dir", lambda p: None)
    monkeypatch.setattr(m.nftables, "apply", k.rulesets.append)
    monkeypatch.setattr(m.nftables, "remove", lambda t: None)
    monkeypatch.setattr(m.dockercompat, "sync", lambda *a: True)
    monkeypatch.setattr(m.dockercompat, "cleanup", lambda *a: None)

    async def listen(self, key, ip, port=53):
        return port

    async def stop(self, key):
        return None

    monkeypatch.setattr(DnsServer, "start_listener", listen)
    monkeypatch.setattr(DnsServer, "stop_listener", stop)
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 10.0.0.53\nsearch corp.example\n")
    k.resolv = str(resolv)
    return k


def make(kernel, store=None, **kw):
    cfg = m.NetworkConfig(
        pools=[{"base": "10.50.0.0/16", "size": 24}],
        dns_upstreams=[],
        resolv_conf=kernel.resolv,
        watchdog_interval=0,
        **kw,
    )
    mgr = m.NetworkManager(cfg, store or MemoryStore(), routes=lambda: [])
    mgr.restore()
    return mgr


def test_predefined_networks_and_inspect_shape(kernel):
    mgr = make(kernel)
    names = {n["Name"]: n for n in mgr.list_networks()}
    assert set(names) == {"bridge", "host", "none"}
    assert names["host"]["Driver"] == "host" and names["none"]["Driver"] == "null"
    bridge = mgr.inspect_network("bridge")
    assert set(bridge) == NETWORK_KEYS
    assert bridge["IPAM"]["Config"] == [{"Subnet": "10.50.0.0/24", "Gateway": "10.50.0.1"}]
    assert bridge["Options"]["com.docker.network.bridge.name"] == "dockyard0"
    with pytest.raises(Forbidden):
        mgr.remove_network("bridge")
    with pytest.raises(Forbidden):
        mgr.create_network("host")


def test_create_lookup_and_errors(kernel):
    mgr = make(kernel)
    nid = mgr.create_network("app", labels={"a": "b"})["Id"]
    assert mgr.inspect_network(nid[:6])["Name"] == "app"
    assert mgr.inspect_network("app")["Labels"] == {"a": "b"}
    with pytest.raises(Conflict) as exc:
        mgr.create_network("app")
    assert exc.value.message == "network with name app already exists"
    with pytest.raises(NotFound) as exc:
        mgr.inspect_network("nope")
    assert exc.value.message == "network nope not found"
    with pytest.raises(NotFound):
        mgr.create_network("x", driver="overlay")
    custom = mgr.create_network(
        "fixed", ipam={"Driver": "default", "Config": [{"Subnet": "192.168.77.0/24"}]}
    )
    cfg = mgr.inspect_network(custom["Id"])["IPAM"]["Config"]
    assert cfg == [{"Subnet": "192.168.77.0/24", "Gateway": "192.168.77.1"}]
    with pytest.raises(Forbidden) as exc:
        mgr.create_network("clash", ipam={"Config": [{"Subnet": "192.168.77.128/25"}]})
    assert exc.value.message == "Pool overlaps with other one on this address space"
    # a failed create leaves nothing behind
    assert "clash" not in {n["Name"] for n in mgr.list_networks()}
    assert [n["Name"] for n in mgr.list_networks({"type": ["custom"]})] == ["app", "fixed"]
    assert [n["Name"] for n in mgr.list_networks({"label": ["a=b"]})] == ["app"]


def test_connect_endpoint_settings_and_rules(kernel):
    mgr = make(kernel)
    mgr.create_network("app", ipam={"Config": [{"Subnet": "10.60.0.0/24"}]})
    a, b = "a" * 64, "b" * 64
    ea = mgr.connect(a, "/web", "app", aliases=["www"], ip="10.60.0.10")
    assert set(ea) == ENDPOINT_KEYS
    assert ea["IPAddress"] == "10.60.0.10" and ea["IPPrefixLen"] == 24
    assert ea["IPAMConfig"] == {"IPv4Address": "10.60.0.10"}
    assert ea["MacAddress"] == "02:42:0a:3c:00:0a"
    assert ea["DNSNames"] == ["web", "www", "a" * 12]
    with pytest.raises(Conflict):
        mgr.connect(b, "db", "app", ip="10.60.0.10")
    with pytest.raises(InvalidParameter):
        mgr.connect(b, "db", "bridge", ip="10.50.0.9")  # no user-configured subnet
    with pytest.raises(InvalidParameter):
        mgr.connect(b, "db", "bridge", aliases=["x"])
    eb = mgr.connect(b, "db", "bridge")
    assert eb["DNSNames"] is None and eb["Aliases"] is None
    with pytest.raises(Forbidden):
        mgr.connect(b, "db", "bridge")
    assert set(mgr.inspect_network("app")["Containers"]) == {a}
    ports = mgr.publish_ports(a, {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]})
    hp = int(ports["80/tcp"][0]["HostPort"])
    rules = kernel.rulesets[-1]
    assert [(p.host_ip, p.host_port, p.container_ip, p.container_port) for p in rules.ports] == [
        ("127.0.0.1", hp, "10.60.0.10", 80)
    ]
    with pytest.raises(Conflict) as exc:
        mgr.publish_ports(b, {"80/tcp": [{"HostIp": "", "HostPort": str(hp)}]})
    assert f"Bind for 0.0.0.0:{hp} failed: port is already allocated" in exc.value.message
    assert exc.value.message.startswith("driver failed programming external connectivity")
    mgr.release_sandbox(a)
    assert kernel.rulesets[-1].ports == []
    assert mgr.inspect_network("app")["Containers"] == {}
    mgr.teardown()


def test_state_survives_a_new_manager(kernel):
    store = MemoryStore()
    mgr = make(kernel, store)
    mgr.create_network("app")
    a = "a" * 64
    ip = mgr.connect(a, "web", "app")["IPAddress"]
    mgr.publish_ports(a, {"80/tcp": [{"HostIp": "", "HostPort": ""}]})
    bindings = mgr.port_bindings(a)
    mgr.close()
    mgr2 = make(kernel, store)
    assert mgr2.inspect_network("app")["Containers"][a]["IPv4Address"] == f"{ip}/24"
    assert mgr2.port_bindings(a) == bindings
    # the address is still taken
    assert mgr2.connect("b" * 64, "db", "app")["IPAddress"] != ip
    mgr2.teardown()


def test_restore_releases_containers_that_are_gone(kernel):
    store = MemoryStore()
    mgr = make(kernel, store)
    mgr.create_network("app")
    mgr.connect("a" * 64, "web", "app")
    mgr.connect("b" * 64, "db", "app")
    mgr.close()
    mgr2 = m.NetworkManager(mgr.cfg, store, routes=lambda: [])
    mgr2.restore(running={"a" * 64})
    assert set(mgr2.inspect_network("app")["Containers"]) == {"a" * 64}
    mgr2.teardown()


def test_dns_table(kernel):
    mgr = make(kernel)
    nid = mgr.create_network("app")["Id"]
    a, b, c = "a" * 64, "b" * 64, "c" * 64
    ea = mgr.connect(a, "web", "app", aliases=["www"])
    eb = mgr.connect(b, "client", "app", links=["web:site"])
    mgr.connect(c, "other", "app", aliases=["www"])
    look = mgr._dns_lookup
    assert look(nid, eb["IPAddress"], "web") == [ea["IPAddress"]]
    assert look(nid, eb["IPAddress"], "web.app") == [ea["IPAddress"]]
    assert len(look(nid, eb["IPAddress"], "www")) == 2  # both holders of the alias
    assert look(nid, eb["IPAddress"], "site") == [ea["IPAddress"]]
    assert look(nid, ea["IPAddress"], "site") is None  # only the linking container
    assert look(nid, ea["IPAddress"], "a" * 12) == [ea["IPAddress"]]
    assert mgr._dns_reverse(nid, ea["IPAddress"]) == ["web.app"]
    bridge_id = mgr._find("bridge")["Id"]
    assert look(bridge_id, "10.50.0.2", "web") is None  # no names on the default bridge
    mgr.teardown()


def test_sandbox_files(kernel):
    mgr = make(kernel)
    mgr.create_network("app")
    a, b = "a" * 64, "b" * 64
    ea = mgr.connect(a, "web", "app")
    eb = mgr.connect(b, "solo", "bridge")
    files = mgr.sandbox_files(a, "webhost", extra_hosts=["gw:host-gateway"])
    assert files["hostname"] == "webhost\n"
    assert f"{ea['IPAddress']}\twebhost" in files["hosts"]
    assert "10.50.0.1\tgw" in files["hosts"]  # host-gateway: the default bridge's gateway
    assert files["resolv.conf"] == (
        f"search corp.example\nnameserver {ea['Gateway']}\noptions ndots:0\n"
    )
    solo = mgr.sandbox_files(b, "solo")["resolv.conf"]
    assert solo == "search corp.example\nnameserver 10.0.0.53\n"
    assert eb["Gateway"] == "10.50.0.1"
    custom = mgr.sandbox_files(b, "solo", dns=["10.9.9.9"], dns_options=["rotate"])
    assert custom["resolv.conf"] == "search corp.example\nnameserver 10.9.9.9\noptions rotate\n"
    mgr.teardown()


def test_prune_keeps_used_networks(kernel):
    mgr = make(kernel)
    mgr.create_network("used")
    mgr.create_network("unused")
    mgr.connect("a" * 64, "web", "used")
    assert mgr.prune_networks() == ["unused"]
    with pytest.raises(Forbidden) as exc:
        mgr.remove_network("used")
    assert "has active endpoints" in exc.value.message
    mgr.teardown()


def test_bad_names_refused(kernel):
    with pytest.raises(InvalidParameter):
        make(kernel, nft_table="bad name")
    with pytest.raises(InvalidParameter):
        make(kernel, bridge="much-too-long-bridge-name")


def test_loopback_only_host_resolver_gets_a_forwarder_on_the_default_bridge(
    kernel, monkeypatch, tmp_path
):
    """systemd-resolved style hosts: containers cannot use 127.0.0.53, so the default
    bridge's gateway runs our forwarder and is their nameserver."""
    started = []

    async def listen(self, key, ip, port=53):
        started.append(ip)
        return port

    monkeypatch.setattr(DnsServer, "start_listener", listen)
    resolv = tmp_path / "stub-resolv.conf"
    resolv.write_text("nameserver 127.0.0.53\noptions edns0 trust-ad\n")
    cfg = m.NetworkConfig(
        pools=[{"base": "10.50.0.0/16", "size": 24}],
        resolv_conf=str(resolv),
        watchdog_interval=0,
    )
    mgr = m.NetworkManager(cfg, MemoryStore(), routes=lambda: [])
    mgr.restore()
    assert started == ["10.50.0.1"]
    assert mgr.dns.upstreams == [("127.0.0.53", 53)]
    mgr.connect("a" * 64, "web", "bridge")
    conf = mgr.sandbox_files("a" * 64, "web")["resolv.conf"]
    assert conf == "nameserver 10.50.0.1\noptions edns0 trust-ad\n"
    mgr.teardown()


def test_dns_across_the_askers_networks(kernel):
    mgr = make(kernel)
    front = mgr.create_network("front")["Id"]
    mgr.create_network("back")
    web, db, lone = "a" * 64, "b" * 64, "c" * 64
    ew = mgr.connect(web, "web", "front")
    mgr.connect(web, "web", "back")
    edb = mgr.connect(db, "db", "back")
    mgr.connect(lone, "lone", "front")
    # web asks its front resolver for db, which is only on back: found there
    assert mgr._dns_lookup(front, ew["IPAddress"], "db") == [edb["IPAddress"]]
    assert mgr._dns_lookup(front, ew["IPAddress"], "db.back") == [edb["IPAddress"]]
    # lone is not on back: db stays unknown to it
    lone_ip = mgr.endpoint(lone, "front")["IPAddress"]
    assert mgr._dns_lookup(front, lone_ip, "db") is None
    mgr.teardown()


def test_adopted_bridge_is_not_deleted(kernel, monkeypatch):
    deleted = []
    monkeypatch.setattr(m.br, "delete_link", deleted.append)
    monkeypatch.setattr(m.br, "ensure_bridge", lambda *a, **kw: False)  # it existed
    mgr = make(kernel)
    mgr.create_network("mine", options={"com.docker.network.bridge.name": "br-user"})
    mgr.remove_network("mine")
    assert deleted == []
    mgr.teardown()


def test_list_filters(kernel):
    mgr = make(kernel)
    mgr.create_network("alpha", labels={"env": "dev"})
    mgr.create_network("beta")
    names = lambda f: sorted(n["Name"] for n in mgr.list_networks(f))  # noqa: E731
    assert names({"name": ["alp"]}) == ["alpha"]
    assert names({"driver": ["null"]}) == ["none"]
    assert names({"type": ["builtin"]}) == ["bridge", "host", "none"]
    assert names({"label": ["env"]}) == ["alpha"]
    assert names({"dangling": ["true"]}) == ["alpha", "beta"]
    assert names({"scope": ["swarm"]}) == []
    with pytest.raises(InvalidParameter):
        mgr.list_networks({"color": ["red"]})
    mgr.teardown()


def test_custom_mac(kernel):
    mgr = make(kernel)
    e = mgr.connect("a" * 64, "web", "bridge", mac="02:AB:cd:00:00:01")
    assert e["MacAddress"] == "02:ab:cd:00:00:01"
    with pytest.raises(InvalidParameter):
        mgr.connect("b" * 64, "db", "bridge", mac="nope")
    mgr.teardown()


def test_stray_addresses_on_our_bridges_are_reported(kernel, monkeypatch):
    mgr = make(kernel)
    mgr.create_network("mine")
    rec = mgr.inspect_network("mine")
    subnet = rec["IPAM"]["Config"][0]["Subnet"]
    gateway = rec["IPAM"]["Config"][0]["Gateway"]
    bridge = next(n["bridge"] for n in mgr.networks.values() if n["Name"] == "mine")
    plen = subnet.split("/")[1]
    kernel_addrs = {bridge: [f"{gateway}/{plen}", "172.19.0.1/16"]}
    monkeypatch.setattr(m.br, "addresses", lambda name: kernel_addrs.get(name, []))
    assert mgr.stray_addresses() == {bridge: ["172.19.0.1/16"]}
    mgr.teardown()


def test_restore_leaves_down_a_network_whose_subnet_someone_else_took(kernel):
    """After a reboot another daemon may take a subnet first: ours stays down, no rules."""
    from ipaddress import IPv4Network

    store = MemoryStore()
    first = make(kernel, store)
    first.create_network("mine")
    subnet = first.inspect_network("mine")["IPAM"]["Config"][0]["Subnet"]
    net_id = first.inspect_network("mine")["Id"]
    first.close()
    cfg = m.NetworkConfig(
        pools=[{"base": "10.50.0.0/16", "size": 24}],
        dns_upstreams=[],
        resolv_conf=kernel.resolv,
        watchdog_interval=0,
    )
    taken = IPv4Network(subnet)
    again = m.NetworkManager(cfg, store, routes=lambda: [taken])
    again.restore()
    assert again.left_down == {net_id}
    bridges = [n.bridge for n in kernel.rulesets[-1].networks]
    assert len(bridges) == 1 and bridges[0] == cfg.bridge  # only the default bridge's rules
    again.teardown()


def test_releasing_a_container_that_holds_nothing_writes_nothing(kernel, monkeypatch):
    mgr = make(kernel)
    cid = "c" * 64
    mgr.connect(cid, "web", "bridge")
    saves = []
    real_save = mgr._save
    monkeypatch.setattr(mgr, "_save", lambda: saves.append(1) or real_save())
    mgr.release_sandbox(cid)
    assert saves and mgr.inspect_network("bridge")["Containers"] == {}
    saves.clear()
    mgr.release_sandbox(cid)  # rm after the stop: nothing left to release
    mgr.release_sandbox("d" * 64)
    assert saves == []
    mgr.teardown()


class CountingStore(MemoryStore):
    """Counts the rows each write carries."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list] = []

    def apply(self, changes):
        self.batches.append(list(changes))
        super().apply(changes)


def test_a_start_and_stop_write_the_same_rows_with_few_or_many_containers(kernel):
    store = CountingStore()
    mgr = make(kernel, store)
    mgr.create_network("app")

    def start_stop(cid: str) -> int:
        store.batches.clear()
        mgr.connect(cid, "web", "app")
        mgr.publish_ports(cid, {"80/tcp": [{"HostIp": "", "HostPort": ""}]})
        mgr.sandbox_files(cid, "web", dns=["10.9.9.9"])
        mgr.release_sandbox(cid)
        return sum(len(b) for b in store.batches)

    few = start_stop("p" * 64)
    for i in range(40):
        mgr.connect(f"{i:064d}", f"c{i}", "app")
    assert start_stop("p" * 64) == few <= 12
    assert all(len(b) <= 4 for b in store.batches)  # none rewrote the 40 others
    mgr.teardown()
    assert all(not rows for rows in store.tables.values())


def test_rows_written_are_what_a_new_manager_loads(kernel):
    store = MemoryStore()
    mgr = make(kernel, store)
    mgr.create_network("app")
    mgr.create_network("other")
    a = "a" * 64
    mgr.connect(a, "web", "app")
    mgr.connect(a, "web", "other")
    mgr.publish_ports(a, {"80/tcp": [{"HostIp": "", "HostPort": ""}]})
    mgr.sandbox_files(a, "web", dns=["10.9.9.9"])  # changes the sandbox's record in place
    mgr.disconnect(a, "app")  # the default route (a record reached by iteration) moves
    mgr.connect("b" * 64, "db", "app")
    mgr.close()
    again = make(kernel, store)
    for name in ("networks", "endpoints", "sandboxes", "published"):
        assert dict(getattr(again, name)) == dict(getattr(mgr, name)), name
    assert again.ipam.to_dict() == mgr.ipam.to_dict()
    assert again.sandboxes[a]["dns"] == ["10.9.9.9"]
    heir = again.endpoints[f"{a}/{again.inspect_network('other')['Id']}"]
    assert heir["default_route"] is True
    again.teardown()


def test_a_removed_network_takes_its_rows_along(kernel, monkeypatch):
    monkeypatch.setattr(m.br, "enable_ipv6", lambda *a: None)
    store = MemoryStore()
    mgr = make(kernel, store)
    nid = mgr.create_network("app", enable_ipv6=True)["Id"]
    mgr.connect("a" * 64, "web", "app")
    assert any(k.startswith(f"{nid} ") for k in store.tables["addresses"])
    mgr.release_sandbox("a" * 64)
    mgr.remove_network("app")
    assert not any(nid in k for t in store.tables.values() for k in t)
    mgr.teardown()


def test_deferred_connect_records_now_and_plumbs_later(kernel, monkeypatch):
    mgr = make(kernel)
    mgr.create_network("app", ipam={"Config": [{"Subnet": "10.61.0.0/24"}]})
    made: list[tuple] = []
    monkeypatch.setattr(m.br, "attach", lambda path, *a: made.append((path, *a)) or a[-1])
    a, b = "a" * 64, "b" * 64
    ea = mgr.connect(a, "/web", "app", defer=True)
    eb = mgr.connect(a, "/web", "bridge", defer=True)
    assert made == []  # nothing in the kernel yet; the addresses are taken
    assert ea["IPAddress"] == "10.61.0.2" and eb["IPAddress"] == "10.50.0.2"
    eps = sorted(e["ifname"] for e in mgr.endpoints.values() if e["cid"] == a)
    assert eps == ["eth0", "eth1"]  # as a new namespace would name them
    mgr.plumb(a)
    assert [x[2] for x in made] == ["eth0", "eth1"]
    assert {x[-1] for x in made} == {e["host_veth"] for e in mgr.endpoints.values()}
    mgr.plumb(a)  # done once
    assert len(made) == 2
    # a start that fails before plumbing leaves no work behind, and nothing held
    mgr.connect(b, "/db", "app", defer=True)
    mgr.release_sandbox(b)
    mgr.plumb(b)
    assert len(made) == 2
    assert not any(e["cid"] == b for e in mgr.endpoints.values())
