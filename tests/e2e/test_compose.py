"""Compose end to end: the tutorial's three-service project (an API built from a Dockerfile,
a "redis" and a "web" server, wired by links, ports, expose and a bind volume) through
`dockyard compose`, through the real `docker compose` (our plugin under the docker CLI) and
Debian's docker-compose 1.29, and across clients (one starts, another lists and removes).

Until the nginx/redis/python images land, the services are busybox-based stand-ins with
the tutorial's wiring (httpd serving ./html, nc as the "redis", a built API image).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from testing import tutorial_project
from testing.flowkit import VENV_BIN, free_port, http_get_until, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(os.geteuid() != 0, reason="needs root")]

COMPOSE_1 = shutil.which("docker-compose", path="/usr/bin:/bin")


class Compose:
    """One compose client pointed at the test daemon, run in a project directory."""

    def __init__(self, tool: str, daemon: Any, plugin_config: Path) -> None:
        self.tool = tool
        self.cache = plugin_config / "cache"  # compose's validation cache stays in tmp
        self.daemon = daemon
        self.plugin_config = plugin_config

    def __repr__(self) -> str:
        return f"Compose({self.tool})"

    def argv(self) -> list[str]:
        if self.tool == "dockyard":
            return [str(VENV_BIN / "dockyard"), "compose"]
        if self.tool == "docker":
            return ["docker", "compose"]
        assert COMPOSE_1 is not None
        return [COMPOSE_1]

    def run(self, cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = dict(self.daemon.env)
        env["DOCKER_CONFIG"] = str(self.plugin_config)
        env["XDG_CACHE_HOME"] = str(self.cache)
        env.pop("COMPOSE_PROJECT_NAME", None)
        return subprocess.run(
            [*self.argv(), *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def ok(self, cwd: Path, *args: str, timeout: float = 120) -> str:
        out = self.run(cwd, *args, timeout=timeout)
        assert out.returncode == 0, f"{self} {args}: {out.returncode}\n{out.stdout}\n{out.stderr}"
        return out.stdout


def _available(tool: str) -> bool:
    if tool == "docker":
        return shutil.which("docker") is not None
    if tool == "docker-compose-1":
        return COMPOSE_1 is not None
    return True


@pytest.fixture(scope="module")
def plugin_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DOCKER_CONFIG whose cli-plugins/docker-compose is ours (as scripts/setup installs)."""
    config = Path(tmp_path_factory.mktemp("dockercfg"))
    (config / "cli-plugins").mkdir()
    (config / "cli-plugins" / "docker-compose").symlink_to(VENV_BIN / "dockyard-compose")
    return config


def _client(tool: str, daemon: Any, plugin_config: Path) -> Compose:
    if not _available(tool):
        pytest.skip(f"{tool} is not installed")
    return Compose(tool, daemon, plugin_config)


@pytest.fixture(params=["dockyard", "docker", "docker-compose-1"])
def compose(request: pytest.FixtureRequest, daemon: Any, plugin_config: Path) -> Compose:
    return _client(request.param, daemon, plugin_config)


@pytest.fixture
def project(tmp_path: Path, daemon: Any) -> Any:
    """The tutorial's project directory (`temp`, as in the tutorial), removed afterwards
    with everything its project left on the daemon."""
    root = tmp_path / "temp"
    ports = {"api_port": free_port(), "web_port": free_port()}
    tutorial_project.write(root, **ports)
    yield root, ports
    _wipe(daemon, "temp")


def _wipe(daemon: Any, name: str) -> None:
    client = daemon.client()
    label = {"label": [f"com.docker.compose.project={name}"]}
    for c in client.get("/containers/json", {"all": True, "filters": label}):
        client.request("DELETE", f"/containers/{c['Id']}", {"force": True, "v": True}).read()
    for n in client.get("/networks", {"filters": label}):
        client.request("DELETE", f"/networks/{n['Id']}").read()
    for v in client.get("/volumes", {"filters": label}).get("Volumes") or []:
        client.request("DELETE", f"/volumes/{v['Name']}").read()


def _project_containers(daemon: Any, name: str, all: bool = True) -> list[dict[str, Any]]:
    label = {"label": [f"com.docker.compose.project={name}"]}
    return daemon.client().get("/containers/json", {"all": all, "filters": label})


def _assert_gone(daemon: Any, name: str) -> None:
    assert _project_containers(daemon, name) == []
    client = daemon.client()
    nets = client.get("/networks", {"filters": {"label": [f"com.docker.compose.project={name}"]}})
    assert nets == []
    assert all(n["Name"] != f"{name}_default" for n in client.get("/networks"))


