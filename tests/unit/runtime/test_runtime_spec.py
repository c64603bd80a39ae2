import json
import os
import resource

import pytest

from dockyard.fs.inroot import open_in_root, secure_join
from dockyard.runtime import capabilities
from dockyard.runtime.errors import SpecError
from dockyard.runtime.rlimits import build_rlimits
from dockyard.runtime.spec import INIT_PATH, build_spec
from dockyard.runtime.users import resolve_user

DEFAULT_CAPS = list(capabilities.DEFAULT_CAPABILITIES)


@pytest.fixture
def rootfs(tmp_path):
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\n"
        "# comment\n"
        "app:x:1000:1001:app:/home/app:/bin/sh\n"
        "broken line\n"
        "nobody:x:65534:65534::/:/bin/false\n"
    )
    (root / "etc" / "group").write_text(
        "root:x:0:\nwheel:x:10:root,app\napp:x:1001:\nstaff:x:50:app\nnogroup:x:65534:\n"
    )
    return str(root)


def spec(rootfs, config=None, hc=None, **kw):
    args = dict(
        config={"Cmd": ["sh"], **(config or {})},
        host_config=hc or {},
        rootfs=rootfs,
        hostname="myhost",
        mounts=[],
        netns_path=None,
        container_id="abc123",
    )
    args.update(kw)
    return build_spec(**args)


def mount(s, dest):
    return next(m for m in s["mounts"] if m["destination"] == dest)


def test_defaults(rootfs):
    s = spec(rootfs, {"Entrypoint": ["/entry"], "Cmd": ["a", "b"]})
    p = s["process"]
    assert p["args"] == ["/entry", "a", "b"]
    assert p["cwd"] == "/"
    assert p["terminal"] is False
    assert p["user"] == {"uid": 0, "gid": 0, "additionalGids": [10]}
    assert p["env"][0].startswith("PATH=/usr/local/sbin")
    assert "HOSTNAME=myhost" in p["env"]
    assert not any(e.startswith("TERM=") for e in p["env"])
    caps = p["capabilities"]
    assert caps["bounding"] == caps["effective"] == caps["permitted"] == DEFAULT_CAPS
    assert "inheritable" not in caps and "ambient" not in caps
    assert "rlimits" not in p
    assert p["noNewPrivileges"] is False
    assert s["hostname"] == "myhost"
    assert s["root"] == {"path": rootfs, "readonly": False}
    lx = s["linux"]
    assert lx["cgroupsPath"] == "/dockyard/abc123"
    assert {n["type"] for n in lx["namespaces"]} == {"mount", "network", "pid", "ipc", "uts"}
    assert "/proc/kcore" in lx["maskedPaths"] and "/proc/sys" in lx["readonlyPaths"]
    assert lx["resources"]["devices"][0] == {"allow": False, "access": "rwm"}
    assert {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"} in lx["resources"][
        "devices"
    ]
    dests = [m["destination"] for m in s["mounts"]]
    for d in ("/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"):
        assert d in dests
    assert "size=67108864" in mount(s, "/dev/shm")["options"]
    assert "ro" in mount(s, "/sys")["options"]


def test_default_seccomp_conditions_follow_caps(rootfs):
    s = spec(rootfs)
    sc = s["linux"]["seccomp"]
    assert sc["defaultAction"] == "SCMP_ACT_ERRNO"
    names = {n for r in sc["syscalls"] if r["action"] == "SCMP_ACT_ALLOW" for n in r["names"]}
    assert "read" in names and "init_module" not in names
    s2 = spec(rootfs, hc={"CapAdd": ["SYS_MODULE"]})
    names2 = {
        n
        for r in s2["linux"]["seccomp"]["syscalls"]
        if r["action"] == "SCMP_ACT_ALLOW"
        for n in r["names"]
    }
    assert "init_module" in names2
    assert all("includes" not in r and "excludes" not in r for r in sc["syscalls"])


def test_seccomp_custom_and_unconfined(rootfs):
    profile = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [
            {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
            {
                "names": ["ptrace"],
                "action": "SCMP_ACT_ALLOW",
                "includes": {"caps": ["CAP_SYS_PTRACE"]},
            },
        ],
    }
    s = spec(rootfs, hc={"SecurityOpt": ["seccomp=" + json.dumps(profile)]})
    assert s["linux"]["seccomp"]["syscalls"] == [
        {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
    ]
    assert "seccomp" not in spec(rootfs, hc={"SecurityOpt": ["seccomp=unconfined"]})["linux"]
    with pytest.raises(SpecError):
        spec(rootfs, hc={"SecurityOpt": ["seccomp={not json"]})


DENY_MKDIR = json.dumps(
    {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}],
    }
)


