"""Kubernetes manifests -> the containers, volumes and aliases `kube play` creates."""

from __future__ import annotations

from typing import Any

import pytest

from dockyard.kube import from_inspect, manifests, plan, validate
from dockyard.kube.yamlio import ManifestError, dump_documents, load_documents

DEPLOYMENT_AND_SERVICE = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: httpd
        image: busybox
        command: [httpd, -f, -p, "8080"]
        ports: [{containerPort: 8080, name: http}]
---
apiVersion: v1
kind: Service
metadata: {name: front}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 8080, targetPort: http, nodePort: 30080}]
"""

POD = """
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {MODE: prod, app.conf: "listen 80\\n"}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: s3cret}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: duo, labels: {app: duo}}
spec:
  hostname: duo-host
  terminationGracePeriodSeconds: 5
  restartPolicy: OnFailure
  securityContext: {runAsUser: 1000}
  volumes:
  - {name: data, persistentVolumeClaim: {claimName: data}}
  - {name: scratch, emptyDir: {}}
  - {name: fast, emptyDir: {medium: Memory, sizeLimit: 64Mi}}
  - {name: host, hostPath: {path: /srv}}
  - {name: conf, configMap: {name: settings, items: [{key: app.conf, path: app.conf}]}}
  - {name: secret, secret: {secretName: creds}}
  initContainers:
  - {name: prepare, image: busybox, command: [touch, /scratch/ready],
     volumeMounts: [{name: scratch, mountPath: /scratch}]}
  containers:
  - name: server
    image: busybox
    args: [httpd, -f]
    workingDir: /srv
    env:
    - {name: PLAIN, value: "1"}
    - {name: MODE, valueFrom: {configMapKeyRef: {name: settings, key: MODE}}}
    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
    envFrom: [{configMapRef: {name: settings}, prefix: CFG_}]
    resources: {limits: {memory: 64Mi, cpu: 500m}, requests: {cpu: 100m}}
    securityContext:
      runAsGroup: 100
      capabilities: {add: [NET_ADMIN], drop: [MKNOD]}
      readOnlyRootFilesystem: true
    livenessProbe: {exec: {command: [/bin/sh, -c, "wget -q -O- localhost"]}, periodSeconds: 5}
    volumeMounts:
    - {name: data, mountPath: /data}
    - {name: scratch, mountPath: /scratch, readOnly: true}
    - {name: fast, mountPath: /fast}
    - {name: host, mountPath: /host}
    - {name: conf, mountPath: /etc/app}
    - {name: secret, mountPath: /run/secrets/pw, subPath: password}
  - name: client
    image: busybox
    command: [sleep, "3600"]