def _assert_tutorial_running(daemon: Any, ports: dict[str, int], separator: str) -> None:
    running = _project_containers(daemon, "temp", all=False)
    names = sorted(c["Names"][0].lstrip("/") for c in running)
    assert names == [
        f"temp{separator}{s}{separator}1" for s in ("api-server", "redis-master", "web-server")
    ]
    for c in running:
        labels = c["Labels"]
        assert labels["com.docker.compose.project"] == "temp"
        assert labels["com.docker.compose.container-number"] == "1"
        assert labels["com.docker.compose.oneoff"] == "False"
        assert labels["com.docker.compose.service"] in names[0] + names[1] + names[2]
    http_get_until(f"http://127.0.0.1:{ports['web_port']}/index.html", "products")
    http_get_until(f"http://127.0.0.1:{ports['api_port']}/api/products", "Ice Cream")
    net = daemon.client().get("/networks/temp_default")
    assert net["Labels"]["com.docker.compose.network"] == "default"
    assert net["Labels"]["com.docker.compose.project"] == "temp"


def test_tutorial_project_up_ps_down(compose: Compose, project: Any, daemon: Any) -> None:
    root, ports = project
    compose.ok(root, "up", "-d")
    separator = "_" if compose.tool == "docker-compose-1" else "-"
    _assert_tutorial_running(daemon, ports, separator)
    api = f"temp{separator}api-server{separator}1"
    # the link: the API container reaches redis-master by its service name
    out = daemon.cli("exec", api, "sh", "-c", "echo PING | nc -w 2 redis-master 6379")
    assert "+PONG" in out.stdout, out.stderr
    ps = compose.ok(root, "ps")
    assert all(s in ps for s in ("api-server", "redis-master", "web-server"))
    compose.ok(root, "down")
    _assert_gone(daemon, "temp")


@pytest.mark.parametrize(
    ("starter", "finisher"),
    [("dockyard", "docker-compose-1"), ("docker-compose-1", "dockyard"), ("dockyard", "docker")],
)
def test_cross_client(
    starter: str, finisher: str, project: Any, daemon: Any, plugin_config: Path
) -> None:
    """A project started by one Compose is listed, stopped and removed by another."""
    root, ports = project
    first = _client(starter, daemon, plugin_config)
    second = _client(finisher, daemon, plugin_config)
    first.ok(root, "up", "-d")
    ps = second.ok(root, "ps")
    for service in ("api-server", "redis-master", "web-server"):
        assert service in ps
    second.ok(root, "stop")
    assert _project_containers(daemon, "temp", all=False) == []
    second.ok(root, "down")
    _assert_gone(daemon, "temp")


def test_up_converges_by_config_hash(project: Any, daemon: Any, plugin_config: Path) -> None:
    root, ports = project
    ours = _client("dockyard", daemon, plugin_config)
    ours.ok(root, "up", "-d")
    ids = {c["Id"] for c in _project_containers(daemon, "temp")}
    again = ours.run(root, "up", "-d")
    assert again.returncode == 0 and "Recreate" not in again.stderr
    assert {c["Id"] for c in _project_containers(daemon, "temp")} == ids
    text = (root / "docker-compose.yml").read_text()
    (root / "docker-compose.yml").write_text(text.replace("while true", "while :"))
    changed = ours.run(root, "up", "-d")
    assert changed.returncode == 0
    after = {c["Names"][0]: c["Id"] for c in _project_containers(daemon, "temp")}
    assert after["/temp-redis-master-1"] not in ids
    assert after["/temp-web-server-1"] in ids
    # scale adds replicas, and takes them away again
    ours.ok(root, "up", "-d", "--scale", "redis-master=3")
    names = {c["Names"][0].lstrip("/") for c in _project_containers(daemon, "temp")}
    assert {"temp-redis-master-2", "temp-redis-master-3"} <= names
    ours.ok(root, "up", "-d", "--scale", "redis-master=1")
    names = {c["Names"][0].lstrip("/") for c in _project_containers(daemon, "temp")}
    assert "temp-redis-master-2" not in names
    # a service removed from the file is an orphan: reported, then removed on request
    (root / "docker-compose.yml").write_text(
        text.split("  redis-master:")[0].replace("    links:\n      - redis-master\n", "")
    )
    warned = ours.run(root, "up", "-d")
    assert "orphan containers" in warned.stderr and "temp-redis-master-1" in warned.stderr
    ours.ok(root, "up", "-d", "--remove-orphans")
    names = {c["Names"][0].lstrip("/") for c in _project_containers(daemon, "temp")}
    assert "temp-redis-master-1" not in names
    ours.ok(root, "down")
    _assert_gone(daemon, "temp")


