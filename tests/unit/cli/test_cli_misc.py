"""Flag parsing helpers, network/volume create bodies, cp argument rules, .dockerignore."""

import io
import tarfile

import pytest

from dockyard.cli.build import context_tar
from dockyard.cli.containers import stats_row
from dockyard.cli.cp import split_cp_arg
from dockyard.cli.createbody import create_parser
from dockyard.cli.flags import parse_with, ram_in_bytes
from dockyard.cli.inspect import human_duration, human_size, tabwrite
from dockyard.cli.registry import registry_of
from dockyard.cli.shared import split_repo_tag
from dockyard.cli.volumes import create_body as volume_body
from dockyard.client.engine import Engine
from dockyard.common.dockerignore import DockerIgnore


def test_split_cp_arg():
    assert split_cp_arg("web:/etc/hosts") == ("web", "/etc/hosts")
    assert split_cp_arg("/tmp/a:b") == ("", "/tmp/a:b")
    assert split_cp_arg("./a:b") == ("", "./a:b")
    assert split_cp_arg("file.txt") == ("", "file.txt")
    assert split_cp_arg("-") == ("", "-")
    assert split_cp_arg("web:.") == ("web", ".")


def test_split_repo_tag():
    assert split_repo_tag("repo:tag") == ("repo", "tag")
    assert split_repo_tag("localhost:5000/repo") == ("localhost:5000/repo", "")
    assert split_repo_tag("localhost:5000/repo:v1") == ("localhost:5000/repo", "v1")


def test_interspersed_stop_at_image():
    p = create_parser("run")
    o, rest = parse_with(p, ["-d", "--name=x", "busybox", "ls", "-l", "--name", "y"])
    assert o.detach and o.name == "x"
    assert rest == ["busybox", "ls", "-l", "--name", "y"]


def test_bool_flags_with_values_and_short_clusters():
    p = create_parser("run")
    o, rest = parse_with(p, ["-dit", "--sig-proxy=false", "-eA=1", "-p80:80", "img"])
    assert (o.detach, o.interactive, o.tty, o.sig_proxy) == (True, True, True, False)
    assert o.env == ["A=1"] and o.publish == ["80:80"] and rest == ["img"]


def test_unknown_flag_exits_125(capsys):
    with pytest.raises(SystemExit) as exc:
        parse_with(create_parser("run"), ["--bogus", "img"])
    assert exc.value.code == 125
    assert "unknown flag: --bogus" in capsys.readouterr().err


def test_ram_in_bytes():
    assert ram_in_bytes("100m") == 100 << 20
    assert ram_in_bytes("1.5g") == int(1.5 * (1 << 30))
    assert ram_in_bytes("512") == 512
    assert ram_in_bytes("64MiB") == 64 << 20


def test_volume_create_body_matches_docker():
    assert volume_body("local", [], [], "") == {"Driver": "local"}
    assert volume_body("local", ["type=tmpfs", "device=tmpfs"], ["k=v"], "myvol") == {
        "Driver": "local",
        "DriverOpts": {"type": "tmpfs", "device": "tmpfs"},
        "Labels": {"k": "v"},
        "Name": "myvol",
    }


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


def test_human_units():
    assert human_size(2048, 3) == "2.05kB"
    assert human_size(187654321, 3) == "188MB"
    assert human_size(187654321) == "187.7MB"
    assert human_size(0) == "0B"
    assert human_duration(0.5) == "Less than a second"
    assert human_duration(90) == "About a minute"
    assert human_duration(3600 * 30) == "30 hours"
    assert human_duration(86400 * 400) == "13 months"


def test_tabwrite_min_width_and_padding():
    assert tabwrite(["A\tBB\tC", "long-cell-value\tx\ty"]) == (
        "A" + " " * 17 + "BB" + " " * 8 + "C\nlong-cell-value   x" + " " * 9 + "y"
    )