"""


def build(text: str, **kw: Any) -> plan.Plan:
    docs = load_documents(text, "app.yaml")
    validate.check(docs, "app.yaml", versions=("1.37",))
    return plan.build(plan.sources(docs, "app.yaml"), **kw)


def test_a_deployment_runs_all_replicas_behind_its_service() -> None:
    p = build(DEPLOYMENT_AND_SERVICE)
    assert [pod.name for pod in p.pods] == ["web-1", "web-2", "web-3"]
    for pod in p.pods:
        infra = pod.infra.body
        assert pod.infra.name == f"{pod.name}-infra"
        assert infra["NetworkingConfig"]["EndpointsConfig"]["kube"]["Aliases"] == [
            pod.name,
            "front",
        ]
        assert infra["HostConfig"]["NetworkMode"] == "kube"
        assert infra["Labels"]["io.dockyard.kube.infra"] == "true"
        assert infra["Labels"]["io.dockyard.kube.owner"] == "Deployment/web"
        (c,) = pod.containers
        assert c.name == f"{pod.name}-httpd"
        assert c.body["HostConfig"]["NetworkMode"] == f"container:{pod.name}-infra"
        assert c.body["Hostname"] == pod.name == infra["Hostname"]
        assert c.body["Entrypoint"] == ["httpd", "-f", "-p", "8080"]
        assert "Cmd" not in c.body  # command without args drops the image's CMD too
        assert c.body["HostConfig"]["RestartPolicy"]["Name"] == "always"
        assert c.body["Labels"]["app"] == "web"
    # the node port is published once, on the first pod (no load balancer on one host)
    bindings = [pod.infra.body["HostConfig"]["PortBindings"] for pod in p.pods]
    assert bindings[0] == {"8080/tcp": [{"HostIp": "", "HostPort": "30080"}]}
    assert bindings[1] == bindings[2] == {}
    assert any("reaches pod web-1 only" in w for w in p.warnings)


def test_a_pod_maps_every_supported_field() -> None:
    p = build(POD)
    assert p.claims == ["data"]
    (pod,) = p.pods
    assert pod.infra.body["Hostname"] == "duo-host"
    assert pod.volumes == ["duo-scratch"]
    (init,) = pod.init
    assert init.body["HostConfig"]["RestartPolicy"] == {"Name": "no"}
    server, client = pod.containers
    body, host = server.body, server.body["HostConfig"]
    assert body["Cmd"] == ["httpd", "-f"] and "Entrypoint" not in body
    assert body["WorkingDir"] == "/srv"
    assert body["User"] == "1000:100"
    assert body["StopTimeout"] == 5
    env = body["Env"]
    assert "PLAIN=1" in env and "MODE=prod" in env and "PASSWORD=s3cret" in env
    assert "CFG_MODE=prod" in env
    assert host["Memory"] == 64 << 20 and host["NanoCpus"] == 500_000_000
    assert host["CapAdd"] == ["NET_ADMIN"] and host["CapDrop"] == ["MKNOD"]
    assert host["ReadonlyRootfs"] is True
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 6}
    assert body["Healthcheck"]["Test"] == ["CMD-SHELL", "wget -q -O- localhost"]
    assert body["Healthcheck"]["Interval"] == 5_000_000_000
    mounts = {m["Target"]: m for m in host["Mounts"]}
    assert mounts["/data"] == {
        "Type": "volume",
        "Source": "data",
        "Target": "/data",
        "ReadOnly": False,
    }
    assert mounts["/scratch"]["Source"] == "duo-scratch" and mounts["/scratch"]["ReadOnly"]
    assert mounts["/fast"] == {
        "Type": "tmpfs",
        "Target": "/fast",
        "TmpfsOptions": {"SizeBytes": 64 << 20},
    }
    assert mounts["/host"]["Type"] == "bind" and mounts["/host"]["Source"] == "/srv"
    assert server.files == {"/etc/app/app.conf": b"listen 80\n", "/run/secrets/pw": b"s3cret"}
    assert client.body["User"] == "1000"  # the pod's securityContext
    assert client.body["Entrypoint"] == ["sleep", "3600"]
    assert not any("requests" in w for w in p.warnings)


JOB = """
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  completions: 2
  backoffLimit: 3
  template:
    spec:
      restartPolicy: Never
      containers: [{name: task, image: busybox, command: ["true"]}]
