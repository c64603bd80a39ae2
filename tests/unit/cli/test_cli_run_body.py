"""run/create flags -> POST /containers/create body, checked against docker CLI 28.

The expected bodies were captured from `docker create ...` talking to a recording fake
daemon; each case lists its differences from the body of a bare `docker create busybox`.
"""

import copy
import json
from urllib.parse import urlencode

import pytest

from dockyard.cli.createbody import build_create, create_parser
from dockyard.cli.flags import parse_with

true, false, null = True, False, None

BASE = json.loads(
    r"""{"Hostname": "", "Domainname": "", "User": "", "AttachStdin": false, "AttachStdout": true, "AttachStderr": true, "Tty": false, "OpenStdin": false, "StdinOnce": false, "Env": null, "Cmd": null, "Image": "busybox", "Volumes": {}, "WorkingDir": "", "Entrypoint": null, "OnBuild": null, "Labels": {}, "HostConfig": {"Binds": null, "ContainerIDFile": "", "LogConfig": {"Type": "", "Config": {}}, "NetworkMode": "default", "PortBindings": {}, "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0}, "AutoRemove": false, "VolumeDriver": "", "VolumesFrom": null, "ConsoleSize": [0, 0], "CapAdd": null, "CapDrop": null, "CgroupnsMode": "", "Dns": [], "DnsOptions": [], "DnsSearch": [], "ExtraHosts": null, "GroupAdd": null, "IpcMode": "", "Cgroup": "", "Links": null, "OomScoreAdj": 0, "PidMode": "", "Privileged": false, "PublishAllPorts": false, "ReadonlyRootfs": false, "SecurityOpt": null, "UTSMode": "", "UsernsMode": "", "ShmSize": 0, "Isolation": "", "CpuShares": 0, "Memory": 0, "NanoCpus": 0, "CgroupParent": "", "BlkioWeight": 0, "BlkioWeightDevice": [], "BlkioDeviceReadBps": [], "BlkioDeviceWriteBps": [], "BlkioDeviceReadIOps": [], "BlkioDeviceWriteIOps": [], "CpuPeriod": 0, "CpuQuota": 0, "CpuRealtimePeriod": 0, "CpuRealtimeRuntime": 0, "CpusetCpus": "", "CpusetMems": "", "Devices": [], "DeviceCgroupRules": null, "DeviceRequests": null, "MemoryReservation": 0, "MemorySwap": 0, "MemorySwappiness": -1, "OomKillDisable": false, "PidsLimit": 0, "Ulimits": [], "CpuCount": 0, "CpuPercent": 0, "IOMaximumIOps": 0, "IOMaximumBandwidth": 0, "MaskedPaths": null, "ReadonlyPaths": null}, "NetworkingConfig": {"EndpointsConfig": {"default": {"IPAMConfig": null, "Links": null, "Aliases": null, "MacAddress": "", "DriverOpts": null, "GwPriority": 0, "NetworkID": "", "EndpointID": "", "Gateway": "", "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "DNSNames": null}}}}"""
)
CASES = [
    (
        [
            "-it",
            "--rm",
            "--name",
            "web",
            "-e",
            "A=1",
            "-e",
            "UNSET_VAR_X",
            "-w",
            "/tmp",
            "-u",
            "1000:1000",
            "--entrypoint",
            "/bin/sh",
            "-h",
            "myhost",
            "-l",
            "x=y",
            "-l",
            "z",
            "busybox",
            "echo",
            "hi",
            "-x",
        ],
        "/containers/create?name=web",
        {
            "Hostname": "myhost",
            "User": "1000:1000",
            "AttachStdin": true,
            "Tty": true,
            "OpenStdin": true,
            "StdinOnce": true,
            "Env": ["A=1", "UNSET_VAR_X"],
            "Cmd": ["echo", "hi", "-x"],
            "WorkingDir": "/tmp",
            "Entrypoint": ["/bin/sh"],
            "Labels": {"x": "y", "z": ""},
            "HostConfig.AutoRemove": true,
        },
    ),
    (
        [
            "-m",
            "100m",
            "--memory-swap",
            "200m",
            "--cpus",
            "1.5",
            "-c",
            "512",
            "--pids-limit",
            "100",
            "--ulimit",
            "nofile=1024:2048",
            "--cap-add",
            "net_admin",
            "--cap-add",
            "CAP_SYS_TIME",
            "--cap-drop",
            "ALL",
            "--privileged",
            "--read-only",
            "--init",
            "--stop-signal",
            "SIGTERM",
            "--stop-timeout",
            "5",
            "--log-driver",
            "json-file",
            "--log-opt",
            "max-size=10m",
            "busybox",
        ],
        "/containers/create",
        {
            "StopSignal": "SIGTERM",
            "StopTimeout": 5,
            "HostConfig.LogConfig.Type": "json-file",
            "HostConfig.LogConfig.Config": {"max-size": "10m"},
            "HostConfig.CapAdd": ["CAP_NET_ADMIN", "CAP_SYS_TIME"],
            "HostConfig.CapDrop": ["ALL"],
            "HostConfig.Privileged": true,
            "HostConfig.ReadonlyRootfs": true,
            "HostConfig.CpuShares": 512,
            "HostConfig.Memory": 104857600,
            "HostConfig.NanoCpus": 1500000000,
            "HostConfig.MemorySwap": 209715200,
            "HostConfig.PidsLimit": 100,
            "HostConfig.Ulimits": [{"Name": "nofile", "Hard": 2048, "Soft": 1024}],
            "HostConfig.Init": true,
        },
    ),
    (
        [
            "-p",
            "8080:80",
            "-p",
            "127.0.0.1:53:53/udp",
            "-P",
            "--expose",
            "9000",
            "--link",
            "db:database",
            "--network",
            "mynet",
            "--network-alias",
            "web",
            "--ip",
            "172.20.0.5",
            "--dns",
            "8.8.8.8",
            "--add-host",
            "foo:1.2.3.4",
            "busybox",
        ],
        "/containers/create",
        {
            "ExposedPorts": {"53/udp": {}, "80/tcp": {}, "9000/tcp": {}},
            "HostConfig.NetworkMode": "mynet",
            "HostConfig.PortBindings": {
                "53/udp": [{"HostIp": "127.0.0.1", "HostPort": "53"}],
                "80/tcp": [{"HostIp": "", "HostPort": "8080"}],
            },
            "HostConfig.Dns": ["8.8.8.8"],
            "HostConfig.ExtraHosts": ["foo:1.2.3.4"],
            "HostConfig.Links": ["db:database"],
            "HostConfig.PublishAllPorts": true,
            "NetworkingConfig.EndpointsConfig.mynet": {
                "IPAMConfig": {"IPv4Address": "172.20.0.5"},
                "Links": ["db:database"],
                "Aliases": ["web"],
                "MacAddress": "",
                "DriverOpts": null,
                "GwPriority": 0,
                "NetworkID": "",
                "EndpointID": "",
                "Gateway": "",
                "IPAddress": "",
                "IPPrefixLen": 0,
                "IPv6Gateway": "",
                "GlobalIPv6Address": "",
                "GlobalIPv6PrefixLen": 0,
                "DNSNames": null,
            },
            "NetworkingConfig.EndpointsConfig.default": "<MISSING>",
        },
    ),
    (
        [
            "-v",
            "/tmp:/data:ro",
            "-v",
            "/anon",
            "-v",
            "named:/n",
            "--mount",
            "type=volume,src=v,dst=/m",
            "--tmpfs",
            "/run:size=64m",
            "--tmpfs",
            "/b",
            "--volumes-from",
            "other:ro",
            "--runtime",
            "runc",
            "--security-opt",
            "no-new-privileges",
            "--device",
            "/dev/fuse",
            "--device",
            "/dev/sda:/dev/xvda:r",
            "--shm-size",
            "128m",
            "--sysctl",
            "net.ipv4.ip_forward=1",
            "--platform",
            "linux/amd64",
            "busybox",
        ],
        "/containers/create?platform=linux%2Famd64",
        {
            "Volumes": {"/anon": {}},
            "HostConfig.Binds": ["/tmp:/data:ro", "named:/n"],
            "HostConfig.VolumesFrom": ["other:ro"],
            "HostConfig.SecurityOpt": ["no-new-privileges"],
            "HostConfig.Tmpfs": {"/b": "", "/run": "size=64m"},
            "HostConfig.ShmSize": 134217728,
            "HostConfig.Sysctls": {"net.ipv4.ip_forward": "1"},
            "HostConfig.Runtime": "runc",
            "HostConfig.Devices": [
                {
                    "PathOnHost": "/dev/fuse",
                    "PathInContainer": "/dev/fuse",
                    "CgroupPermissions": "rwm",
                },
                {
                    "PathOnHost": "/dev/sda",
                    "PathInContainer": "/dev/xvda",
                    "CgroupPermissions": "r",
                },
            ],
            "HostConfig.Mounts": [{"Type": "volume", "Source": "v", "Target": "/m"}],
        },
    ),
    (
        ["-a", "stdin", "-a", "stdout", "-i", "busybox"],
        "/containers/create",
        {"AttachStdin": true, "AttachStderr": false, "OpenStdin": true, "StdinOnce": true},
    ),
    (
        ["--network", "host", "busybox"],
        "/containers/create",
        {"HostConfig.NetworkMode": "host", "NetworkingConfig.EndpointsConfig": {}},
    ),
    (
        ["--net=none", "--ip", "1.2.3.4", "busybox"],
        "/containers/create",
        {
            "HostConfig.NetworkMode": "none",
            "NetworkingConfig.EndpointsConfig.none": {
                "IPAMConfig": {"IPv4Address": "1.2.3.4"},
                "Links": null,
                "Aliases": null,
                "MacAddress": "",
                "DriverOpts": null,
                "GwPriority": 0,
                "NetworkID": "",
                "EndpointID": "",
                "Gateway": "",
                "IPAddress": "",
                "IPPrefixLen": 0,
                "IPv6Gateway": "",
                "GlobalIPv6Address": "",
                "GlobalIPv6PrefixLen": 0,
                "DNSNames": null,
            },
            "NetworkingConfig.EndpointsConfig.default": "<MISSING>",
        },
    ),
    (
        ["--network", "bridge", "busybox"],
        "/containers/create",
        {"HostConfig.NetworkMode": "bridge", "NetworkingConfig.EndpointsConfig": {}},
    ),
    (
        ["--network", "mynet", "--network", "other", "--link", "db", "busybox"],
        "/containers/create",
        {
            "HostConfig.NetworkMode": "mynet",
            "HostConfig.Links": ["db"],
            "NetworkingConfig.EndpointsConfig.mynet": {
                "IPAMConfig": null,
                "Links": ["db"],
                "Aliases": null,
                "MacAddress": "",
                "DriverOpts": null,
                "GwPriority": 0,
                "NetworkID": "",
                "EndpointID": "",
                "Gateway": "",
                "IPAddress": "",
                "IPPrefixLen": 0,
                "IPv6Gateway": "",
                "GlobalIPv6Address": "",
                "GlobalIPv6PrefixLen": 0,
                "DNSNames": null,
            },
            "NetworkingConfig.EndpointsConfig.other": {
                "IPAMConfig": null,
                "Links": null,
                "Aliases": null,
                "MacAddress": "",
                "DriverOpts": null,
                "GwPriority": 0,
                "NetworkID": "",
                "EndpointID": "",
                "Gateway": "",
                "IPAddress": "",
                "IPPrefixLen": 0,
                "IPv6Gateway": "",
                "GlobalIPv6Address": "",
                "GlobalIPv6PrefixLen": 0,
                "DNSNames": null,
            },
            "NetworkingConfig.EndpointsConfig.default": "<MISSING>",
        },
    ),
    (
        ["--restart", "on-failure:3", "--entrypoint", "", "busybox"],
        "/containers/create",
        {
            "Entrypoint": [""],
            "HostConfig.RestartPolicy.Name": "on-failure",
            "HostConfig.RestartPolicy.MaximumRetryCount": 3,
        },
    ),
    (
        [
            "--memory-swap",
            "-1",
            "--restart",
            "unless-stopped",
            "--mount",
            "type=bind,source=/tmp,target=/t,readonly",
            "--dns-search",
            "a.com",
            "--dns-option",
            "ndots:1",
            "--group-add",
            "10",
            "--ipc",
            "host",
            "--pid",
            "host",
            "--oom-kill-disable",
            "--cpuset-cpus",
            "0-1",
            "--memory-reservation",
            "50m",
            "--tty=false",
            "--stop-signal",
            "9",
            "busybox",
        ],
        "/containers/create",
        {
            "StopSignal": "9",
            "HostConfig.RestartPolicy.Name": "unless-stopped",
            "HostConfig.DnsOptions": ["ndots:1"],
            "HostConfig.DnsSearch": ["a.com"],
            "HostConfig.GroupAdd": ["10"],
            "HostConfig.IpcMode": "host",
            "HostConfig.PidMode": "host",
            "HostConfig.CpusetCpus": "0-1",
            "HostConfig.MemoryReservation": 52428800,
            "HostConfig.MemorySwap": -1,
            "HostConfig.OomKillDisable": true,
            "HostConfig.Mounts": [
                {"Type": "bind", "Source": "/tmp", "Target": "/t", "ReadOnly": true}
            ],
        },
    ),
    (
        [
            "-p",
            "80",
            "-p",
            "8000-8002:80-82",
            "-p",
            "[::1]:90:90",
            "-p",
            "0.0.0.0:91:91/sctp",
            "busybox",
        ],
        "/containers/create",
        {
            "ExposedPorts": {"80/tcp": {}, "81/tcp": {}, "82/tcp": {}, "90/tcp": {}, "91/sctp": {}},
            "HostConfig.PortBindings": {
                "80/tcp": [{"HostIp": "", "HostPort": ""}, {"HostIp": "", "HostPort": "8000"}],
                "81/tcp": [{"HostIp": "", "HostPort": "8001"}],
                "82/tcp": [{"HostIp": "", "HostPort": "8002"}],
                "90/tcp": [{"HostIp": "::1", "HostPort": "90"}],
                "91/sctp": [{"HostIp": "0.0.0.0", "HostPort": "91"}],
            },
        },
    ),
    (
        [
            "--mac-address",
            "02:42:ac:11:00:02",
            "--ip6",
            "2001:db8::5",
            "--link-local-ip",
            "169.254.1.1",
            "--hostname",
            "h.example.com",
            "--domainname",
            "d",
            "busybox",
        ],
        "/containers/create",
        {
            "Hostname": "h.example.com",
            "Domainname": "d",
            "NetworkingConfig.EndpointsConfig.default.IPAMConfig": {
                "IPv6Address": "2001:db8::5",
                "LinkLocalIPs": ["169.254.1.1"],
            },
            "NetworkingConfig.EndpointsConfig.default.MacAddress": "02:42:ac:11:00:02",
        },
    ),
    (
        [
            "--device-cgroup-rule",
            "c 1:3 mr",
            "--cgroupns",
            "private",
            "--userns",
            "host",
            "--uts",
            "host",
            "--init=false",
            "--health-cmd",
            "true",
            "--health-interval",
            "5s",
            "--health-retries",
            "3",
            "busybox",
        ],
        "/containers/create",
        {
            "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 5000000000, "Retries": 3},
            "HostConfig.CgroupnsMode": "private",
            "HostConfig.UTSMode": "host",
            "HostConfig.UsernsMode": "host",
            "HostConfig.DeviceCgroupRules": ["c 1:3 mr"],
            "HostConfig.Init": false,
        },
    ),
    (
        [
            "--health-cmd",
            "true",
            "--health-timeout",
            "2s",
            "--health-start-period",
            "1m",
            "--health-start-interval",
            "1s",
            "busybox",
        ],
        "/containers/create",
        {
            "Healthcheck": {
                "Test": ["CMD-SHELL", "true"],
                "Timeout": 2000000000,
                "StartPeriod": 60000000000,
                "StartInterval": 1000000000,
            }
        },
    ),
    (
        ["--no-healthcheck", "--ulimit", "nproc=-1", "busybox"],
        "/containers/create",
        {
            "Healthcheck": {"Test": ["NONE"]},
            "HostConfig.Ulimits": [{"Name": "nproc", "Hard": -1, "Soft": -1}],
        },
    ),
    (
        [
            "--stop-timeout",
            "0",
            "--oom-score-adj",
            "5",
            "--cpu-period",
            "100000",
            "--cpu-quota",
            "50000",
            "--blkio-weight",
            "300",
            "--cpuset-mems",
            "0",
            "busybox",
        ],
        "/containers/create",
        {
            "StopTimeout": 0,
            "HostConfig.OomScoreAdj": 5,
            "HostConfig.BlkioWeight": 300,
            "HostConfig.CpuPeriod": 100000,
            "HostConfig.CpuQuota": 50000,
            "HostConfig.CpusetMems": "0",
        },
    ),
    (
        [
            "-it",
            "-eFOO=bar",
            "--rm=true",
            "--privileged=false",
            "busybox",
            "sh",
            "-c",
            "echo $A",
        ],
        "/containers/create",
        {
            "AttachStdin": true,
            "Tty": true,
            "OpenStdin": true,
            "StdinOnce": true,
            "Env": ["FOO=bar"],
            "Cmd": ["sh", "-c", "echo $A"],
            "HostConfig.AutoRemove": true,
        },
    ),
]


