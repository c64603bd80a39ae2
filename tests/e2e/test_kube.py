"""`dockyard kube play|down|generate` and `dockyard pod` on a private daemon with busybox."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from testing import tutorial_project
from testing.flowkit import VENV_BIN, Cli, free_port, http_get, wait_until

pytestmark = pytest.mark.e2e


class Kube:
    """One test's manifests: unique names, its own network, and `kube down` afterwards."""

    def __init__(self, daemon: Any, tmp: Path) -> None:
        self.cli = Cli(daemon, "dockyard")
        self.tag = uuid.uuid4().hex[:6]
        self.network = f"kube-{self.tag}"
        self.tmp = tmp
        self.files: list[Path] = []

    def write(self, text: str, name: str = "app.yaml") -> Path:
        path = self.tmp / name
        path.write_text(text.replace("TAG", self.tag))
        self.files.append(path)
        return path

    def play(self, *args: str, check: bool = True) -> Any:
        return self.cli.run(
            "kube", "play", "--network", self.network, *args, timeout=120, check=check
        )

    def down(self, path: Path) -> str:
        return self.cli.ok("kube", "down", "--network", self.network, str(path), timeout=120)

    def exec(self, container: str, *cmd: str) -> str:
        return self.cli.ok("exec", container, *cmd, timeout=30)

    def leftovers(self) -> dict[str, list[str]]:
        """Everything labelled by a play of this test, and its network."""
        containers = [
            n for n in self.cli.ok("ps", "-a", "--format", "{{.Names}}").split() if self.tag in n
        ]
        volumes = [n for n in self.cli.ok("volume", "ls", "-q").split() if self.tag in n]
        networks = [
            n
            for n in self.cli.ok("network", "ls", "--format", "{{.Name}}").split()
            if n == self.network
        ]
        return {"containers": containers, "volumes": volumes, "networks": networks}

    def cleanup(self) -> None:
        for path in self.files:
            self.cli.run("kube", "down", "--network", self.network, str(path), timeout=120)
        self.cli.run("network", "rm", self.network)


@pytest.fixture
def kube(daemon: Any, tmp_path: Path) -> Iterator[Kube]:
    k = Kube(daemon, tmp_path)
    try:
        yield k
    finally:
        k.cleanup()


TWO_CONTAINERS = """
apiVersion: v1
kind: ConfigMap
metadata: {name: site-TAG}
data: {index.html: "hello from the pod\\n"}
---
apiVersion: v1
kind: Pod
metadata: {name: duo-TAG, labels: {app: duo-TAG}}
spec:
  volumes: [{name: site, configMap: {name: site-TAG}}]
  containers:
  - name: server
    image: busybox
    command: [httpd, -f, -p, "8080", -h, /www]
    volumeMounts: [{name: site, mountPath: /www}]
  - name: client
    image: busybox
    command: [sleep, "3600"]
"""


def test_a_pod_with_two_containers_talking_over_localhost(kube: Kube) -> None:
    path = kube.write(TWO_CONTAINERS)
    kube.play(str(path))
    client = f"duo-{kube.tag}-client"
    body = wait_until(
        lambda: kube.exec(client, "wget", "-qO-", "http://localhost:8080/index.html"),
        timeout=20,
        what="the server over localhost",
    )
    assert body == "hello from the pod\n"
    # one hostname for the pod
    assert kube.exec(client, "hostname").strip() == f"duo-{kube.tag}"
    assert kube.exec(f"duo-{kube.tag}-server", "hostname").strip() == f"duo-{kube.tag}"
    listed = kube.cli.ok("pod", "ls")
    row = next(line for line in listed.splitlines() if f"duo-{kube.tag}" in line)
    assert "Running" in row and f"Pod/duo-{kube.tag}" in row
    (info,) = json.loads(kube.cli.ok("pod", "inspect", f"duo-{kube.tag}"))
    assert info["State"] == "Running"
    assert sorted(c["Name"] for c in info["Containers"]) == sorted(
        f"duo-{kube.tag}-{n}" for n in ("infra", "server", "client")
    )
    kube.down(path)
    assert kube.leftovers() == {"containers": [], "volumes": [], "networks": []}


DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-TAG}
spec:
  replicas: 3
  selector: {matchLabels: {app: web-TAG}}
  template:
    metadata: {labels: {app: web-TAG}}
    spec:
      containers:
      - name: httpd
        image: busybox
        command: [sh, -c, "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"]
        ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: front-TAG}