"""


def test_a_job_runs_its_completions_with_its_backoff_limit() -> None:
    p = build(JOB)
    assert [pod.name for pod in p.pods] == ["once-1", "once-2"]
    for pod in p.pods:
        assert pod.containers[0].body["HostConfig"]["RestartPolicy"] == {
            "Name": "on-failure",
            "MaximumRetryCount": 3,
        }
        assert pod.infra.body["HostConfig"]["RestartPolicy"] == {"Name": "no"}


def test_unsupported_kinds_and_fields_are_named_and_skipped() -> None:
    text = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: gate}
spec: {defaultBackend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  shareProcessNamespace: true
  containers:
  - name: c
    image: busybox
    lifecycle: {preStop: {exec: {command: ["true"]}}}
    startupProbe: {exec: {command: ["true"]}}
    readinessProbe: {httpGet: {path: /, port: 80}}
"""
    p = build(text)
    assert len(p.pods) == 1
    assert (
        "app.yaml: document 1 (Ingress/gate): kind Ingress is not supported; skipped" in p.warnings
    )
    where = "app.yaml: document 2 (Pod/p)"
    for path in (
        "spec.shareProcessNamespace",
        "spec.containers.0.lifecycle",
        "spec.containers.0.startupProbe",
    ):
        assert f"{where}: {path}: not supported; skipped" in p.warnings
    assert any("readinessProbe: only exec probes" in w for w in p.warnings)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
            "  - {name: c, image: busybox, env: [{name: A, valueFrom: {configMapKeyRef: "
            "{name: nope, key: k}}}]}\n",
            "ConfigMap 'nope' is not in the played files",
        ),
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
            "  - {name: c, image: busybox, volumeMounts: [{name: v, mountPath: /v}]}\n",
            "spec.containers.0.volumeMounts.0: no volume named 'v'",
        ),
        (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n"
            "  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: c}}\n"
            "    spec: {containers: [{name: c, image: busybox}]}\n",
            "spec.selector.matchLabels: does not match",
        ),
    ],
)
def test_bad_input_fails_before_anything_is_created(text: str, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        build(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n",
            "document 1 (Pod/p): spec.containers.0.image: a container needs an image",
        ),
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: "
            "[{name: c, image: b, ports: [{containerPort: http}]}]\n",
            "spec.containers.0.ports.0.containerPort: 'http' is not of type 'integer'",
        ),
        (
            "kind: Pod\nmetadata: {name: p}\n",
            "not a Kubernetes object: apiVersion and kind (strings) are required",
        ),
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\nextra: 1\n",
            "Additional properties are not allowed",
        ),
    ],
)
def test_invalid_manifests_fail_validation_with_path_and_reason(text: str, message: str) -> None:
    with pytest.raises(ManifestError) as err:
        build(text)
    assert message in str(err.value)


def test_owners_name_what_down_removes() -> None:
    docs = load_documents(POD + "\n---\n" + DEPLOYMENT_AND_SERVICE, "app.yaml")
    assert plan.owners(plan.sources(docs, "app.yaml")) == {
        "ConfigMap/settings",
        "Secret/creds",
        "PersistentVolumeClaim/data",
        "Pod/duo",
        "Deployment/web",
        "Service/front",
    }


def test_a_generated_file_plays_back_as_the_original_container() -> None:
    doc = {
        "Name": "/api",
        "Image": "sha256:x",
        "Config": {
            "Image": "busybox",
            "Env": ["A=1"],
            "Cmd": ["httpd", "-f"],
            "Entrypoint": None,
            "ExposedPorts": {"80/tcp": {}},
            "Labels": {},
        },
        "HostConfig": {
            "PortBindings": {"80/tcp": [{"HostPort": "30081"}]},
            "Memory": 32 << 20,
            "RestartPolicy": {"Name": "always"},
        },
        "Mounts": [{"Type": "volume", "Name": "apidata", "Destination": "/d", "RW": True}],
    }
    app = from_inspect.application([doc], {"sha256:x": {"Cmd": ["sh"]}})
    docs, _ = manifests.render(app, manifests.Options(service_type="NodePort"))
    text = dump_documents((d.comments, d.body) for d in docs)
    p = build(text)
    (pod,) = p.pods
    (c,) = pod.containers
    assert c.body["Image"] == "busybox" and c.body["Cmd"] == ["httpd", "-f"]
    assert "A=1" in c.body["Env"]
    assert c.body["HostConfig"]["Memory"] == 32 << 20
    assert c.body["HostConfig"]["Mounts"][0]["Source"] == "apidata"
    assert pod.infra.body["HostConfig"]["PortBindings"] == {
        "80/tcp": [{"HostIp": "", "HostPort": "30081"}]
    }
    assert "api" in pod.infra.body["NetworkingConfig"]["EndpointsConfig"]["kube"]["Aliases"]
    assert p.claims == ["apidata"]