def _apply(base: dict, diff: dict) -> dict:
    body = copy.deepcopy(base)
    for dotted, value in diff.items():
        keys = dotted.split(".")
        target = body
        for k in keys[:-1]:
            target = target.setdefault(k, {})
        if value == "<MISSING>":
            target.pop(keys[-1], None)
        else:
            target[keys[-1]] = value
    return body


def _create(args: list[str]) -> tuple[str, dict]:
    p = create_parser("create")
    o, rest = parse_with(p, args)
    body, params = build_create(p, o, rest[0], rest[1:])
    path = "/containers/create" + ("?" + urlencode(params) if params else "")
    return path, json.loads(json.dumps(body))


def test_bare_create_matches_docker():
    assert _create(["busybox"]) == ("/containers/create", BASE)


@pytest.mark.parametrize("args,path,diff", CASES, ids=[" ".join(c[0])[:60] for c in CASES])
def test_create_body_matches_docker(args, path, diff, monkeypatch):
    monkeypatch.delenv("UNSET_VAR_X", raising=False)
    got_path, got = _create(args)
    assert got_path == path
    assert got == _apply(BASE, diff)


# more cases, captured the same way; {cwd} stands for the working directory
CASES2 = [
    (
        [
            "--storage-opt",
            "size=10G",
            "--log-opt",
            "max-size=1m",
            "--log-opt",
            "max-file=3",
            "-l",
            "a=b=c",
            "--expose",
            "7000-7002/udp",
            "-p",
            "9000-9001:80",
            "busybox",
        ],
        "/containers/create",
        {
            "ExposedPorts": {"7000/udp": {}, "7001/udp": {}, "7002/udp": {}, "80/tcp": {}},
            "Labels": {"a": "b=c"},
            "HostConfig.LogConfig.Config": {"max-file": "3", "max-size": "1m"},
            "HostConfig.PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "9000-9001"}]},
            "HostConfig.StorageOpt": {"size": "10G"},
        },
    ),
    (
        [
            "--cpu-rt-period",
            "1000",
            "--cpu-rt-runtime",
            "500",
            "--cgroup-parent",
            "/x",
            "--isolation",
            "default",
            "--volume-driver",
            "local",
            "--memory-swappiness",
            "10",
            "busybox",
        ],
        "/containers/create",
        {
            "HostConfig.VolumeDriver": "local",
            "HostConfig.Isolation": "default",
            "HostConfig.CgroupParent": "/x",
            "HostConfig.CpuRealtimePeriod": 1000,
            "HostConfig.CpuRealtimeRuntime": 500,
            "HostConfig.MemorySwappiness": 10,
        },
    ),
    (
        [
            "--network",
            "mynet",
            "--network-alias",
            "a1",
            "--network-alias",
            "a2",
            "--ip",
            "10.0.0.2",
            "--mac-address",
            "02:42:ac:11:00:02",
            "busybox",
        ],
        "/containers/create",
        {
            "HostConfig.NetworkMode": "mynet",
            "NetworkingConfig.EndpointsConfig.mynet": {
                "IPAMConfig": {"IPv4Address": "10.0.0.2"},
                "Links": null,
                "Aliases": ["a1", "a2"],
                "MacAddress": "02:42:ac:11:00:02",
                "DriverOpts": null,
                "GwPriority": 0,
                "NetworkID": "",
                "EndpointID": "",
                "Gateway": "",
                "IPAddress": "",
                "IPPrefixLen": 0,
                "IPv6Gateway": "",
                "GlobalIPv6Address": "",
                "GlobalIPv6PrefixLen": 0,
                "DNSNames": null,
            },
            "NetworkingConfig.EndpointsConfig.default": "<MISSING>",
        },
    ),
    (
        [
            "-u",
            "nobody",
            "--group-add",
            "audio",
            "--group-add",
            "video",
            "--security-opt",
            "label=disable",
            "--security-opt",
            "apparmor=unconfined",
            "--privileged=true",
            "busybox",
        ],
        "/containers/create",
        {
            "User": "nobody",
            "HostConfig.GroupAdd": ["audio", "video"],
            "HostConfig.Privileged": true,
            "HostConfig.SecurityOpt": ["label=disable", "apparmor=unconfined"],
        },
    ),
    (
        ["-v", "./rel:/r", "-v", "vol:/v:rw", "-v", "/host:/c:ro,z", "busybox"],
        "/containers/create",
        {"HostConfig.Binds": ["{cwd}/rel:/r", "vol:/v:rw", "/host:/c:ro,z"]},
    ),
    (
        [
            "--mount",
            "type=bind,src=/tmp,dst=/t,bind-propagation=rslave",
            "--mount",
            "type=tmpfs,dst=/tm,tmpfs-size=1m,tmpfs-mode=1770",
            "--mount",
            "type=volume,dst=/anon,volume-opt=type=tmpfs",
            "busybox",
        ],
        "/containers/create",
        {
            "HostConfig.Mounts": [
                {
                    "Type": "bind",
                    "Source": "/tmp",
                    "Target": "/t",
                    "BindOptions": {"Propagation": "rslave"},
                },
                {
                    "Type": "tmpfs",
                    "Target": "/tm",
                    "TmpfsOptions": {"SizeBytes": 1048576, "Mode": 1016},
                },
                {
                    "Type": "volume",
                    "Target": "/anon",
                    "VolumeOptions": {"DriverConfig": {"Options": {"type": "tmpfs"}}},
                },
            ]
        },
    ),
    (
        ["--entrypoint", "/bin/sh -c", "busybox", "echo"],
        "/containers/create",
        {"Cmd": ["echo"], "Entrypoint": ["/bin/sh -c"]},
    ),
    (
        ["-e", "X=a=b", "-e", "Y=", "--workdir=/w", "--hostname=h", "busybox"],
        "/containers/create",
        {"Hostname": "h", "Env": ["X=a=b", "Y="], "WorkingDir": "/w"},
    ),
]