def test_ps_json_run_exec_logs(project: Any, daemon: Any, plugin_config: Path) -> None:
    root, _ = project
    ours = _client("dockyard", daemon, plugin_config)
    ours.ok(root, "up", "-d", "redis-master")
    rows = json.loads(ours.ok(root, "ps", "--format", "json"))
    assert [r["Service"] for r in rows] == ["redis-master"] and rows[0]["State"] == "running"
    assert ours.ok(root, "exec", "-T", "redis-master", "echo", "hi").strip() == "hi"
    out = ours.run(root, "run", "--rm", "-T", "redis-master", "sh", "-c", "echo one-off; exit 3")
    assert out.returncode == 3 and "one-off" in out.stdout
    assert len(_project_containers(daemon, "temp")) == 1  # --rm took the run container away
    ours.ok(root, "exec", "-T", "redis-master", "sh", "-c", "echo to-the-log > /proc/1/fd/1")
    logs = ours.ok(root, "logs", "--no-color")
    assert "redis-master-1  | to-the-log" in logs
    ours.ok(root, "down")
    _assert_gone(daemon, "temp")


def test_depends_on_completed_and_foreground_exit_code(
    tmp_path: Path, daemon: Any, plugin_config: Path
) -> None:
    root = tmp_path / "order"
    root.mkdir()
    (root / "compose.yaml").write_text(
        "services:\n"
        "  init:\n    image: busybox\n    command: sh -c 'sleep 1; touch /shared/ready'\n"
        "    volumes: [shared:/shared]\n"
        "  app:\n    image: busybox\n    command: sh -c 'test -f /shared/ready && echo ready; exit 7'\n"
        "    volumes: [shared:/shared]\n"
        "    depends_on:\n      init:\n        condition: service_completed_successfully\n"
        "volumes:\n  shared: {}\n"
    )
    ours = _client("dockyard", daemon, plugin_config)
    try:
        out = ours.run(
            root, "up", "--abort-on-container-exit", "--exit-code-from", "app", "--no-color"
        )
        assert out.returncode == 7, out.stderr
        assert "app-1   | ready" in out.stdout
    finally:
        ours.run(root, "down", "-v")
    _assert_gone(daemon, "order")
    assert all(
        v["Name"] != "order_shared" for v in daemon.client().get("/volumes")["Volumes"] or []
    )


def test_failed_up_names_the_service_and_leaves_nothing_half_made(
    tmp_path: Path, daemon: Any, plugin_config: Path
) -> None:
    port = free_port()
    root = tmp_path / "broken"
    root.mkdir()
    (root / "compose.yaml").write_text(
        "services:\n"
        f"  first:\n    image: busybox\n    command: sleep 60\n    ports: ['{port}:80']\n"
        f"  second:\n    image: busybox\n    command: sleep 60\n    ports: ['{port}:81']\n"
        "    volumes: [/anon]\n"
    )
    ours = _client("dockyard", daemon, plugin_config)
    volumes_before = {v["Name"] for v in daemon.client().get("/volumes")["Volumes"] or []}
    # both publish one host port: refused before anything is created
    out = ours.run(root, "up", "-d")
    assert out.returncode != 0 and "port is already allocated" in out.stderr
    _assert_gone(daemon, "broken")
    # the port taken by someone else: the failing service is named, its container and
    # anonymous volume are removed, and the network goes with the last container
    (root / "compose.yaml").write_text(
        "services:\n"
        f"  second:\n    image: busybox\n    command: sleep 60\n    ports: ['{port}:81']\n"
        "    volumes: [/anon]\n"
    )
    blocker = daemon.cli("run", "-d", "-p", f"{port}:80", "busybox", "sleep", "60")
    assert blocker.returncode == 0, blocker.stderr
    try:
        out = ours.run(root, "up", "-d")
        assert out.returncode != 0 and '"second"' in out.stderr, out.stderr
        _assert_gone(daemon, "broken")
        volumes_after = {v["Name"] for v in daemon.client().get("/volumes")["Volumes"] or []}
        assert volumes_after == volumes_before
    finally:
        daemon.cli("rm", "-f", blocker.stdout.strip())


