"""Container inspect documents -> Kubernetes objects, each validated strictly."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from dockyard.kube import from_inspect, manifests, validate
from dockyard.kube.manifests import Options

IMAGE = {
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    "Cmd": ["sh"],
    "Entrypoint": None,
    "WorkingDir": "",
    "User": "",
    "Labels": {"from.image": "yes"},
}


def inspect_doc(**over: Any) -> dict[str, Any]:
    """A container inspect document as the Engine API returns it, with overrides."""
    doc: dict[str, Any] = {
        "Id": "c" * 64,
        "Name": "/web_1",
        "Image": "sha256:" + "i" * 64,
        "Config": {
            "Image": "busybox",
            "Env": list(IMAGE["Env"]) + ["MODE=prod"],
            "Cmd": ["httpd", "-f", "-p", "80"],
            "Entrypoint": None,
            "WorkingDir": "",
            "User": "",
            "Labels": {"from.image": "yes", "tier": "front"},
            "ExposedPorts": {"80/tcp": {}},
        },
        "HostConfig": {
            "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
            "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0},
            "Memory": 0,
            "NanoCpus": 0,
        },
        "Mounts": [],
    }
    for path, value in over.items():
        section, _, key = path.partition("__")
        if key:
            doc[section][key] = value
        else:
            doc[section] = value
    return doc


def generate(doc: dict[str, Any], **opts: Any) -> tuple[list[dict[str, Any]], list[str]]:
    app = from_inspect.application([doc], {doc["Image"]: IMAGE})
    docs, warnings = manifests.render(app, Options(**opts))
    bodies = [d.body for d in docs]
    for i, body in enumerate(bodies):
        assert validate.problems(body) == [], (validate.describe(body, i), body)
    return bodies, warnings


def by_kind(bodies: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [b for b in bodies if b["kind"] == kind]
    assert len(found) == 1, [b["kind"] for b in bodies]
    return found[0]


def pod_spec(body: dict[str, Any]) -> dict[str, Any]:
    return body["spec"] if body["kind"] == "Pod" else body["spec"]["template"]["spec"]


def test_a_published_container_becomes_deployment_and_service() -> None:
    bodies, warnings = generate(inspect_doc())
    assert [b["kind"] for b in bodies] == ["Deployment", "Service"]
    dep = by_kind(bodies, "Deployment")
    assert dep["metadata"]["name"] == "web-1"
    assert dep["metadata"]["labels"] == {"app.kubernetes.io/name": "web-1", "tier": "front"}
    assert dep["spec"]["replicas"] == 1
    assert dep["spec"]["selector"] == {"matchLabels": {"app.kubernetes.io/name": "web-1"}}
    (c,) = pod_spec(dep)["containers"]
    assert c == {
        "name": "web-1",
        "image": "busybox",
        "args": ["httpd", "-f", "-p", "80"],
        "env": [{"name": "MODE", "value": "prod"}],
        "ports": [{"containerPort": 80, "protocol": "TCP"}],
    }
    assert pod_spec(dep)["restartPolicy"] == "Always"
    svc = by_kind(bodies, "Service")
    assert svc["spec"]["type"] == "ClusterIP"
    assert svc["spec"]["ports"] == [
        {"name": "80-tcp", "port": 80, "targetPort": 80, "protocol": "TCP"}
    ]
    assert warnings == []


RUN_FLAGS = [
    # (inspect overrides, what the container must have)
    (
        {"HostConfig__Memory": 64 << 20, "HostConfig__NanoCpus": 500_000_000},
        {"resources": {"limits": {"memory": "64Mi", "cpu": "500m"}}},
    ),
    ({"HostConfig__NanoCpus": 2_000_000_000}, {"resources": {"limits": {"cpu": "2"}}}),
    (
        {"HostConfig__CapAdd": ["NET_ADMIN"], "HostConfig__CapDrop": ["CAP_CHOWN"]},
        {"securityContext": {"capabilities": {"add": ["NET_ADMIN"], "drop": ["CHOWN"]}}},
    ),
    (
        {"HostConfig__Privileged": True, "HostConfig__ReadonlyRootfs": True},
        {"securityContext": {"privileged": True, "readOnlyRootFilesystem": True}},
    ),
    ({"Config__User": "1000:100"}, {"securityContext": {"runAsUser": 1000, "runAsGroup": 100}}),
    ({"Config__WorkingDir": "/srv"}, {"workingDir": "/srv"}),
    (
        {"Config__Entrypoint": ["/bin/sh", "-c"], "Config__Cmd": ["echo hi"]},
        {"command": ["/bin/sh", "-c"], "args": ["echo hi"]},
    ),
    ({"Config__Cmd": ["sh"]}, {}),  # the image's own CMD is not repeated
    ({"Config__Tty": True, "Config__OpenStdin": True}, {"tty": True, "stdin": True}),
]


@pytest.mark.parametrize(("over", "expected"), RUN_FLAGS)
def test_run_flags_map_to_the_container(over: dict[str, Any], expected: dict[str, Any]) -> None:
    bodies, _ = generate(inspect_doc(**over))
    (c,) = pod_spec(by_kind(bodies, "Deployment"))["containers"]
    for key, value in expected.items():
        assert c[key] == value
    if not expected:
        assert "args" not in c and "command" not in c


def test_stop_timeout_is_the_grace_period() -> None:
    bodies, _ = generate(inspect_doc(Config__StopTimeout=25))
    assert pod_spec(by_kind(bodies, "Deployment"))["terminationGracePeriodSeconds"] == 25


def test_a_user_name_is_reported_not_mapped() -> None:
    bodies, warnings = generate(inspect_doc(Config__User="www-data"))
    (c,) = pod_spec(by_kind(bodies, "Deployment"))["containers"]
    assert "securityContext" not in c
    assert any("www-data" in w and "runAsUser" in w for w in warnings)


def test_volumes_become_claims_host_paths_and_empty_dirs() -> None:
    mounts = [
        {"Type": "volume", "Name": "proj_data", "Destination": "/data", "RW": True},
        {"Type": "bind", "Source": "/srv/conf", "Destination": "/conf", "RW": False},
        {"Type": "volume", "Name": "a" * 64, "Destination": "/cache", "RW": True},
    ]
    doc = inspect_doc(Mounts=mounts, HostConfig__Tmpfs={"/run": "size=65536k"})
    doc["HostConfig"]["Tmpfs"] = {"/run": "size=67108864"}
    bodies, warnings = generate(doc)
    claim = by_kind(bodies, "PersistentVolumeClaim")
    assert claim["metadata"]["name"] == "proj-data"
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    spec = pod_spec(by_kind(bodies, "Deployment"))
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["proj-data"] == {
        "name": "proj-data",
        "persistentVolumeClaim": {"claimName": "proj-data"},
    }
    assert {"hostPath": {"path": "/srv/conf"}}.items() <= volumes["host-srv-conf"].items()
    assert volumes["anon-cache"]["emptyDir"] == {}
    assert volumes["tmp-run"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "64Mi"}
    mounts_out = {m["mountPath"]: m for m in spec["containers"][0]["volumeMounts"]}
    assert mounts_out["/conf"]["readOnly"] is True
    assert set(mounts_out) == {"/data", "/conf", "/cache", "/run"}
    assert any("hostPath" in w and "/srv/conf" in w for w in warnings)


@pytest.mark.parametrize(
    ("policy", "kind", "restart", "backoff"),
    [
        ({"Name": "on-failure", "MaximumRetryCount": 3}, "Job", "OnFailure", 3),
        ({"Name": "always", "MaximumRetryCount": 0}, "Deployment", "Always", None),
        ({"Name": "unless-stopped", "MaximumRetryCount": 0}, "Deployment", "Always", None),
    ],
)
def test_restart_policy_chooses_the_kind(
    policy: dict[str, Any], kind: str, restart: str, backoff: int | None
) -> None:
    bodies, _ = generate(inspect_doc(HostConfig__RestartPolicy=policy))
    body = by_kind(bodies, kind)
    assert pod_spec(body)["restartPolicy"] == restart
    if backoff is not None:
        assert body["spec"]["backoffLimit"] == backoff
    assert ("Service" in [b["kind"] for b in bodies]) == (kind != "Job")


@pytest.mark.parametrize(
    ("kind", "expected", "restart"),
    [("pod", "Pod", "Always"), ("daemonset", "DaemonSet", "Always"), ("job", "Job", "OnFailure")],
)
def test_type_option(kind: str, expected: str, restart: str) -> None:
    bodies, _ = generate(inspect_doc(), kind=kind)
    assert pod_spec(by_kind(bodies, expected))["restartPolicy"] == restart


def test_a_deployment_asked_for_a_run_once_container_warns() -> None:
    doc = inspect_doc(HostConfig__RestartPolicy={"Name": "on-failure", "MaximumRetryCount": 1})
    bodies, warnings = generate(doc, kind="deployment")
    assert pod_spec(by_kind(bodies, "Deployment"))["restartPolicy"] == "Always"
    assert any("restartPolicy Always" in w for w in warnings)


@pytest.mark.parametrize(
    ("host_port", "service_type", "expected", "warns"),
    [
        ("30080", "NodePort", {"port": 80, "targetPort": 80, "nodePort": 30080}, False),
        ("8080", "NodePort", {"port": 80, "targetPort": 80}, True),
        ("8080", "LoadBalancer", {"port": 8080, "targetPort": 80}, False),
    ],
)
def test_service_types(host_port: str, service_type: str, expected: dict, warns: bool) -> None:
    doc = inspect_doc(HostConfig__PortBindings={"80/tcp": [{"HostIp": "", "HostPort": host_port}]})
    bodies, warnings = generate(doc, service_type=service_type)
    svc = by_kind(bodies, "Service")
    assert svc["spec"]["type"] == service_type
    (port,) = svc["spec"]["ports"]
    assert expected.items() <= port.items()
    assert ("nodePort" in port) == ("nodePort" in expected)
    assert any("NodePort range" in w for w in warnings) == warns


def test_exposed_ports_only_still_make_a_service() -> None:
    doc = inspect_doc(HostConfig__PortBindings={}, Config__ExposedPorts={"53/udp": {}})
    bodies, _ = generate(doc)
    assert by_kind(bodies, "Service")["spec"]["ports"][0]["protocol"] == "UDP"


def test_no_ports_no_service() -> None:
    doc = inspect_doc(HostConfig__PortBindings={}, Config__ExposedPorts=None)
    bodies, _ = generate(doc)
    assert [b["kind"] for b in bodies] == ["Deployment"]


def test_health_check_becomes_liveness_and_readiness() -> None:
    hc = {
        "Test": ["CMD-SHELL", "wget -q -O- localhost"],
        "Interval": 5_000_000_000,
        "Timeout": 2_000_000_000,
        "Retries": 4,
        "StartPeriod": 10_000_000_000,
    }
    bodies, _ = generate(inspect_doc(Config__Healthcheck=hc))
    (c,) = pod_spec(by_kind(bodies, "Deployment"))["containers"]
    expected = {
        "exec": {"command": ["/bin/sh", "-c", "wget -q -O- localhost"]},
        "periodSeconds": 5,
        "timeoutSeconds": 2,
        "failureThreshold": 4,
        "initialDelaySeconds": 10,
    }
    assert c["livenessProbe"] == expected
    assert c["readinessProbe"] == expected


def test_labels_that_kubernetes_refuses_become_annotations() -> None:
    long_value = "x" * 80
    doc = inspect_doc(
        Config__Labels={"ok": "yes", "desc": long_value, "com.docker.compose.project": "shop"}
    )
    bodies, _ = generate(doc)
    meta = by_kind(bodies, "Deployment")["metadata"]
    assert meta["labels"]["ok"] == "yes"
    assert meta["labels"]["app.kubernetes.io/part-of"] == "shop"
    assert meta["annotations"] == {"desc": long_value}


def test_depends_on_is_a_comment() -> None:
    doc = inspect_doc(Config__Labels={"com.docker.compose.depends_on": "db:service_started:false"})
    app = from_inspect.application([doc], {doc["Image"]: IMAGE})
    docs, warnings = manifests.render(app, Options())
    assert "depends_on: db" in docs[0].comments[0]
    assert any("depends_on" in w for w in warnings)


def test_generated_objects_are_not_shared_with_the_input() -> None:
    doc = inspect_doc()
    before = copy.deepcopy(doc)
    generate(doc)
    assert doc == before


def test_yaml_has_no_anchors_and_reads_back() -> None:
    from dockyard.kube.yamlio import dump_documents, load_documents

    app = from_inspect.application([inspect_doc()], {"sha256:" + "i" * 64: IMAGE})
    docs, _ = manifests.render(app, Options())
    text = dump_documents((d.comments, d.body) for d in docs)
    assert "&id" not in text and "*id" not in text
    assert load_documents(text, "t") == [d.body for d in docs]


def test_a_new_entrypoint_without_cmd_has_no_empty_args() -> None:
    doc = inspect_doc(Config__Entrypoint=["sleep"], Config__Cmd=None)
    bodies, _ = generate(doc)
    (c,) = pod_spec(by_kind(bodies, "Deployment"))["containers"]
    assert c["command"] == ["sleep"] and "args" not in c


def test_multi_line_strings_are_literal_blocks() -> None:
    from dockyard.kube.yamlio import dump_documents, load_documents

    body = {"data": {"page": "hello\nworld\n", "trailing": "x \n", "plain": "one line"}}
    text = dump_documents([([], body)])
    assert "page: |\n    hello\n    world\n" in text
    assert load_documents(text, "t") == [body]


def test_sparse_inspect_documents_still_convert() -> None:
    doc = {
        "Name": "/x",
        "Config": {"Image": "b", "Labels": None, "Env": None, "ExposedPorts": None},
        "HostConfig": {
            "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8000-8010"}], "53/udp": None},
            "RestartPolicy": None,
            "Tmpfs": None,
        },
        "Mounts": None,
    }
    app = from_inspect.application([doc], {})
    docs, _ = manifests.render(app, Options(service_type="NodePort"))
    assert [d.body["kind"] for d in docs] == ["Deployment", "Service"]
    assert [p["port"] for p in docs[1].body["spec"]["ports"]] == [80, 53]
    for d in docs:
        assert validate.problems(d.body) == []