@pytest.mark.parametrize("args,path,diff", CASES2, ids=[" ".join(c[0])[:60] for c in CASES2])
def test_more_create_bodies_match_docker(args, path, diff, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    diff = json.loads(json.dumps(diff).replace("{cwd}", str(tmp_path)))
    got_path, got = _create(args)
    assert got_path == path
    assert got == _apply(BASE, diff)


def test_env_and_label_files_like_docker(tmp_path, monkeypatch):
    from dockyard.cli.createbody import build_create

    monkeypatch.delenv("NOTSET_XYZ", raising=False)
    monkeypatch.setenv("FROM_ENV", "yes")
    (tmp_path / "envf").write_text("NOTSET_XYZ\n  SP=1 2 \n#c\nE=\nFROM_ENV\n")
    (tmp_path / "labf").write_text("k1\nk2=v=w\n")
    p = create_parser("create")
    args = ["--env-file", str(tmp_path / "envf"), "--label-file", str(tmp_path / "labf")]
    o, rest = parse_with(p, args + ["-l", "z", "busybox"])
    body, _ = build_create(p, o, rest[0], rest[1:])
    assert body["Env"] == ["SP=1 2 ", "E=", "FROM_ENV=yes"]
    assert body["Labels"] == {"k2": "v=w", "z": ""}


QUICK_LINES = [
    ["busybox"], ["--rm", "busybox", "true"], ["-d", "busybox", "sleep", "600"],
    ["-it", "busybox", "sh"], ["-d", "--name", "web", "nginx"], ["--name=x", "-i", "alpine"],
    ["--rm", "-t", "--interactive", "--tty", "busybox", "ls", "-l", "--", "-x"],
    ["--detach", "--rm", "busybox", "--name", "not-a-flag"],
]  # fmt: skip


@pytest.mark.parametrize("argv", QUICK_LINES)
@pytest.mark.parametrize("command", ["run", "create"])
def test_quick_lines_build_the_body_argparse_builds(command: str, argv: list[str]) -> None:
    from dockyard.cli.createbody import quick_args

    quick = quick_args(command, argv)
    if command == "create" and any(a in ("-d", "--detach") for a in argv):
        assert quick is None  # create takes no -d: argparse reports it
        return
    assert quick is not None
    o, rest = quick
    p = create_parser(command)
    o2, rest2 = parse_with(p, argv)
    assert rest == rest2
    assert {k: v for k, v in vars(o).items()} == vars(o2)
    assert build_create(None, o, rest[0], rest[1:]) == build_create(p, o2, rest2[0], rest2[1:])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "argv",
    [[], ["--rm"], ["-p", "80:80", "nginx"], ["--name"], ["--name", "-x", "img"], ["-", "img"],
     ["-h", "host", "img"], ["--rm=true", "img"], ["--", "img"], ["-dx", "img"], ["--help"]],
)  # fmt: skip
def test_other_lines_are_left_to_argparse(argv: list[str]) -> None:
    from dockyard.cli.createbody import quick_args

    assert quick_args("run", argv) is None