def denied(s):
    return [n for r in s["linux"]["seccomp"]["syscalls"] for n in r["names"]]


def test_daemon_seccomp_profile_is_the_default(rootfs):
    """The daemon's seccomp-profile applies to containers without their own `seccomp=`."""
    s = spec(rootfs, seccomp_default=DENY_MKDIR)
    assert s["linux"]["seccomp"]["defaultAction"] == "SCMP_ACT_ALLOW"
    assert denied(s) == ["mkdir", "mkdirat"]
    assert denied(spec(rootfs, hc={"SecurityOpt": ["seccomp="]}, seccomp_default=DENY_MKDIR))
    assert "seccomp" not in spec(rootfs, seccomp_default="unconfined")["linux"]
    builtin = spec(rootfs, seccomp_default="builtin")["linux"]["seccomp"]
    assert builtin["defaultAction"] == "SCMP_ACT_ERRNO"
    assert builtin == spec(rootfs)["linux"]["seccomp"]


@pytest.mark.parametrize("daemon", ["unconfined", DENY_MKDIR])
def test_container_seccomp_option_wins_over_the_daemon(rootfs, daemon):
    own = json.dumps({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["chmod"], "action": "SCMP_ACT_ERRNO"}]})  # fmt: skip
    s = spec(rootfs, hc={"SecurityOpt": ["seccomp=" + own]}, seccomp_default=daemon)
    assert denied(s) == ["chmod"]
    s = spec(rootfs, hc={"SecurityOpt": ["seccomp=unconfined"]}, seccomp_default=daemon)
    assert "seccomp" not in s["linux"]
    # "builtin" asks for the default profile by name, whatever the daemon's is (dockerd 23+)
    s = spec(rootfs, hc={"SecurityOpt": ["seccomp=builtin"]}, seccomp_default=daemon)
    assert s["linux"]["seccomp"] == spec(rootfs)["linux"]["seccomp"]
    s = spec(rootfs, hc={"Privileged": True}, seccomp_default=daemon)
    assert "seccomp" not in s["linux"]


def test_seccomp_profile_without_rules_is_no_filter(rootfs):
    """dockerd reads a profile with neither defaultAction nor syscalls as no filter."""
    for profile in ("{}", '{"syscalls": []}', '{"defaultAction": ""}'):
        assert "seccomp" not in spec(rootfs, seccomp_default=profile)["linux"]
        assert "seccomp" not in spec(rootfs, hc={"SecurityOpt": ["seccomp=" + profile]})["linux"]


def test_security_opts(rootfs):
    assert spec(rootfs, hc={"SecurityOpt": ["no-new-privileges"]})["process"]["noNewPrivileges"]
    assert spec(rootfs, hc={"SecurityOpt": ["no-new-privileges:true"]})["process"][
        "noNewPrivileges"
    ]
    assert spec(rootfs, hc={"SecurityOpt": ["apparmor=unconfined"]})
    with pytest.raises(SpecError, match="Invalid --security-opt"):
        spec(rootfs, hc={"SecurityOpt": ["bogus=1"]})


def test_cap_add_drop(rootfs):
    caps = spec(rootfs, hc={"CapAdd": ["net_admin"], "CapDrop": ["CAP_CHOWN", "kill"]})["process"][
        "capabilities"
    ]["bounding"]
    assert "CAP_NET_ADMIN" in caps and "CAP_CHOWN" not in caps and "CAP_KILL" not in caps
    caps = spec(rootfs, hc={"CapDrop": ["ALL"], "CapAdd": ["NET_BIND_SERVICE"]})["process"][
        "capabilities"
    ]["bounding"]
    assert caps == ["CAP_NET_BIND_SERVICE"]
    caps = spec(rootfs, hc={"CapAdd": ["ALL"], "CapDrop": ["SYS_ADMIN"]})["process"][
        "capabilities"
    ]["bounding"]
    assert "CAP_SYS_PTRACE" in caps and "CAP_SYS_ADMIN" not in caps
    with pytest.raises(SpecError, match='unknown capability: "CAP_FOO"'):
        spec(rootfs, hc={"CapAdd": ["foo"]})


def test_privileged(rootfs):
    s = spec(rootfs, hc={"Privileged": True})
    assert s["process"]["capabilities"]["bounding"] == list(capabilities.host_capabilities())
    assert "seccomp" not in s["linux"]
    assert s["linux"]["maskedPaths"] == [] and s["linux"]["readonlyPaths"] == []
    assert s["linux"]["resources"]["devices"] == [{"allow": True, "access": "rwm"}]
    assert "ro" not in mount(s, "/sys")["options"]
    assert any(d["path"] == "/dev/null" for d in s["linux"]["devices"])