spec:
  selector: {app: web-TAG}
  ports: [{port: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: probe-TAG}
spec:
  containers: [{name: box, image: busybox, command: [sleep, "3600"]}]
"""


def test_three_replicas_behind_a_service_reached_by_name(kube: Kube) -> None:
    path = kube.write(DEPLOYMENT)
    kube.play(str(path))
    pods = {f"web-{kube.tag}-{i}" for i in (1, 2, 3)}
    listed = set(kube.cli.ok("pod", "ls", "-q").split())
    assert pods <= listed
    prober = f"probe-{kube.tag}-box"
    seen: set[str] = set()

    def ask() -> bool:
        seen.add(kube.exec(prober, "wget", "-qO-", f"http://front-{kube.tag}:8080/").strip())
        return True

    wait_until(ask, timeout=20, what="the service by name")
    for _ in range(20):
        ask()
    assert seen <= pods and seen, seen
    kube.down(path)
    assert kube.leftovers() == {"containers": [], "volumes": [], "networks": []}


JOB = """
apiVersion: batch/v1
kind: Job
metadata: {name: once-TAG}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: task
        image: busybox
        command: [sh, -c, "echo job done; exit 0"]
"""


def test_a_job_completes(kube: Kube) -> None:
    path = kube.write(JOB)
    kube.play(str(path))
    task = f"once-{kube.tag}-1-task"
    status = wait_until(
        lambda: kube.cli.fmt("{{.State.Status}} {{.State.ExitCode}}", task) == "exited 0",
        timeout=20,
        what="the job's exit",
    )
    assert status
    logs = kube.cli.ok("pod", "logs", f"once-{kube.tag}-1")
    assert "task job done" in logs
    kube.down(path)
    assert kube.leftovers() == {"containers": [], "volumes": [], "networks": []}


def test_play_of_a_generated_file_answers_as_the_original(kube: Kube, tmp_path: Path) -> None:
    port = free_port()
    name = f"orig-{kube.tag}"
    kube.cli.ok(
        "run",
        "-d",
        "--name",
        name,
        "-p",
        f"{port}:8080",
        "-e",
        "GREETING=hi there",
        "-v",
        f"data-{kube.tag}:/data",
        "--memory",
        "64m",
        "busybox",
        "sh",
        "-c",
        'mkdir -p /www && echo "$GREETING" > /www/index.html && exec httpd -f -p 8080 -h /www',
    )
    try:
        assert http_get(f"http://127.0.0.1:{port}/") == "hi there\n"
        out = tmp_path / "gen.yaml"
        kube.cli.ok("kube", "generate", "--service-type", "LoadBalancer", "-o", str(out), name)
        kube.files.append(out)
        text = out.read_text()
        assert "kind: Deployment" in text and "kind: Service" in text
        assert "kind: PersistentVolumeClaim" in text
    finally:
        kube.cli.run("rm", "-f", name)
        kube.cli.run("volume", "rm", f"data-{kube.tag}")
    kube.play(str(out))
    assert http_get(f"http://127.0.0.1:{port}/", timeout=20) == "hi there\n"
    kube.down(out)
    assert kube.leftovers() == {"containers": [], "volumes": [], "networks": []}


def test_replace_and_stdin(kube: Kube) -> None:
    text = TWO_CONTAINERS.replace("TAG", kube.tag)
    kube.files.append(kube.write(TWO_CONTAINERS))
    kube.cli.run(
        "kube", "play", "--network", kube.network, "-", input=text, check=True, timeout=120
    )
    again = kube.cli.run("kube", "play", "--network", kube.network, "-", input=text, timeout=120)
    assert again.returncode != 0  # the names are taken
    kube.cli.run(
        "kube",
        "play",
        "--network",
        kube.network,
        "--replace",
        "-",
        input=text,
        check=True,
        timeout=120,
    )
    assert f"duo-{kube.tag}" in kube.cli.ok("pod", "ls", "-q").split()
    kube.cli.run(
        "kube",
        "play",
        "--network",
        kube.network,
        "--down",
        "-",
        input=text,
        check=True,
        timeout=120,
    )
    assert kube.leftovers() == {"containers": [], "volumes": [], "networks": []}


def test_bad_input(kube: Kube) -> None:
    invalid = kube.write(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: bad-TAG}\n"
        "spec: {containers: [{name: c, image: busybox, cmd: [x]}]}\n",
        "invalid.yaml",
    )
    res = kube.play(str(invalid), check=False)
    assert res.returncode == 1
    assert "document 1 (Pod/bad-" in res.stderr
    assert (
        "spec.containers.0: Additional properties are not allowed ('cmd' was unexpected)"
        in res.stderr
    )
    assert kube.leftovers() == {"containers": [], "volumes": [], "networks": []}

    skipped = kube.write(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: gate}\n"
        "spec: {defaultBackend: {service: {name: x, port: {number: 80}}}}\n---\n" + TWO_CONTAINERS,
        "skipped.yaml",
    )
    res = kube.play(str(skipped))
    assert "WARNING:" in res.stderr and "kind Ingress is not supported; skipped" in res.stderr
    kube.down(skipped)

    halfway = kube.write(
        TWO_CONTAINERS.replace(
            "name: client\n    image: busybox", "name: client\n    image: no/such-image:1"
        ),
        "halfway.yaml",
    )
    res = kube.play(str(halfway), check=False)
    assert res.returncode != 0
    assert kube.leftovers() == {"containers": [], "volumes": [], "networks": []}


FEATURES = """
apiVersion: v1
kind: Secret
metadata: {name: creds-TAG}
stringData: {password: s3cret}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data-TAG}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: feat-TAG}
spec:
  volumes:
  - {name: shared, emptyDir: {}}
  - {name: data, persistentVolumeClaim: {claimName: data-TAG}}
  initContainers:
  - name: prepare
    image: busybox
    command: [sh, -c, "echo prepared > /shared/flag"]
    volumeMounts: [{name: shared, mountPath: /shared}]
  containers:
  - name: main
    image: busybox
    command: [sh, -c, "cat /shared/flag > /data/copy; exec sleep 3600"]
    env:
    - name: PASSWORD
      valueFrom: {secretKeyRef: {name: creds-TAG, key: password}}
    resources: {limits: {memory: 64Mi, cpu: 500m}}
    securityContext: {capabilities: {drop: [NET_RAW]}}
    livenessProbe: {exec: {command: [cat, /shared/flag]}, periodSeconds: 5}
    volumeMounts:
    - {name: shared, mountPath: /shared}
    - {name: data, mountPath: /data}
