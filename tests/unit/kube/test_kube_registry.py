"""`kube generate --registry`: images renamed under the registry, tagged and pushed once."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dockyard.kube import registry
from dockyard.kube.spec import Application, Container, Workload
from dockyard.kube.yamlio import ManifestError


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("busybox", ("reg:5000/busybox", "latest")),
        ("nginx:1.25", ("reg:5000/nginx", "1.25")),
        ("shop-api", ("reg:5000/shop-api", "latest")),
        ("ghcr.io/team/app:2", ("reg:5000/team/app", "2")),
        ("localhost:5000/x/y", ("reg:5000/x/y", "latest")),
    ],
)
def test_retagged(image: str, expected: tuple[str, str]) -> None:
    assert registry.retagged(image, "reg:5000") == expected


@pytest.mark.parametrize("image", ["Bad Name", "busybox@sha256:" + "a" * 64])
def test_images_that_cannot_be_retagged(image: str) -> None:
    with pytest.raises(ManifestError):
        registry.retagged(image, "reg:5000")


class Images:
    def __init__(self, error: str = "") -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.error = error

    def tag(self, ref: str, repo: str, tag: str) -> None:
        self.calls.append(("tag", ref, repo, tag))

    def push(self, repo: str, tag: str, registry_auth: str | None) -> list[dict[str, str]]:
        self.calls.append(("push", repo, tag, registry_auth))
        return [{"status": "pushed"}, *([{"error": self.error}] if self.error else [])]


class Engine:
    def __init__(self, images: Images) -> None:
        self.images = images


def app() -> Application:
    return Application(
        [
            Workload("a", [Container("a", "busybox"), Container("b", "nginx:1.25")]),
            Workload("c", [Container("c", "busybox")]),
        ]
    )


def test_publish_pushes_each_image_once_and_renames_them() -> None:
    images = Images()
    application = app()
    registry.publish(Engine(images), application, "reg:5000", "AUTH")  # type: ignore[arg-type]
    assert images.calls == [
        ("tag", "busybox", "reg:5000/busybox", "latest"),
        ("push", "reg:5000/busybox", "latest", "AUTH"),
        ("tag", "nginx:1.25", "reg:5000/nginx", "1.25"),
        ("push", "reg:5000/nginx", "1.25", "AUTH"),
    ]
    assert [c.image for w in application.workloads for c in w.containers] == [
        "reg:5000/busybox:latest",
        "reg:5000/nginx:1.25",
        "reg:5000/busybox:latest",
    ]


def test_a_failed_push_is_an_error() -> None:
    with pytest.raises(ManifestError, match="push reg:5000/busybox:latest: denied"):
        registry.publish(Engine(Images("denied")), app(), "reg:5000", None)  # type: ignore[arg-type]


def test_pull_secret_holds_only_the_registry_entry() -> None:
    doc = json.loads(registry.dockerconfigjson({"auth": "dTpw"}, "reg:5000"))
    assert doc == {"auths": {"reg:5000": {"auth": "dTpw"}}}


def test_the_pull_secret_is_a_valid_dockerconfigjson_secret() -> None:
    from dockyard.kube import manifests, validate

    body = manifests.pull_secret("reg-credentials", registry.dockerconfigjson({"auth": "x"}, "r"))
    assert body["type"] == "kubernetes.io/dockerconfigjson"
    assert validate.problems(body) == []