def test_every_error_of_every_document_is_listed() -> None:
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n"
        "spec: {containers: [{name: c, image: b, bogus: 1, ports: [{containerPort: x}]}]}\n"
        "---\napiVersion: v1\nkind: Nope\nmetadata: {name: b}\n"
    )
    with pytest.raises(ManifestError) as err:
        build(text)
    lines = str(err.value).splitlines()[1:]
    assert lines == [
        "  app.yaml: document 1 (Pod/a): spec.containers.0: Additional properties are not "
        "allowed ('bogus' was unexpected)",
        "  app.yaml: document 1 (Pod/a): spec.containers.0.ports.0.containerPort: 'x' is not "
        "of type 'integer'",
        "  app.yaml: document 2 (Nope/b): unknown kind Nope in v1",
    ]


def test_host_ports_daemonsets_and_load_balancers() -> None:
    text = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
      - name: a
        image: busybox
        ports: [{containerPort: 9100, hostPort: 19100, protocol: UDP}, {containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: lb}
spec:
  type: LoadBalancer
  selector: {app: agent}
  ports: [{port: 18080, targetPort: 80}]
"""
    p = build(text)
    (pod,) = p.pods  # one node, one pod
    assert pod.name == "agent-1"
    infra = pod.infra.body
    assert infra["ExposedPorts"] == {"9100/udp": {}, "80/tcp": {}}
    assert infra["HostConfig"]["PortBindings"] == {
        "9100/udp": [{"HostIp": "", "HostPort": "19100"}],
        "80/tcp": [{"HostIp": "", "HostPort": "18080"}],
    }
    assert any("reached on its pods' port 80" in w for w in p.warnings)


def test_a_service_naming_an_unknown_port_fails() -> None:
    text = DEPLOYMENT_AND_SERVICE.replace("targetPort: http", "targetPort: nope")
    with pytest.raises(
        ManifestError, match="spec.ports.0.targetPort: no container port named 'nope'"
    ):
        build(text)


def test_a_service_selecting_nothing_warns() -> None:
    text = DEPLOYMENT_AND_SERVICE.replace(
        "selector: {app: web}\n  ports", "selector: {app: x}\n  ports"
    )
    p = build(text)
    assert any("Service/front): spec.selector: selects no pod" in w for w in p.warnings)


POD_HEAD = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {}\nspec: {containers: [{name: c, image: b}]}",
            "document 1 (Pod/?): metadata.name: required",
        ),
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n",
            "metadata.name: 'Bad_Name' is not a valid name",
        ),
        (
            POD_HEAD + "spec: {containers: [{name: c, image: b}, {name: c, image: b}]}",
            "(Pod/p): spec.containers.1.name: 'c' is used twice",
        ),
        (
            POD_HEAD + "spec: {containers: [{name: C_1, image: b}]}",
            "spec.containers.0.name: 'C_1' is not a valid container name",
        ),
        (
            POD_HEAD
            + "spec: {containers: [{name: c, image: b, resources: {limits: {memory: lots}}}]}",
            "spec.containers.0.resources.limits: invalid quantity 'lots'",
        ),
        (
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: '!!'}\n",
            "(Secret/s): data.a: not base64",
        ),
        (
            POD_HEAD + "spec:\n  volumes: [{name: v, emptyDir: {medium: Memory, sizeLimit: abc}}]\n"
            "  containers: [{name: c, image: b, volumeMounts: [{name: v, mountPath: /v}]}]\n",
            "spec.containers.0.volumeMounts.0: v: invalid quantity 'abc'",
        ),
    ],
)
def test_what_the_schema_lets_through_is_still_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(ManifestError) as err:
        build(text)
    assert message in str(err.value)
