"""The play executor against a recording fake of the typed Engine client: order of calls,
rollback of a play that fails halfway, and `down` choosing exactly what a play made."""

from __future__ import annotations

import io
import tarfile
from typing import Any

import pytest

from dockyard.client.api import APIError
from dockyard.kube import plan
from dockyard.kube.play import Player, down
from dockyard.kube.yamlio import ManifestError, load_documents

POD = """
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {app.conf: "x=1"}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  volumes:
  - {name: data, persistentVolumeClaim: {claimName: data}}
  - {name: cfg, configMap: {name: cfg}}
  initContainers: [{name: init, image: busybox, command: ["true"]}]
  containers:
  - {name: a, image: busybox, volumeMounts: [{name: data, mountPath: /d}, {name: cfg, mountPath: /etc/app}]}
  - {name: b, image: missing/image:1}
"""


class FakeResource:
    def __init__(self, engine: FakeEngine, kind: str) -> None:
        self.engine, self.kind = engine, kind

    def __getattr__(self, verb: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.engine.calls.append((self.kind, verb, args[0] if args else kwargs.get("name")))
            return self.engine.answer(self.kind, verb, args, kwargs)

        return call


class FakeEngine:
    """Answers as an empty daemon would; `fail` makes one call raise."""

    def __init__(self, fail: tuple[str, str, str] | None = None, exit_code: int = 0) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.fail = fail
        self.exit_code = exit_code
        self.archives: dict[str, bytes] = {}
        self.missing_images = {"missing/image:1"}
        self.containers = FakeResource(self, "containers")
        self.volumes = FakeResource(self, "volumes")
        self.networks = FakeResource(self, "networks")
        self.images = FakeResource(self, "images")
        self.listing: dict[str, Any] = {}
        self.pulled: list[dict[str, Any]] = []

    def answer(self, kind: str, verb: str, args: tuple, kwargs: dict) -> Any:
        target = args[0] if args else kwargs.get("name")
        if self.fail and (kind, verb) == self.fail[:2] and self.fail[2] in str(target):
            raise APIError(500, "boom")
        if verb == "inspect":
            raise APIError(404, "not found")
        if kind == "containers" and verb == "create":
            if args[0]["Image"] in self.missing_images:
                raise APIError(404, f"No such image: {args[0]['Image']}")
            return {"Id": "x"}
        if kind == "images" and verb == "pull":
            self.pulled.append(kwargs)
            self.missing_images.clear()
            return iter([{"status": "done"}])
        if verb == "wait":
            return {"StatusCode": self.exit_code}
        if verb == "put_archive":
            self.archives[args[0]] = args[2].read()
        if verb == "list":
            return self.listing.get(kind, [] if kind == "containers" else {"Volumes": []})
        return None


def play_plan() -> plan.Plan:
    return plan.build(plan.sources(load_documents(POD, "f"), "f"))


def test_play_creates_network_volumes_and_pod_in_order() -> None:
    engine = FakeEngine()
    Player(engine, lambda line: None).play(play_plan())
    made = [(k, v, t) for k, v, t in engine.calls if v in ("create", "start", "pull")]
    assert made == [
        (
            "networks",
            "create",
            {
                "Name": "kube",
                "Driver": "bridge",
                "Labels": {"io.dockyard.kube.owner": "Network/kube"},
            },
        ),
        ("volumes", "create", "data"),
        ("containers", "create", made[2][2]),
        ("containers", "start", "p-infra"),
        ("containers", "create", made[4][2]),
        ("containers", "start", "p-init"),
        ("containers", "create", made[6][2]),
        ("containers", "create", made[7][2]),  # b: no such image
        ("images", "pull", "docker.io/missing/image"),
        ("containers", "create", made[9][2]),
        ("containers", "start", "p-a"),
        ("containers", "start", "p-b"),
    ]
    with tarfile.open(fileobj=io.BytesIO(engine.archives["p-a"])) as tar:
        assert tar.getnames() == ["etc", "etc/app", "etc/app/app.conf"]
        assert tar.extractfile("etc/app/app.conf").read() == b"x=1"


ALL = [
    ("containers", "p-b"),
    ("containers", "p-a"),
    ("containers", "p-init"),
    ("containers", "p-infra"),
    ("volumes", "data"),
    ("networks", "kube"),
]


@pytest.mark.parametrize(
    ("fail", "removed"),
    [
        (("containers", "start", "p-b"), ALL),
        (("containers", "create", "Image"), ALL[-2:]),  # the first container
        (("volumes", "create", "data"), ALL[-1:]),
    ],
)
def test_a_play_failing_halfway_removes_what_it_created(
    fail: tuple[str, str, str], removed: list[tuple[str, str]]
) -> None:
    engine = FakeEngine(fail=fail)
    with pytest.raises(APIError, match="boom"):
        Player(engine, lambda line: None).play(play_plan())
    assert [(k, t) for k, v, t in engine.calls if v == "remove"] == removed  # newest first


def test_a_failing_init_container_fails_the_play_and_rolls_back() -> None:
    engine = FakeEngine(exit_code=3)
    with pytest.raises(ManifestError, match="init container p-init exited with code 3"):
        Player(engine, lambda line: None).play(play_plan())
    assert ("containers", "remove", "p-init") in engine.calls
    assert not [c for c in engine.calls if c[1] == "start" and c[2] == "p-a"]


def test_down_removes_only_what_the_files_own() -> None:
    engine = FakeEngine()
    own = {"io.dockyard.kube.owner": "Pod/p", "io.dockyard.kube.pod": "p"}
    engine.listing = {
        "containers": [
            {"Id": "infra", "Labels": {**own, "io.dockyard.kube.infra": "true"}},
            {"Id": "a", "Labels": own},
            {"Id": "other", "Labels": {"io.dockyard.kube.owner": "Pod/q"}},
        ],
        "volumes": {
            "Volumes": [
                {
                    "Name": "data",
                    "Labels": {"io.dockyard.kube.owner": "PersistentVolumeClaim/data"},
                },
                {"Name": "keep", "Labels": {"io.dockyard.kube.owner": "PersistentVolumeClaim/k"}},
            ]
        },
    }
    srcs = plan.sources(load_documents(POD, "f"), "f")
    down(engine, plan.owners(srcs), "kube", lambda line: None)
    removed = [t for k, v, t in engine.calls if v == "remove"]
    assert removed == ["a", "infra", "data"]  # the infra container last; `keep` stays


PULL_SECRET = """
apiVersion: v1
kind: Secret
metadata: {name: reg-creds}
type: kubernetes.io/dockerconfigjson
data: {.dockerconfigjson: DATA}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets: [{name: reg-creds}, {name: absent}]
  containers: [{name: a, image: "reg.example:5000/team/app:2"}]
"""


def test_images_are_pulled_with_the_pod_s_image_pull_secrets() -> None:
    import base64
    import json

    auths = {"auths": {"reg.example:5000": {"auth": base64.b64encode(b"alice:s3cret").decode()}}}
    data = base64.b64encode(json.dumps(auths).encode()).decode()
    docs = load_documents(PULL_SECRET.replace("DATA", data), "f")
    built = plan.build(plan.sources(docs, "f"))
    assert [w for w in built.warnings if "absent" in w] == [
        "f: document 2 (Pod/p): spec.imagePullSecrets.1: Secret 'absent' is not in the "
        "played files; images are pulled without it"
    ]
    engine = FakeEngine()
    engine.missing_images = {"reg.example:5000/team/app:2"}
    Player(engine, lambda line: None).play(built)
    assert [c[2] for c in engine.calls if c[1] == "pull"] == ["reg.example:5000/team/app"]
    (pulled,) = engine.pulled
    assert pulled["tag"] == "2"
    header = pulled["registry_auth"]
    assert json.loads(base64.urlsafe_b64decode(header)) == {
        "username": "alice",
        "password": "s3cret",
        "serveraddress": "reg.example:5000",
    }


def test_a_pull_secret_without_docker_config_is_refused() -> None:
    text = PULL_SECRET.replace("{.dockerconfigjson: DATA}", "{other: eA==}")
    with pytest.raises(ManifestError, match="Secret 'reg-creds' holds no .dockerconfigjson"):
        plan.build(plan.sources(load_documents(text, "f"), "f"))