def test_stats_row_cpu_and_memory():
    sample = {
        "id": "a" * 64,
        "name": "/web",
        "cpu_stats": {
            "cpu_usage": {"total_usage": 300},
            "system_cpu_usage": 2000,
            "online_cpus": 2,
        },
        "precpu_stats": {"cpu_usage": {"total_usage": 100}, "system_cpu_usage": 1000},
        "memory_stats": {"usage": 3 << 20, "limit": 1 << 30, "stats": {"inactive_file": 1 << 20}},
        "networks": {"eth0": {"rx_bytes": 1500, "tx_bytes": 0}},
        "blkio_stats": {"io_service_bytes_recursive": [{"op": "read", "value": 4096}]},
        "pids_stats": {"current": 3},
    }
    row = stats_row(sample, "web")
    assert row["ID"] == "a" * 12 and row["Name"] == "web"
    assert row["CPUPerc"] == "40.00%"
    assert row["MemUsage"] == "2MiB / 1GiB"
    assert row["MemPerc"] == "0.20%"
    assert row["NetIO"] == "1.5kB / 0B"
    assert row["BlockIO"] == "4.1kB / 0B"
    assert row["PIDs"] == "3"


def test_dockerignore_rules():
    ig = DockerIgnore("*.log\nbuild\n!build/keep.txt\n**/tmp\n")
    assert ig.excluded("a.log")
    assert not ig.excluded("dir/a.log")
    assert ig.excluded("build/x.o")
    assert not ig.excluded("build/keep.txt")
    assert ig.excluded("deep/er/tmp")
    assert not ig.excluded("src/main.py")


def test_context_tar_honours_dockerignore(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM busybox\n")
    (tmp_path / ".dockerignore").write_text("*.log\nsecret/\nDockerfile\n")
    (tmp_path / "app.py").write_text("print(1)\n")
    (tmp_path / "x.log").write_text("noise")
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "key").write_text("k")
    f, name = context_tar(str(tmp_path), str(tmp_path / "Dockerfile"))
    names = sorted(tarfile.open(fileobj=io.BytesIO(f.read())).getnames())
    assert name == "Dockerfile"
    assert names == [".dockerignore", "Dockerfile", "app.py"]


def test_registry_of():
    assert registry_of("busybox") == "https://index.docker.io/v1/"
    assert registry_of("user/app") == "https://index.docker.io/v1/"
    assert registry_of("localhost:5000/app") == "localhost:5000"
    assert registry_of("docker.io/library/nginx") == "https://index.docker.io/v1/"


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


PULL_MESSAGES = [
    {"status": "Pulling from library/busybox", "id": "latest"},
    {"status": "Pulling fs layer", "progressDetail": {}, "id": "a1b2c3"},
    {
        "status": "Downloading",
        "progressDetail": {"current": 1000, "total": 2000},
        "progress": "[====>     ]    1kB/2kB",
        "id": "a1b2c3",
    },
    {"status": "Download complete", "progressDetail": {}, "id": "a1b2c3"},
    {"status": "Pull complete", "progressDetail": {}, "id": "a1b2c3"},
    {"status": "Digest: sha256:" + "9" * 64},
    {"status": "Status: Downloaded newer image for busybox:latest"},
]


def test_pull_stream_without_terminal_matches_docker():
    from dockyard.cli.progress import display_stream

    out = io.StringIO()
    display_stream(iter(PULL_MESSAGES), out, tty=False)
    assert out.getvalue() == (
        "latest: Pulling from library/busybox\n"
        "a1b2c3: Pulling fs layer\n"
        "a1b2c3: Download complete\n"
        "a1b2c3: Pull complete\n"
        f"Digest: sha256:{'9' * 64}\n"
        "Status: Downloaded newer image for busybox:latest\n"
    )


def test_stream_error_and_aux():
    from dockyard.cli.progress import StreamError, display_stream

    aux = display_stream(
        iter([{"stream": "Step 1/1\n"}, {"aux": {"ID": "sha256:x"}}]), io.StringIO(), False
    )
    assert aux == {"ID": "sha256:x"}
    with pytest.raises(StreamError, match="boom"):
        display_stream(
            iter([{"errorDetail": {"message": "boom"}, "error": "boom"}]), io.StringIO(), False
        )


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


def test_config_json_formats_are_defaults(tmp_path, monkeypatch, capsys):
    from dockyard.cli.inspect import print_list

    (tmp_path / "config.json").write_text('{"volumesFormat": "{{.Name}}/{{.Driver}}"}')
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    print_list([{"Name": "v1", "Driver": "local"}], None, "volume")
    print_list([{"Name": "v1", "Driver": "local"}], "{{.Driver}}", "volume")
    assert capsys.readouterr().out == "v1/local\nlocal\n"
