"""Compose files read by the compose loader -> manifests: a small corpus, each file with the
objects it must give, every object validated strictly against Kubernetes 1.30-1.37."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

loader = pytest.importorskip("dockyard.compose.loader")

from dockyard.kube import from_compose, manifests, validate  # noqa: E402

CORPUS = Path(__file__).parent / "compose_corpus"

EXPECTED = {
    "web_db.yaml": [
        "Secret/shop-token",
        "ConfigMap/shop-page",
        "ConfigMap/shop-api-env",
        "PersistentVolumeClaim/data",
        "Deployment/api",
        "Job/migrate",
        "Deployment/web",
        "Service/web",
    ],
    "env_files.yaml": [
        "ConfigMap/envs-common-env",
        "ConfigMap/envs-env",
        "Deployment/api",
        "Deployment/worker",
    ],
    "short_syntax.yaml": [
        "PersistentVolumeClaim/cache",
        "Deployment/app",
        "Service/app",
        "Job/task",
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_compose_file_to_valid_manifests(name: str) -> None:
    project = loader.load(loader.LoadOptions(files=[str(CORPUS / name)], environ=dict(os.environ)))
    app = from_compose.application(project)
    docs, _ = manifests.render(app, manifests.Options())
    assert [f"{d.body['kind']}/{d.body['metadata']['name']}" for d in docs] == EXPECTED[name]
    validate.check([d.body for d in docs], name)


def test_compose_details_survive_the_loader() -> None:
    project = loader.load(loader.LoadOptions(files=[str(CORPUS / "web_db.yaml")]))
    docs, _ = manifests.render(from_compose.application(project), manifests.Options())
    by = {f"{d.body['kind']}/{d.body['metadata']['name']}": d for d in docs}
    web = by["Deployment/web"]
    assert web.body["spec"]["replicas"] == 2
    assert "depends_on: api" in web.comments[0]
    api = by["Deployment/api"].body["spec"]["template"]["spec"]["containers"][0]
    assert api["envFrom"] == [{"configMapRef": {"name": "shop-api-env"}}]  # from env_file
    assert api["env"] == [{"name": "MODE", "value": "prod"}]
    assert by["ConfigMap/shop-api-env"].body["data"] == {"DB_HOST": "db"}
    assert api["livenessProbe"]["periodSeconds"] == 10
    assert by["Job/migrate"].body["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert by["ConfigMap/shop-page"].body["data"] == {"page": "hello from compose\n"}


def test_short_syntax_services() -> None:
    project = loader.load(loader.LoadOptions(files=[str(CORPUS / "short_syntax.yaml")]))
    docs, _ = manifests.render(from_compose.application(project), manifests.Options())
    app = docs[1].body["spec"]["template"]["spec"]
    (c,) = app["containers"]
    assert c["args"] == ["httpd", "-f", "-p", "80"]
    assert c["ports"] == [
        {"containerPort": 80, "protocol": "TCP"},
        {"containerPort": 8080, "protocol": "TCP"},
    ]
    assert c["resources"] == {"limits": {"memory": "32Mi", "cpu": "250m"}}
    assert c["securityContext"] == {
        "runAsUser": 1000,
        "capabilities": {"add": ["NET_ADMIN"]},
        "readOnlyRootFilesystem": True,
    }
    volumes = {v["name"]: v for v in app["volumes"]}
    assert volumes["cache"] == {"name": "cache", "persistentVolumeClaim": {"claimName": "cache"}}
    assert volumes["anon-tmp"]["emptyDir"] == {}
    assert volumes["tmp-run"]["emptyDir"] == {"medium": "Memory"}
    assert app["terminationGracePeriodSeconds"] == 5
    assert docs[1].body["metadata"]["labels"]["com.example.tier"] == "front"
    task = docs[3].body
    assert task["kind"] == "Job" and task["spec"]["backoffLimit"] == 2


def test_env_files_become_config_maps() -> None:
    path = str(CORPUS / "env_files.yaml")
    project = loader.load(loader.LoadOptions(files=[path], environ={"USER_NAME": "kube"}))
    # compose itself still sees one merged environment (files in order, `environment` last)
    assert project.services["api"]["environment"] == {
        "DB_HOST": "db",
        "LEVEL": "debug",
        "GREETING": "hello kube",
        "CACHE": "redis",
        "EXTRA": "1",
    }
    docs, _ = manifests.render(from_compose.application(project), manifests.Options())
    by = {f"{d.body['kind']}/{d.body['metadata']['name']}": d.body for d in docs}
    assert by["ConfigMap/envs-common-env"]["data"] == {
        "DB_HOST": "db",
        "LEVEL": "info",
        "GREETING": "hello kube",
    }
    assert by["ConfigMap/envs-env"]["data"] == {"LEVEL": "warn", "CACHE": "redis"}
    api = by["Deployment/api"]["spec"]["template"]["spec"]["containers"][0]
    # the later file wins in Kubernetes as in compose: it is the later envFrom source
    assert api["envFrom"] == [
        {"configMapRef": {"name": "envs-common-env"}},
        {"configMapRef": {"name": "envs-env"}},
    ]
    assert api["env"] == [{"name": "LEVEL", "value": "debug"}, {"name": "EXTRA", "value": "1"}]
    worker = by["Deployment/worker"]["spec"]["template"]["spec"]["containers"][0]
    assert worker["envFrom"] == [{"configMapRef": {"name": "envs-common-env"}}]
    assert "env" not in worker