def _health_supported(daemon: Any) -> bool:
    out = daemon.cli(
        "run", "-d", "--health-cmd", "true", "--health-interval", "1s", "busybox", "sleep", "30"
    )
    if out.returncode != 0:
        return False
    cid = out.stdout.strip()
    try:
        deadline = time.time() + 5
        while time.time() < deadline:
            state = daemon.client().get(f"/containers/{cid}/json")["State"]
            if (state.get("Health") or {}).get("Status") == "healthy":
                return True
            time.sleep(0.2)
        return False
    finally:
        daemon.cli("rm", "-f", cid)


def test_depends_on_service_healthy(tmp_path: Path, daemon: Any, plugin_config: Path) -> None:
    if not _health_supported(daemon):
        pytest.skip("the engine runs no health checks yet (State.Health); issue pending")
    root = tmp_path / "health"
    root.mkdir()
    (root / "compose.yaml").write_text(
        "services:\n"
        "  db:\n    image: busybox\n    command: sh -c 'sleep 2; touch /ok; sleep 60'\n"
        "    healthcheck:\n      test: test -f /ok\n      interval: 1s\n      retries: 10\n"
        "  app:\n    image: busybox\n    command: sleep 60\n"
        "    depends_on:\n      db:\n        condition: service_healthy\n"
    )
    ours = _client("dockyard", daemon, plugin_config)
    try:
        ours.ok(root, "up", "-d", "--wait")
        state = daemon.client().get("/containers/health-db-1/json")["State"]
        assert state["Health"]["Status"] == "healthy"
        wait_until(lambda: daemon.client().get("/containers/health-app-1/json")["State"]["Running"])
    finally:
        ours.run(root, "down")
    _assert_gone(daemon, "health")


TUTORIAL_IMAGES = ("nginx", "redis", "python")
APP_PY = """\
import json
import socket
from http.server import BaseHTTPRequestHandler, HTTPServer


class Products(BaseHTTPRequestHandler):
    def do_GET(self):
        with socket.create_connection(("redis-master", 6379), timeout=5) as redis:
            redis.sendall(b"PING\\r\\n")
            pong = redis.recv(64).decode().strip()
        body = json.dumps({"products": ["Ice Cream", "Chocolate"], "redis": pong}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)


HTTPServer(("0.0.0.0", 8000), Products).serve_forever()
"""


def test_tutorial_project_with_the_standard_images(
    tmp_path: Path, daemon: Any, plugin_config: Path
) -> None:
    """The tutorial's docker-compose.yml as written (nginx, redis, an API built FROM python),
    once the standard images exist (scripts/make-images on the images branch)."""
    from daemon_harness import IMAGES_OUT

    missing = [n for n in TUTORIAL_IMAGES if not (IMAGES_OUT / f"{n}.tar").exists()]
    if missing:
        pytest.skip(f"standard images not made yet: {', '.join(missing)} (scripts/make-images)")
    for name in TUTORIAL_IMAGES:
        daemon.load_image(name)
    root = tmp_path / "temp"
    (root / "html").mkdir(parents=True)
    (root / "html" / "index.html").write_text("<h2>产品列表</h2>\n")
    (root / "myapp" / "api").mkdir(parents=True)
    (root / "myapp" / "api" / "app.py").write_text(APP_PY)
    (root / "myapp" / "Dockerfile").write_text(
        'FROM python\nWORKDIR /api\nCOPY api/ /api/\nCMD ["python", "app.py"]\n'
    )
    ports = {"api_port": free_port(), "web_port": free_port()}
    text = (
        "version: '3'\nservices:\n  api-server:\n    build: ./myapp\n    ports:\n"
        f"      - '{ports['api_port']}:8000'\n    links:\n      - redis-master\n"
        "  web-server:\n    image: nginx\n    ports:\n"
        f"      - '{ports['web_port']}:80'\n    volumes:\n      - ./html:/usr/share/nginx/html\n"
        "  redis-master:\n    image: redis\n    expose:\n      - '6379'\n"
    )
    (root / "docker-compose.yml").write_text(text)
    ours = _client("dockyard", daemon, plugin_config)
    try:
        # --build: the busybox stand-in tests above left an older temp-api-server image
        ours.ok(root, "up", "-d", "--build", timeout=600)
        http_get_until(f"http://127.0.0.1:{ports['web_port']}/", "产品列表")
        http_get_until(f"http://127.0.0.1:{ports['api_port']}/api/products", "PONG")
        ours.ok(root, "down")
    finally:
        _wipe(daemon, "temp")
    _assert_gone(daemon, "temp")
