"""daemon.json: Docker's key names; unknown keys and bad values name the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockyard.daemon.config import ConfigError, load


def write(tmp_path: Path, doc: object) -> Path:
    p = tmp_path / "daemon.json"
    p.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return p


def test_defaults_without_file(tmp_path: Path) -> None:
    cfg = load(tmp_path / "missing.json")
    assert cfg.data_root == Path("/var/lib/dockyard")
    assert cfg.hosts == ["unix:///run/dockyard.sock"]
    assert cfg.default_runtime == "runc"


def test_docker_keys_are_read(tmp_path: Path) -> None:
    cfg = load(
        write(
            tmp_path,
            {
                "data-root": "/srv/dy",
                "registry-mirrors": ["http://127.0.0.1:5000"],
                "insecure-registries": ["127.0.0.1:5000"],
                "default-address-pools": [{"base": "10.10.0.0/16", "size": 24}],
                "log-opts": {"max-size": "10m", "max-file": "3"},
                "live-restore": True,
                "runtimes": {"myrunc": {"path": "/usr/sbin/runc"}},
                "default-runtime": "myrunc",
            },
        )
    )
    assert cfg.data_root == Path("/srv/dy")
    assert cfg.registry_mirrors == ["http://127.0.0.1:5000"]
    assert cfg.default_address_pools == [{"base": "10.10.0.0/16", "size": 24}]
    assert cfg.log_opts["max-file"] == "3"
    assert cfg.runtime_paths["myrunc"] == "/usr/sbin/runc"


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        ({"no-such-key": 1}, "'no-such-key'"),
        ({"live-restore": "yes"}, "'live-restore'"),
        ({"registry-mirrors": "http://x"}, "'registry-mirrors'"),
        ({"default-address-pools": [{"base": "10.0.0.0/33"}]}, "'default-address-pools'"),
        (
            {"default-address-pools": [{"base": "10.0.0.0/16", "size": 8}]},
            "'default-address-pools'",
        ),
        ({"storage-driver": "vfs"}, "'storage-driver'"),
        ({"log-level": "loud"}, "'log-level'"),
        ({"default-runtime": "nope"}, "default-runtime"),
        ({"hosts": ["tcp://0.0.0.0:2375"]}, "TLS"),
        ({"hosts": ["http://x"]}, "'hosts'"),
        ({"mtu": True}, "'mtu'"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, doc: dict, needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        load(write(tmp_path, doc))
    assert needle in str(err.value)


def test_invalid_json(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="invalid JSON"):
        load(write(tmp_path, "{not json"))


def test_not_an_object(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="JSON object"):
        load(write(tmp_path, "[1, 2]"))


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        ({"nft-table": "my-table"}, "'nft-table'"),
        ({"bridge": "a-bridge-name-too-long"}, "'bridge'"),
        ({"bridge-prefix": "bad/"}, "'bridge-prefix'"),
        ({"bridge": "dy-main"}, "starts with 'bridge-prefix'"),
        ({"data-root": "relative/root"}, "absolute"),
        ({"data-root": "/srv/dy", "exec-root": "/srv/dy/run"}, "contain each other"),
    ],
)
def test_names_and_paths_are_validated(tmp_path: Path, doc: dict, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        load(write(tmp_path, doc))


def test_flags_are_validated_with_the_file(tmp_path: Path) -> None:
    """A TCP listener asked for by a flag needs TLS as much as one from daemon.json."""
    from dockyard.dockyardd import build_config, parse_args, tls_context

    cfg = write(tmp_path, {})
    args = parse_args(["--config-file", str(cfg), "-H", "tcp://127.0.0.1:23999"])
    with pytest.raises(ConfigError, match="TLS"):
        build_config(args)
    args = parse_args(["--config-file", str(cfg), "--data-root", "rel", "--exec-root", "/run/x"])
    assert build_config(args).data_root.is_absolute()
    assert build_config(parse_args(["--config-file", str(cfg), "-b", "br7"])).bridge == "br7"
    with pytest.raises(ConfigError, match="'bridge'"):
        build_config(parse_args(["--config-file", str(cfg), "--bridge", "no/such"]))
    doc = {"tlsverify": True, "tlscert": "/nonexistent/cert.pem"}
    tls = write(tmp_path, {**doc, "tlscacert": "/nonexistent/ca.pem"})
    config = build_config(parse_args(["--config-file", str(tls), "-H", "tcp://127.0.0.1:1"]))
    with pytest.raises(ConfigError, match="TLS files"):
        tls_context(config)


def test_tlsverify_without_a_ca_is_refused(tmp_path: Path) -> None:
    """Without tlscacert the system CA store would vouch for client certificates."""
    from dockyard.dockyardd import build_config, parse_args

    doc = {"tlsverify": True, "tlscert": "/c.pem", "tlskey": "/k.pem"}
    for hosts in (["-H", "tcp://127.0.0.1:1"], []):
        args = parse_args(["--config-file", str(write(tmp_path, doc)), *hosts])
        with pytest.raises(ConfigError, match="'tlsverify' needs 'tlscacert'"):
            build_config(args)
    for tls_only in ({"tls": True, "tlscert": "/c.pem", "tlskey": "/k.pem"}, {}):
        args = parse_args(["--config-file", str(write(tmp_path, tls_only)), "-H", "tcp://:2375"])
        with pytest.raises(ConfigError, match="TCP is only served with TLS and client"):
            build_config(args)


def test_listeners_served_by_another_daemon_are_refused(tmp_path: Path) -> None:
    import socket

    from dockyard.daemon.config import DaemonConfig
    from dockyard.dockyardd import check_listeners

    live, stale = tmp_path / "live.sock", tmp_path / "stale.sock"
    with socket.socket(socket.AF_UNIX) as server, socket.socket(socket.AF_UNIX) as dead:
        server.bind(str(live))
        server.listen()
        dead.bind(str(stale))  # bound, never listening: what a crashed daemon leaves
        with pytest.raises(ConfigError, match="served by another daemon"):
            check_listeners(DaemonConfig(hosts=[f"unix://{live}"]))
        check_listeners(DaemonConfig(hosts=[f"unix://{stale}", f"unix://{tmp_path}/new.sock"]))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match="cannot listen"):
            check_listeners(DaemonConfig(hosts=[f"tcp://127.0.0.1:{port}"]))


def test_tcp_without_client_verification_needs_the_explicit_opt_in(tmp_path: Path) -> None:
    """Docker's `--tls=false` / `--tlsverify=false` (flag or daemon.json) is the only way to
    serve TCP without client certificates; then plain HTTP (or TLS without verify)."""
    from dockyard.dockyardd import build_config, parse_args, tls_context

    empty = str(write(tmp_path, {}))
    tcp = ["--config-file", empty, "-H", "tcp://127.0.0.1:23999"]
    for opt_in in (["--tls=false"], ["--tlsverify=false"]):
        config = build_config(parse_args([*tcp, *opt_in]))
        assert tls_context(config) is None  # plain HTTP, as asked
    for refused in ([], ["--tls"], ["--tls=true"]):
        with pytest.raises(ConfigError, match="explicitly with --tls=false"):
            build_config(parse_args([*tcp, *refused]))
    in_file = write(tmp_path, {"tls": False, "hosts": ["tcp://127.0.0.1:23999"]})
    assert build_config(parse_args(["--config-file", str(in_file)])).tls is False
    with pytest.raises(SystemExit):
        parse_args([*tcp, "--tls=maybe"])


def test_socket_group_flag_key_and_fallback(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    import grp
    import os

    from dockyard.dockyardd import build_config, parse_args, socket_gid

    cfg = write(tmp_path, {"group": "from-file"})
    assert build_config(parse_args(["--config-file", str(cfg)])).group == "from-file"
    assert build_config(parse_args(["--config-file", str(cfg), "-G", "flag"])).group == "flag"
    assert build_config(parse_args(["--config-file", str(write(tmp_path, {}))])).group == "dockyard"
    with pytest.raises(ConfigError, match="'group'"):
        load(write(tmp_path, {"group": 5}))
    root = grp.getgrgid(0).gr_name
    assert socket_gid(root) == 0 and socket_gid("0") == 0
    with pytest.raises(ConfigError, match="not found"):
        socket_gid("no-such-group-dy")
    try:
        grp.getgrnam("dockyard")
    except KeyError:  # the default group missing: the daemon's own group, with a warning
        assert socket_gid("dockyard") == os.getgid()
        assert "group not found" in caplog.text


DENY_MKDIR = {
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}],
}


@pytest.mark.parametrize(("value", "shown"), [("builtin", "builtin"), ("", "builtin"),
                                              ("unconfined", "unconfined")])  # fmt: skip
def test_seccomp_profile_names(tmp_path: Path, value: str, shown: str) -> None:
    cfg = load(write(tmp_path, {"seccomp-profile": value}))
    assert cfg.seccomp_profile == shown and cfg.default_seccomp == shown
    assert load(tmp_path / "missing.json").default_seccomp == "builtin"


def test_seccomp_profile_file_is_read_at_start(tmp_path: Path) -> None:
    """The file's text is what containers get: a later change waits for a restart."""
    profile = tmp_path / "deny-mkdir.json"
    profile.write_text(json.dumps(DENY_MKDIR))
    cfg = load(write(tmp_path, {"seccomp-profile": str(profile)}))
    profile.write_text("{changed")
    assert cfg.seccomp_profile == str(profile)
    assert json.loads(cfg.default_seccomp) == DENY_MKDIR


