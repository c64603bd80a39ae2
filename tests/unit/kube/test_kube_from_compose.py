"""Compose services (canonical long form, as the compose loader gives them) -> Kubernetes
objects, each validated strictly."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import pytest

from dockyard.kube import from_compose, manifests, validate


@dataclass
class Project:
    name: str
    services: dict[str, dict[str, Any]]
    secrets: dict[str, dict[str, Any]] = field(default_factory=dict)
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    env_files: dict[str, list[Any]] = field(default_factory=dict)


def generate(project: Project, files: dict[str, str] | None = None, **opts: Any):
    app = from_compose.application(project, read_file=(files or {}).__getitem__)
    docs, warnings = manifests.render(app, manifests.Options(**opts))
    bodies = [d.body for d in docs]
    for i, body in enumerate(bodies):
        assert validate.problems(body) == [], (validate.describe(body, i), body)
    return docs, bodies, app.warnings + warnings


def kinds(bodies: list[dict[str, Any]]) -> list[str]:
    return [f"{b['kind']}/{b['metadata']['name']}" for b in bodies]


def find(bodies: list[dict[str, Any]], ref: str) -> dict[str, Any]:
    return next(b for b in bodies if f"{b['kind']}/{b['metadata']['name']}" == ref)


def container(body: dict[str, Any]) -> dict[str, Any]:
    return body["spec"]["template"]["spec"]["containers"][0]


SHOP = Project(
    name="shop",
    services={
        "web": {
            "image": "nginx:1.25",
            "ports": [{"mode": "ingress", "target": 80, "published": "8080", "protocol": "tcp"}],
            "depends_on": {"api": {"condition": "service_started", "required": True}},
            "deploy": {
                "replicas": 2,
                "resources": {"limits": {"cpus": 0.5, "memory": "134217728"}},
            },
            "configs": [{"source": "site", "target": "/etc/nginx/conf.d/site.conf"}],
            "networks": {"default": None},
        },
        "api": {
            "build": {"context": "/src/api", "dockerfile": "Dockerfile"},
            "command": ["python", "app.py"],
            "environment": {"DB_HOST": "db", "UNSET": None},
            "expose": ["5000"],
            "restart": "always",
            "healthcheck": {
                "test": ["CMD", "wget", "-qO-", "localhost:5000/health"],
                "interval": "10s",
                "timeout": "2s",
                "retries": 3,
                "start_period": "5s",
            },
            "secrets": [{"source": "db_password", "target": "/run/secrets/db_password"}],
        },
        "db": {
            "image": "mysql:8",
            "volumes": [
                {"type": "volume", "source": "dbdata", "target": "/var/lib/mysql", "volume": {}},
                {
                    "type": "bind",
                    "source": "/srv/init",
                    "target": "/docker-entrypoint-initdb.d",
                    "read_only": True,
                    "bind": {"create_host_path": True},
                },
                {"type": "tmpfs", "target": "/tmp", "tmpfs": {"size": "16777216"}},
            ],
            "environment": {"MYSQL_ROOT_PASSWORD": "example"},
            "stop_grace_period": "1m30s",
            "user": "999:999",
            "labels": {"tier": "data"},
        },
        "migrate": {"image": "busybox", "command": ["true"], "restart": "no"},
        "worker": {"image": "busybox", "restart": "on-failure:4", "scale": 3},
    },
    secrets={"db_password": {"name": "shop_db_password", "file": "/src/db_password.txt"}},
    configs={"site": {"name": "shop_site", "content": "server { listen 80; }\n"}},
)
FILES = {"/src/db_password.txt": "s3cret\n"}


def test_a_compose_project_becomes_workloads_services_claims_and_configs() -> None:
    docs, bodies, warnings = generate(SHOP, FILES)
    assert kinds(bodies) == [
        "Secret/shop-db-password",
        "ConfigMap/shop-site",
        "PersistentVolumeClaim/dbdata",
        "Deployment/web",
        "Service/web",
        "Deployment/api",
        "Service/api",
        "Deployment/db",
        "Job/migrate",
        "Job/worker",
    ]
    assert any("built locally as shop-api" in w for w in warnings)
    assert any("hostPath" in w for w in warnings)
    secret = find(bodies, "Secret/shop-db-password")
    assert base64.b64decode(secret["data"]["db_password"]) == b"s3cret\n"
    assert find(bodies, "ConfigMap/shop-site")["data"] == {"site": "server { listen 80; }\n"}


def test_replicas_resources_ports_and_config_files() -> None:
    _, bodies, _ = generate(SHOP, FILES)
    web = find(bodies, "Deployment/web")
    assert web["spec"]["replicas"] == 2
    assert web["metadata"]["labels"]["app.kubernetes.io/part-of"] == "shop"
    c = container(web)
    assert c["resources"] == {"limits": {"cpu": "500m", "memory": "128Mi"}}
    assert c["volumeMounts"] == [
        {
            "name": "shop-site",
            "mountPath": "/etc/nginx/conf.d/site.conf",
            "subPath": "site",
            "readOnly": True,
        }
    ]
    assert web["spec"]["template"]["spec"]["volumes"] == [
        {"name": "shop-site", "configMap": {"name": "shop-site"}}
    ]
    svc = find(bodies, "Service/web")
    assert svc["spec"]["ports"] == [
        {"name": "80-tcp", "port": 80, "targetPort": 80, "protocol": "TCP"}
    ]


def test_depends_on_becomes_a_comment_above_the_workload() -> None:
    docs, bodies, warnings = generate(SHOP, FILES)
    web = next(
        d for d in docs if d.body["metadata"]["name"] == "web" and d.body["kind"] == "Deployment"
    )
    assert web.comments and "depends_on: api" in web.comments[0]


def test_command_environment_health_and_secrets() -> None:
    _, bodies, _ = generate(SHOP, FILES)
    c = container(find(bodies, "Deployment/api"))
    assert c["image"] == "shop-api"
    assert c["args"] == ["python", "app.py"] and "command" not in c
    assert c["env"] == [{"name": "DB_HOST", "value": "db"}]
    assert c["ports"] == [{"containerPort": 5000, "protocol": "TCP"}]
    assert c["livenessProbe"] == {
        "exec": {"command": ["wget", "-qO-", "localhost:5000/health"]},
        "periodSeconds": 10,
        "timeoutSeconds": 2,
        "failureThreshold": 3,
        "initialDelaySeconds": 5,
    }
    assert c["volumeMounts"][0]["mountPath"] == "/run/secrets/db_password"


def test_volumes_user_and_grace_period() -> None:
    _, bodies, _ = generate(SHOP, FILES)
    db = find(bodies, "Deployment/db")
    spec = db["spec"]["template"]["spec"]
    assert spec["terminationGracePeriodSeconds"] == 90
    c = spec["containers"][0]
    assert c["securityContext"] == {"runAsUser": 999, "runAsGroup": 999}
    kinds_of = {v["name"]: next(k for k in v if k != "name") for v in spec["volumes"]}
    assert kinds_of == {
        "dbdata": "persistentVolumeClaim",
        "host-srv-init": "hostPath",
        "tmp-tmp": "emptyDir",
    }
    assert db["metadata"]["labels"]["tier"] == "data"


@pytest.mark.parametrize(
    ("name", "restart", "backoff", "completions"),
    [("migrate", "Never", 0, None), ("worker", "OnFailure", 4, 3)],
)
def test_run_once_services_become_jobs(
    name: str, restart: str, backoff: int, completions: int | None
) -> None:
    _, bodies, _ = generate(SHOP, FILES)
    job = find(bodies, f"Job/{name}")
    assert job["spec"]["template"]["spec"]["restartPolicy"] == restart
    assert job["spec"]["backoffLimit"] == backoff
    assert job["spec"].get("completions") == completions


def test_external_secrets_are_reported_not_invented() -> None:
    project = Project(
        "p",
        {"a": {"image": "busybox", "secrets": [{"source": "ext"}]}},
        secrets={"ext": {"name": "ext", "external": True}},
    )
    _, bodies, warnings = generate(project)
    assert kinds(bodies) == ["Deployment/a"]
    assert any("secrets ext: external" in w for w in warnings)


@dataclass
class EnvFile:
    path: str
    values: dict[str, str]


def test_env_files_with_the_same_name_get_config_maps_of_their_own() -> None:
    project = Project(
        name="p",
        services={
            "a": {"image": "busybox", "environment": {"X": "1", "K": "a"}},
            "b": {"image": "busybox", "environment": {"X": "2"}},
        },
        configs={"env": {"content": "taken"}},  # ConfigMap p-env exists already
        env_files={
            "a": [EnvFile("/one/.env", {"X": "1"}), EnvFile("/two/.env", {"K": "k"})],
            "b": [EnvFile("/two/.env", {"K": "k"}), EnvFile("/one/.env", {"X": "1"})],
        },
    )
    _, bodies, _ = generate(project)
    assert find(bodies, "ConfigMap/p-env-2")["data"] == {"X": "1"}
    assert find(bodies, "ConfigMap/p-env-3")["data"] == {"K": "k"}
    a = container(find(bodies, "Deployment/a"))
    assert [e["configMapRef"]["name"] for e in a["envFrom"]] == ["p-env-2", "p-env-3"]
    assert a["env"] == [{"name": "K", "value": "a"}]  # `environment` overrides a file
    b = container(find(bodies, "Deployment/b"))
    assert [e["configMapRef"]["name"] for e in b["envFrom"]] == ["p-env-3", "p-env-2"]
    assert b["env"] == [{"name": "X", "value": "2"}]