def test_tty_env_workdir_user(rootfs):
    s = spec(
        rootfs,
        {
            "Tty": True,
            "Env": ["PATH=/x", "A=1", "HOSTNAME=override"],
            "WorkingDir": "/w",
            "User": "app",
        },
        extra_env=["LINK=1"],
    )
    p = s["process"]
    assert p["terminal"] is True
    assert p["env"] == ["TERM=xterm", "LINK=1", "PATH=/x", "A=1", "HOSTNAME=override"]
    assert p["cwd"] == "/w"
    assert p["user"] == {"uid": 1000, "gid": 1001, "additionalGids": [10, 50]}
    with pytest.raises(SpecError, match="No command"):
        spec(rootfs, {"Cmd": []})
    with pytest.raises(SpecError):
        spec(rootfs, {"WorkingDir": "relative"})


def test_resolve_user(rootfs):
    assert resolve_user(rootfs, "") == (0, 0, [10])
    assert resolve_user(rootfs, "app") == (1000, 1001, [10, 50])
    assert resolve_user(rootfs, "1000") == (1000, 1001, [10, 50])
    assert resolve_user(rootfs, "app:staff") == (1000, 50, [])
    assert resolve_user(rootfs, "4242") == (4242, 0, [])
    assert resolve_user(rootfs, "4242:4343") == (4242, 4343, [])
    assert resolve_user(rootfs, "nobody:nogroup") == (65534, 65534, [])
    with pytest.raises(SpecError, match="unable to find user nosuch"):
        resolve_user(rootfs, "nosuch")
    with pytest.raises(SpecError, match="unable to find group nosuch"):
        resolve_user(rootfs, "app:nosuch")


def test_resolve_user_never_leaves_rootfs(tmp_path):
    root = tmp_path / "r"
    (root / "etc").mkdir(parents=True)
    outside = tmp_path / "outside_passwd"
    outside.write_text("evil:x:7:7::/:/bin/sh\n")
    os.symlink(str(outside), root / "etc" / "passwd")  # absolute: must resolve in rootfs
    (root / "etc" / "group").symlink_to("../../../../../../outside_group")
    assert secure_join(str(root), "/etc/passwd").startswith(str(root) + "/")
    assert secure_join(str(root), "/etc/group").startswith(str(root) + "/")
    assert secure_join(str(root), "../../x") == str(root / "x")
    (root / "etc" / "shadow").symlink_to("../../outside_passwd")  # relative escape attempt
    with pytest.raises(OSError):
        os.close(open_in_root(str(root), "/etc/shadow"))
    with pytest.raises(SpecError):
        resolve_user(str(root), "evil")
    assert resolve_user(str(root), "") == (0, 0, [])


def test_resources(rootfs):
    hc = {
        "Memory": 64 << 20,
        "NanoCpus": 1_500_000_000,
        "CpuShares": 512,
        "PidsLimit": 50,
        "BlkioWeight": 300,
    }
    r = spec(rootfs, hc=hc)["linux"]["resources"]
    assert r["memory"]["limit"] == 64 << 20
    assert r["cpu"] == {"period": 100000, "quota": 150000, "shares": 512}
    assert r["pids"] == {"limit": 50}
    assert r["blockIO"] == {"weight": 300}
    r = spec(rootfs, hc={"CpuQuota": 20000, "CpuPeriod": 50000, "PidsLimit": -1})["linux"][
        "resources"
    ]
    assert r["cpu"] == {"quota": 20000, "period": 50000}
    assert r["pids"] == {"limit": -1}
    assert "pids" not in spec(rootfs, hc={"PidsLimit": 0})["linux"]["resources"]
    with pytest.raises(SpecError, match="Minimum memory"):
        spec(rootfs, hc={"Memory": 1024})
    with pytest.raises(SpecError, match="Conflicting options"):
        spec(rootfs, hc={"NanoCpus": 1, "CpuQuota": 1})


def test_rlimits_capped_to_host_hard_limit():
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    r = build_rlimits([{"Name": "nofile", "Soft": 10**9, "Hard": 10**9}])
    if hard != resource.RLIM_INFINITY:
        assert r == [{"type": "RLIMIT_NOFILE", "soft": hard, "hard": hard}]
    r = build_rlimits([{"Name": "nproc", "Soft": 10, "Hard": 20}])
    assert r == [{"type": "RLIMIT_NPROC", "soft": 10, "hard": 20}]
    with pytest.raises(SpecError, match="invalid ulimit type"):
        build_rlimits([{"Name": "bogus", "Soft": 1, "Hard": 1}])
    with pytest.raises(SpecError, match="soft limit"):
        build_rlimits([{"Name": "nofile", "Soft": 5, "Hard": 1}])


