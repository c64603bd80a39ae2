"""Strict validation against the official schemas of Kubernetes 1.30 to 1.37, as the
kubernetes-validate package ships them."""

from __future__ import annotations

import pytest

from dockyard.kube import validate
from dockyard.kube.yamlio import ManifestError


def pod(**spec: object) -> dict:
    containers = [{"name": "a", "image": "busybox"}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": containers, **spec},
    }


def test_the_range_is_1_30_to_1_37_and_the_package_has_every_one() -> None:
    assert validate.VERSIONS == tuple(f"1.{minor}" for minor in range(30, 38))
    for version in validate.VERSIONS:
        assert validate.problems(pod(), (version,)) == [], version  # not "unknown kind"


def test_a_field_some_versions_lack_names_them() -> None:
    # Pod-level resources came with Kubernetes 1.32
    assert validate.problems(pod(resources={"limits": {"cpu": "1"}})) == [
        "spec: Additional properties are not allowed ('resources' was unexpected) "
        "(Kubernetes 1.30, 1.31)"
    ]


def test_unknown_fields_are_errors_with_their_path() -> None:
    doc = pod()
    doc["spec"]["containers"][0]["imagePullPolcy"] = "Always"
    assert validate.problems(doc) == [
        "spec.containers.0: Additional properties are not allowed ('imagePullPolcy' was unexpected)"
    ]


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"apiVersion": "v1beta1", "kind": "Pod", "metadata": {"name": "x"}}, "unknown kind Pod"),
        ({"kind": "Pod"}, "apiVersion and kind (strings) are required"),
    ],
)
def test_what_is_not_a_known_object(doc: dict, reason: str) -> None:
    with pytest.raises(ManifestError) as exc:
        validate.check([pod(), doc], "app.yaml")
    assert "app.yaml: document 2 (Pod/" in str(exc.value) and reason in str(exc.value)