"""


def test_init_containers_volumes_secrets_resources_and_probes(kube: Kube) -> None:
    path = kube.write(FEATURES)
    kube.play(str(path))
    main = f"feat-{kube.tag}-main"
    copied = wait_until(lambda: kube.exec(main, "cat", "/data/copy"), timeout=20, what="copy")
    assert copied == "prepared\n"
    assert kube.exec(main, "sh", "-c", "echo $PASSWORD").strip() == "s3cret"
    assert kube.cli.fmt("{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}", main) == (
        f"{64 << 20} 500000000"
    )
    assert kube.cli.fmt("{{json .Config.Healthcheck.Test}}", main) == '["CMD","cat","/shared/flag"]'
    assert kube.cli.fmt("{{.State.ExitCode}}", f"feat-{kube.tag}-prepare") == "0"
    volumes = kube.cli.ok("volume", "ls", "-q").split()
    assert f"data-{kube.tag}" in volumes and f"feat-{kube.tag}-shared" in volumes
    # the pod generates back into a valid manifest with its containers
    generated = kube.cli.ok("kube", "generate", f"feat-{kube.tag}")
    assert "name: main" in generated and "livenessProbe" in generated
    kube.down(path)
    assert kube.leftovers() == {"containers": [], "volumes": [], "networks": []}


def test_pod_rm_and_logs(kube: Kube) -> None:
    path = kube.write(TWO_CONTAINERS)
    kube.play(str(path))
    pod = f"duo-{kube.tag}"
    res = kube.cli.run("pod", "rm", pod)
    assert res.returncode == 1 and "use --force" in res.stderr
    kube.cli.ok("pod", "rm", "-f", pod)
    assert pod not in kube.cli.ok("pod", "ls", "-q").split()
    res = kube.cli.run("pod", "inspect", pod)
    assert res.returncode == 1 and f"no such pod: {pod}" in res.stderr


CHATTY = """
apiVersion: v1
kind: Pod
metadata: {name: chatty-TAG}
spec:
  restartPolicy: Never
  containers:
  - name: out
    image: busybox
    command: [sh, -c, "sleep 2; for i in 1 2 3; do echo out $i; sleep 1; done"]
  - name: err
    image: busybox
    command: [sh, -c, "sleep 2; for i in 1 2; do echo err $i >&2; sleep 1; done"]