def test_ulimits_in_spec(rootfs):
    p = spec(rootfs, hc={"Ulimits": [{"Name": "nofile", "Soft": 100, "Hard": 200}]})["process"]
    assert p["rlimits"] == [{"type": "RLIMIT_NOFILE", "hard": 200, "soft": 100}]


def test_namespaces_modes(rootfs):
    s = spec(
        rootfs, hc={"PidMode": "host", "IpcMode": "host", "UTSMode": "host"}, netns_path="host"
    )
    assert [n["type"] for n in s["linux"]["namespaces"]] == ["mount"]
    assert "hostname" not in s
    assert mount(s, "/dev/shm")["type"] == "bind"
    s = spec(rootfs, netns_path="/run/netns/x", namespace_paths={"ipc": "/proc/1/ns/ipc"})
    ns = {n["type"]: n.get("path") for n in s["linux"]["namespaces"]}
    assert ns["network"] == "/run/netns/x" and ns["ipc"] == "/proc/1/ns/ipc" and ns["pid"] is None
    with pytest.raises(SpecError):
        spec(rootfs, hc={"PidMode": "container:abc"})


def test_mounts_override_defaults_and_sort(rootfs):
    user = [
        {"destination": "/data/sub", "type": "bind", "source": "/a", "options": ["rbind"]},
        {"destination": "/data", "type": "bind", "source": "/b", "options": ["rbind"]},
        {"destination": "/dev/shm", "type": "bind", "source": "/c", "options": ["rbind"]},
    ]
    s = spec(rootfs, hc={"ShmSize": 1 << 20}, mounts=user)
    dests = [m["destination"] for m in s["mounts"]]
    assert dests.count("/dev/shm") == 1 and mount(s, "/dev/shm")["source"] == "/c"
    assert dests.index("/data") < dests.index("/data/sub")
    assert "size=1048576" in mount(spec(rootfs, hc={"ShmSize": 1 << 20}), "/dev/shm")["options"]


def test_init(rootfs, monkeypatch):
    monkeypatch.setattr("dockyard.runtime.spec.init_binary", lambda: "/usr/bin/tini-static")
    s = spec(rootfs, {"Cmd": ["top"]}, hc={"Init": True})
    assert s["process"]["args"] == [INIT_PATH, "--", "top"]
    assert mount(s, INIT_PATH)["source"] == "/usr/bin/tini-static"


def test_sysctls_readonly_devices(rootfs):
    s = spec(rootfs, hc={"Sysctls": {"net.ipv4.ip_forward": "1"}, "ReadonlyRootfs": True})
    assert s["linux"]["sysctl"] == {"net.ipv4.ip_forward": "1"}
    assert s["root"]["readonly"] is True
    with pytest.raises(SpecError):
        spec(rootfs, hc={"Sysctls": {"kernel.panic": "1"}})
    with pytest.raises(SpecError):
        spec(rootfs, hc={"Sysctls": {"net.ipv4.ip_forward": "1"}}, netns_path="host")
    s = spec(
        rootfs,
        hc={
            "Devices": [
                {"PathOnHost": "/dev/null", "PathInContainer": "/dev/n2", "CgroupPermissions": "rw"}
            ],
            "DeviceCgroupRules": ["c 42:* rmw"],
        },
    )
    assert s["linux"]["devices"][0]["path"] == "/dev/n2"
    rules = s["linux"]["resources"]["devices"]
    assert {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rw"} in rules
    assert {"allow": True, "type": "c", "major": 42, "access": "rmw"} in rules
    with pytest.raises(SpecError):
        spec(rootfs, hc={"Devices": [{"PathOnHost": "/etc/passwd"}]})


def test_env_unset_console_size_domainname_and_path_overrides(rootfs):
    s = spec(
        rootfs,
        {"Tty": True, "Env": ["A=1", "HOSTNAME"], "Domainname": "example.org"},
        hc={"ConsoleSize": [40, 120], "MaskedPaths": ["/proc/x"], "ReadonlyPaths": []},
    )
    assert not any(e.startswith("HOSTNAME=") for e in s["process"]["env"])
    assert s["process"]["consoleSize"] == {"height": 40, "width": 120}
    assert s["domainname"] == "example.org"
    assert s["linux"]["maskedPaths"] == ["/proc/x"] and s["linux"]["readonlyPaths"] == []
    assert "consoleSize" not in spec(rootfs, hc={"ConsoleSize": [0, 0]})["process"]


def test_device_directory_is_expanded(rootfs, tmp_path):
    s = spec(rootfs, hc={"Devices": [{"PathOnHost": "/dev", "PathInContainer": "/hostdev",
                                      "CgroupPermissions": "r"}]})  # fmt: skip
    paths = {d["path"] for d in s["linux"]["devices"]}
    assert "/hostdev/null" in paths
