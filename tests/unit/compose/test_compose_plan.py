"""The pure parts of running a project: the depends_on graph, the create body of a
service's container (names, labels, mounts, ports, networks as Compose v2 sends them)."""

from __future__ import annotations

import pytest

from dockyard.compose import graph
from dockyard.compose import labels as L
from dockyard.compose.containerspec import container_name, create_body
from dockyard.compose.errors import ComposeError
from dockyard.compose.loader import LoadOptions, load

DEPS = {"web": ["api"], "api": ["db", "cache"], "db": [], "cache": [], "lone": []}


def test_levels_start_dependencies_first():
    assert graph.levels(DEPS) == [["cache", "db", "lone"], ["api"], ["web"]]
    assert graph.with_dependencies(DEPS, ["api"]) == {"api", "db", "cache"}
    assert graph.dependents(DEPS, ["db"]) == {"db", "api", "web"}


def test_cycle_is_named():
    with pytest.raises(ComposeError, match="dependency cycle detected: a -> b -> c -> a"):
        graph.check_cycles({"a": ["b"], "b": ["c"], "c": ["a"]})


PROJECT = """\
name: shop
services:
  web:
    image: busybox
    command: httpd -f
    ports: ["127.0.0.1:8080:80", "9000-9001:9000-9001/udp"]
    expose: ["3000"]
    environment: {A: "1", UNSET: null}
    volumes: [data:/data, ./html:/html:ro, /anon, {type: tmpfs, target: /tmp, tmpfs: {size: 1m}}]
    networks:
      front: {aliases: [www], ipv4_address: 10.5.0.9}
      back: {}
    links: [db:database]
    restart: on-failure:3
    healthcheck: {test: wget -q localhost, interval: 1m30s, retries: 2}
    stop_grace_period: 20s
    ulimits: {nofile: {soft: 10, hard: 20}, nproc: 5}
    deploy: {resources: {limits: {cpus: "0.5", memory: 64m}}}
    secrets: [token]
    labels: {tier: front}
  db:
    image: busybox
    container_name: the-db
networks:
  front: {ipam: {config: [{subnet: 10.5.0.0/24}]}}
  back: {}
volumes:
  data: {}
secrets:
  token: {file: ./token.txt}
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / "compose.yaml").write_text(PROJECT)
    return load(LoadOptions(cwd=str(tmp_path), environ={}))


def test_names(project):
    assert container_name(project, "web", 2) == "shop-web-2"
    assert container_name(project, "db", 1) == "the-db"
    assert project.networks["front"]["name"] == "shop_front"
    assert project.volumes["data"]["name"] == "shop_data"


def test_create_body_as_compose_sends_it(project, tmp_path):
    body = create_body(project, "web", 1, "sha256:abc", lambda svc: f"shop-{svc}-1")
    labels = body["Labels"]
    assert labels["tier"] == "front"
    assert labels[L.PROJECT] == "shop" and labels[L.SERVICE] == "web"
    assert labels[L.CONTAINER_NUMBER] == "1" and labels[L.ONEOFF] == "False"
    assert labels[L.IMAGE] == "sha256:abc"
    assert labels[L.DEPENDS_ON] == "db:service_started:true"
    assert labels[L.WORKING_DIR] == str(tmp_path)
    assert labels[L.CONFIG_FILES] == str(tmp_path / "compose.yaml")
    assert body["Cmd"] == ["httpd", "-f"] and body["Env"] == ["A=1"]
    assert body["ExposedPorts"] == {"80/tcp": {}, "9000/udp": {}, "9001/udp": {}, "3000/tcp": {}}
    host = body["HostConfig"]
    assert host["PortBindings"]["80/tcp"] == [{"HostIp": "127.0.0.1", "HostPort": "8080"}]
    assert host["PortBindings"]["9001/udp"] == [{"HostIp": "", "HostPort": "9001"}]
    assert host["Binds"] == [
        f"{tmp_path}/html:/html:ro",
        f"{tmp_path}/token.txt:/run/secrets/token:ro",
    ]
    assert host["Mounts"] == [
        {"Type": "volume", "Source": "shop_data", "Target": "/data"},
        {"Type": "volume", "Source": "", "Target": "/anon"},
        {"Type": "tmpfs", "Target": "/tmp", "TmpfsOptions": {"SizeBytes": 1048576}},
    ]
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert host["Links"] == ["shop-db-1:database"]
    assert host["NanoCpus"] == 500_000_000 and host["Memory"] == 64 << 20
    assert host["Ulimits"] == [
        {"Name": "nofile", "Soft": 10, "Hard": 20},
        {"Name": "nproc", "Soft": 5, "Hard": 5},
    ]
    # the primary network (by name: back before front) at create; the other is connected later
    assert host["NetworkMode"] == "shop_back"
    assert list(body["NetworkingConfig"]["EndpointsConfig"]) == ["shop_back"]
    assert body["NetworkingConfig"]["EndpointsConfig"]["shop_back"]["Aliases"] == ["web"]
    assert body["Healthcheck"] == {
        "Test": ["CMD-SHELL", "wget -q localhost"],
        "Interval": 90 * 10**9,
        "Retries": 2,
    }
    assert body["StopTimeout"] == 20


def test_recreated_container_keeps_its_anonymous_volume(project):
    body = create_body(project, "web", 1, "", lambda s: s, anonymous={"/anon": "f" * 64})
    assert {"Type": "volume", "Source": "f" * 64, "Target": "/anon"} in body["HostConfig"]["Mounts"]