"""


def test_pod_logs_follow_every_container_until_they_end(kube: Kube) -> None:
    path = kube.write(CHATTY)
    kube.play(str(path))
    pod = f"chatty-{kube.tag}"
    # started before the containers print: -f must wait for their lines, then end with them
    res = kube.cli.run("pod", "logs", "-f", pod, timeout=60, check=True)
    assert res.stdout.splitlines() == ["out out 1", "out out 2", "out out 3"]
    assert res.stderr.splitlines() == ["err err 1", "err err 2"]
    tail = kube.cli.run("pod", "logs", "--tail", "1", "-t", pod, check=True)
    stamp, _, line = tail.stdout.strip().partition(" ")[2].partition(" ")
    assert line == "out 3" and stamp[:2] == "20", tail.stdout
    recent = kube.cli.run("pod", "logs", "--since", "1h", "-c", "err", pod, check=True)
    assert (recent.stdout, recent.stderr) == ("", "err err 1\nerr err 2\n")
    late = kube.cli.run("pod", "logs", "--since", "2999-01-01T00:00:00Z", pod, check=True)
    assert (late.stdout, late.stderr) == ("", "")
    kube.down(path)
    assert kube.leftovers() == {"containers": [], "volumes": [], "networks": []}


COMPOSE = """
name: shop-TAG
services:
  web-TAG:
    image: busybox
    command: httpd -f -p 8080 -h /www
    ports: ["PORT:8080"]
    depends_on: [api-TAG]
    configs:
      - source: page
        target: /www/index.html
  api-TAG:
    image: busybox
    command: ["sh", "-c", "echo api up; exec sleep 3600"]
    volumes: [data-TAG:/data]
configs:
  page:
    content: "hello from compose\\n"
volumes:
  data-TAG: {}
"""


def test_a_compose_project_generated_played_answering_and_removed(kube: Kube) -> None:
    pytest.importorskip("dockyard.compose.loader")
    port = free_port()
    compose = kube.write(COMPOSE.replace("PORT", str(port)), "compose.yaml")
    res = kube.cli.run(
        "kube",
        "generate",
        "-f",
        str(compose),
        "--service-type",
        "LoadBalancer",
        timeout=60,
        check=True,
    )
    assert "depends_on has no Kubernetes form" in res.stderr
    app = kube.write(res.stdout, "app.yaml")
    kube.play(str(app))
    assert http_get(f"http://127.0.0.1:{port}/index.html", timeout=20) == "hello from compose\n"
    assert f"data-{kube.tag}" in kube.cli.ok("volume", "ls", "-q").split()
    assert {f"web-{kube.tag}-1", f"api-{kube.tag}-1"} <= set(kube.cli.ok("pod", "ls", "-q").split())
    kube.down(app)
    assert kube.leftovers() == {"containers": [], "volumes": [], "networks": []}


REGISTRY_COMPOSE = """
name: reg-TAG
services:
  web:
    build: .
    ports: ["PORT:8080"]
  side:
    image: busybox
    command: ["sleep", "3600"]
