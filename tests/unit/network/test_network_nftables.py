from dockyard.network.nftables import NetRules, PortRule, Ruleset, render, script


def ruleset():
    return Ruleset(
        "dyt",
        [
            NetRules("dy-a", "10.1.0.0/24", "10.1.0.1"),
            NetRules("dy-b", "10.2.0.0/24", "10.2.0.1"),
            NetRules("dy-i", "10.3.0.0/24", "10.3.0.1", internal=True),
        ],
        [
            PortRule("tcp", "0.0.0.0", 8080, "10.1.0.2", 80, "dy-a"),
            PortRule("udp", "127.0.0.1", 5353, "10.1.0.2", 53, "dy-a"),
            PortRule("tcp", "", 9090, "10.3.0.2", 80, "dy-i"),  # internal: never published
        ],
    )


def chain(text, name):
    body = text.split(f"chain {name} {{", 1)[1].split("\n\t}", 1)[0]
    return [line.strip() for line in body.strip().splitlines()]


def test_script_replaces_only_our_table_in_one_go():
    s = script(ruleset())
    assert s.startswith("add table inet dyt\ndelete table inet dyt\ntable inet dyt {")
    assert "filter" not in s.split("table inet dyt {")[0]


def test_published_ports_dnat():
    pub = chain(render(ruleset()), "published")
    assert pub == [
        "tcp dport 8080 dnat ip to 10.1.0.2:80",
        "ip daddr 127.0.0.1 udp dport 5353 dnat ip to 10.1.0.2:53",
    ]
    text = render(ruleset())
    assert "fib daddr type local jump published" in chain(text, "prerouting")
    assert "fib daddr type local jump published" in chain(text, "output")


def test_masquerade_localhost_and_hairpin_not_internal():
    post = chain(render(ruleset()), "postrouting")
    assert 'oifname != "dy-a" ip saddr 10.1.0.0/24 masquerade' in post
    assert 'oifname "dy-a" ip saddr 127.0.0.0/8 masquerade' in post
    assert 'oifname "dy-a" ip saddr 10.1.0.0/24 ct status dnat masquerade' in post
    assert not any("10.3.0.0" in line or "dy-i" in line for line in post)


def test_forward_isolation_and_internal_first():
    fwd = chain(render(ruleset()), "forward")
    assert fwd[1] == "ct state established,related accept"
    assert 'iifname "dy-a" oifname "dy-a" accept' in fwd
    drop_i = fwd.index('iifname "dy-i" drop')
    first_accept_out = fwd.index('oifname "dy-a" ct status dnat accept')
    assert drop_i < first_accept_out
    assert 'iifname "dy-a" oifname { "dy-b", "dy-i" } drop' in fwd
    assert fwd.index('iifname "dy-a" oifname { "dy-b", "dy-i" } drop') < fwd.index(
        'iifname "dy-a" accept'
    )
    assert 'oifname "dy-a" drop' in fwd


def test_localnet_spoofing_dropped_and_dns_redirect():
    rs = ruleset()
    rs.networks.append(NetRules("dy-d", "10.4.0.0/24", "10.4.0.1", dns_port=5300))
    text = render(rs)
    assert 'iifname "dy-a" ip daddr 127.0.0.0/8 drop' in chain(text, "raw_prerouting")
    pre = chain(text, "prerouting")
    assert 'iifname "dy-d" ip daddr 10.4.0.1 udp dport 53 redirect to :5300' in pre
    assert not any("dy-a" in line and "redirect" in line for line in pre)


def test_empty_state_is_valid_text():
    text = render(Ruleset("dyt"))
    assert "chain forward" in text and "dnat" not in text


def test_icc_and_masquerade_options():
    rs = Ruleset("dyt", [NetRules("dy-x", "10.9.0.0/24", "10.9.0.1", icc=False, masquerade=False)])
    text = render(rs)
    assert 'iifname "dy-x" oifname "dy-x" drop' in chain(text, "forward")
    assert not any("oifname !=" in line for line in chain(text, "postrouting"))


def test_published_ports_reachable_from_other_networks():
    fwd = chain(render(ruleset()), "forward")
    isolation = fwd.index('iifname "dy-a" oifname { "dy-b", "dy-i" } drop')
    assert fwd.index('oifname "dy-b" ct status dnat accept') < isolation
    assert 'oifname "dy-i" ct status dnat accept' not in fwd