def test_seccomp_profile_flag_wins_over_the_file(tmp_path: Path) -> None:
    from dockyard.dockyardd import build_config, parse_args

    profile = tmp_path / "p.json"
    profile.write_text(json.dumps(DENY_MKDIR))
    cfg = write(tmp_path, {"seccomp-profile": str(profile)})
    config = build_config(
        parse_args(["--config-file", str(cfg), "--seccomp-profile", "unconfined"])
    )
    assert config.default_seccomp == "unconfined"
    plain = write(tmp_path, {})
    config = build_config(
        parse_args(["--config-file", str(plain), "--seccomp-profile", str(profile)])
    )
    assert json.loads(config.default_seccomp) == DENY_MKDIR
    with pytest.raises(ConfigError, match=r"^flags: opening seccomp profile \(/no/such.json\)"):
        build_config(
            parse_args(["--config-file", str(plain), "--seccomp-profile", "/no/such.json"])
        )


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (
            None,
            r"opening seccomp profile \({path}\) failed: open {path}: no such file or directory",
        ),
        ("{not json", r"invalid seccomp profile \({path}\): Decoding seccomp profile failed: "),
        ("[1, 2]", "Decoding seccomp profile failed: the profile must be a JSON object"),
        (b"\xff\xfe", "Decoding seccomp profile failed: 'utf-8' codec"),
        ('{"defaultAction": "SCMP_ACT_NOPE"}', "string SCMP_ACT_NOPE is not a valid action"),
        (
            '{"syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}',
            "missing defaultAction",
        ),
    ],
)
def test_bad_seccomp_profile_refuses_the_start(
    tmp_path: Path, content: str | bytes | None, needle: str
) -> None:
    profile = tmp_path / "profile.json"
    if isinstance(content, bytes):
        profile.write_bytes(content)
    elif content is not None:
        profile.write_text(content)
    daemon_json = write(tmp_path, {"seccomp-profile": str(profile)})
    with pytest.raises(ConfigError, match=needle.format(path=profile)) as err:
        load(daemon_json)
    assert str(err.value).startswith(f"{daemon_json}: ")


def test_seccomp_profile_must_be_a_string(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'seccomp-profile': expected str"):
        load(write(tmp_path, {"seccomp-profile": {"defaultAction": "SCMP_ACT_ALLOW"}}))