"""


def test_generate_pushes_to_a_private_registry_and_play_pulls_with_the_secret(
    kube: Kube, tmp_path: Path
) -> None:
    """--registry and --pull-secret against a real docker-registry with htpasswd: the images
    are pushed there, the manifest names them, and its dockerconfigjson Secret is what
    `kube play` pulls them back with once they are gone locally."""
    import base64
    import os
    import shutil
    import urllib.error
    import urllib.request

    from testing.registry_server import REGISTRY_BIN, RegistryServer

    if not os.path.exists(REGISTRY_BIN) or not shutil.which("htpasswd"):
        pytest.skip("needs docker-registry and htpasswd")
    reg = RegistryServer(tmp_path / "reg", {"alice": "s3cret"}).start()
    project, port = f"reg-{kube.tag}", free_port()
    built, pushed = f"{project}-web", [f"{reg.host}/{project}-web:latest", f"{reg.host}/busybox"]
    env = {**kube.cli.daemon.env, "DOCKER_CONFIG": str(tmp_path / "docker-config")}

    def cli(*args: str, input: str | None = None) -> str:
        res = subprocess.run(
            [str(VENV_BIN / "dockyard"), *args],
            env=env,
            input=input,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert res.returncode == 0, f"{args}: {res.stdout}\n{res.stderr}"
        return res.stdout

    def tags(repo: str, auth: bool = True) -> list[str]:
        req = urllib.request.Request(f"http://{reg.host}/v2/{repo}/tags/list")
        if auth:
            req.add_header("Authorization", "Basic " + base64.b64encode(b"alice:s3cret").decode())
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.load(r)["tags"]

    try:
        (tmp_path / "Dockerfile").write_text(
            "FROM busybox\nRUN mkdir /www && echo from the registry > /www/index.html\n"
            'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n'
        )
        compose = kube.write(REGISTRY_COMPOSE.replace("PORT", str(port)), "compose.yaml")
        cli("build", "-q", "-t", built, str(tmp_path))
        cli("login", "-u", "alice", "--password-stdin", reg.host, input="s3cret")
        text = cli(
            "kube",
            "generate",
            "-f",
            str(compose),
            "--service-type",
            "LoadBalancer",
            "--registry",
            reg.host,
            "--pull-secret",
        )
        docs = {f"{d['kind']}/{d['metadata']['name']}": d for d in yaml.safe_load_all(text)}
        secret_name = f"127-0-0-1-{reg.port}-credentials"
        secret = docs[f"Secret/{secret_name}"]
        assert secret["type"] == "kubernetes.io/dockerconfigjson"
        config = json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))
        assert config == {"auths": {reg.host: {"auth": base64.b64encode(b"alice:s3cret").decode()}}}
        for name, image in (("web", pushed[0]), ("side", f"{pushed[1]}:latest")):
            pod = docs[f"Deployment/{name}"]["spec"]["template"]["spec"]
            assert pod["imagePullSecrets"] == [{"name": secret_name}]
            assert pod["containers"][0]["image"] == image
        # the registry holds both, behind its password
        assert tags(f"{project}-web") == ["latest"] and tags("busybox") == ["latest"]
        with pytest.raises(urllib.error.HTTPError) as refused:
            tags("busybox", auth=False)
        assert refused.value.code == 401
        # gone here: play must pull them, and only the Secret in the file has the password
        cli("rmi", pushed[0], f"{pushed[1]}:latest", built)
        app = kube.write(text, "app.yaml")
        kube.play(str(app))
        assert http_get(f"http://127.0.0.1:{port}/", timeout=30) == "from the registry\n"
        listed = kube.cli.ok("images", "--format", "{{.Repository}}:{{.Tag}}").split()
        assert pushed[0] in listed and f"{pushed[1]}:latest" in listed
        kube.down(app)
        assert kube.leftovers() == {"containers": [], "volumes": [], "networks": []}
    finally:
        kube.cleanup()
        kube.cli.run("rmi", "-f", built, pushed[0], f"{pushed[1]}:latest")
        reg.stop()


def test_the_tutorial_project_generated_validated_played_and_removed(
    kube: Kube, tmp_path: Path
) -> None:
    from dockyard.kube import validate

    root = tmp_path / "temp"
    api_port, web_port = free_port(), free_port()
    # the tutorial's project (test_compose's too), its services named -TAG
    compose = tutorial_project.write(root, api_port, web_port, suffix=f"-{kube.tag}")
    image = f"temp-api-server-{kube.tag}"
    try:
        kube.cli.ok("compose", "-f", str(compose), "build", timeout=180)
        res = kube.cli.run(
            "kube",
            "generate",
            "-f",
            str(compose),
            "--service-type",
            "LoadBalancer",
            timeout=60,
            check=True,
        )
        assert f"built locally as {image}" in res.stderr
        assert "hostPath" in res.stderr  # the bind mount: this host's directory
        assert f"depends_on: redis-master-{kube.tag}" in res.stdout  # the link, as a comment
        docs = [d for d in yaml.safe_load_all(res.stdout) if d]
        validate.check(docs, "generated")
        assert sorted(f"{d['kind']}/{d['metadata']['name']}" for d in docs) == sorted(
            f"{kind}/{name}-{kube.tag}"
            for name in ("api-server", "web-server", "redis-master")
            for kind in ("Deployment", "Service")
        )
        app = kube.write(res.stdout, "app.yaml")
        kube.play(str(app))
        web = http_get(f"http://127.0.0.1:{web_port}/index.html", timeout=30)
        assert web == "<h2>products</h2>\n"
        assert "Ice Cream" in http_get(f"http://127.0.0.1:{api_port}/api/products", timeout=30)
        # the link: the API reaches redis-master by its Service's name
        api = f"api-server-{kube.tag}-1-api-server-{kube.tag}"
        pong = kube.exec(api, "sh", "-c", f"echo PING | nc -w 2 redis-master-{kube.tag} 6379")
        assert pong.strip() == "+PONG"
        kube.down(app)
        assert kube.leftovers() == {"containers": [], "volumes": [], "networks": []}
    finally:
        kube.cli.run("rmi", "-f", image)
