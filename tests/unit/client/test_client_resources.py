"""The typed client sends each Engine API call with the method, URL, body and headers the
docker CLI sends: every resource method against a transport that records the wire request."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from dockyard import API_VERSION
from dockyard.client.api import APIError, Client
from dockyard.client.engine import Engine
from dockyard.client.volumes import create_body

V = f"/v{API_VERSION}"


class FakeResponse:
    def __init__(self, payload: Any = None, headers: dict[str, str] | None = None) -> None:
        self.payload = payload
        self.headers = headers or {}

    def read(self) -> bytes:
        return b""

    def json(self) -> Any:
        return self.payload

    def iter_json(self) -> Any:
        yield from self.payload or []

    def iter_chunks(self) -> Any:
        yield from self.payload or []


class Recorder(Client):
    """The real Client's request building, with the wire replaced by a log."""

    def __init__(self, answer: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__("unix:///nonexistent")
        self.sent: list[tuple[str, str, Any, dict[str, str] | None]] = []
        self.answer = answer
        self.answer_headers = headers
        self.status = 200

    def _request(self, method, path, params, body, headers, timeout):  # type: ignore[override]
        self.sent.append((method, self.url(path, params), body, headers))
        if self.status >= 400:
            raise APIError(self.status, "not found")
        return FakeResponse(self.answer, self.answer_headers)

    def hijack(self, path, params=None, body=None):  # type: ignore[override]
        self.sent.append(("HIJACK", self.url(path, params), body, None))
        return "socket"

    def send_only(self, method, path, params=None):  # type: ignore[override]
        self.sent.append((method, self.url(path, params), None, None))
        return "pending"


def _one(call, answer: Any = None) -> tuple[Any, tuple[str, str, Any, Any]]:
    rec = Recorder(answer)
    result = call(Engine(rec))
    assert len(rec.sent) == 1
    return result, rec.sent[0]


CASES = [
    # containers
    (lambda e: e.containers.list(), "GET", "/containers/json", None),
    (
        lambda e: e.containers.list(all=True, limit=3, size=True, filters={"name": {"w": True}}),
        "GET",
        "/containers/json?all=1&limit=3&size=1&filters=%7B%22name%22%3A+%7B%22w%22%3A+true%7D%7D",
        None,
    ),
    (lambda e: e.containers.inspect("web"), "GET", "/containers/web/json", None),
    (
        lambda e: e.containers.inspect("a b", size=True),
        "GET",
        "/containers/a%20b/json?size=1",
        None,
    ),
    (lambda e: e.containers.top("web", "aux"), "GET", "/containers/web/top?ps_args=aux", None),
    (lambda e: e.containers.changes("web"), "GET", "/containers/web/changes", None),
    (lambda e: e.containers.stats("web"), "GET", "/containers/web/stats?stream=0", None),
    (lambda e: list(e.containers.stats_stream("w")), "GET", "/containers/w/stats?stream=1", None),
    (
        lambda e: e.containers.create({"Image": "busybox"}, name="web"),
        "POST",
        "/containers/create?name=web",
        {"Image": "busybox"},
    ),
    (lambda e: e.containers.start("web"), "POST", "/containers/web/start", None),
    (
        lambda e: e.containers.stop("web", "SIGINT", 3),
        "POST",
        "/containers/web/stop?signal=SIGINT&t=3",
        None,
    ),
    (lambda e: e.containers.restart("web", timeout=0), "POST", "/containers/web/restart?t=0", None),
    (lambda e: e.containers.kill("web"), "POST", "/containers/web/kill", None),
    (lambda e: e.containers.kill("web", "HUP"), "POST", "/containers/web/kill?signal=HUP", None),
    (lambda e: e.containers.pause("web"), "POST", "/containers/web/pause", None),
    (lambda e: e.containers.unpause("web"), "POST", "/containers/web/unpause", None),
    (
        lambda e: e.containers.remove("a/b", force=True, link=True),
        "DELETE",
        "/containers/a/b?force=1&v=0&link=1",
        None,
    ),
    (lambda e: e.containers.rename("web", "new"), "POST", "/containers/web/rename?name=new", None),
    (
        lambda e: e.containers.update("web", {"Memory": 1}),
        "POST",
        "/containers/web/update",
        {"Memory": 1},
    ),
    (lambda e: e.containers.wait("web"), "POST", "/containers/web/wait", None),
    (
        lambda e: e.containers.wait("web", "removed"),
        "POST",
        "/containers/web/wait?condition=removed",
        None,
    ),
    (
        lambda e: e.containers.wait_pending("web", "next-exit"),
        "POST",
        "/containers/web/wait?condition=next-exit",
        None,
    ),
    (lambda e: e.containers.prune(), "POST", "/containers/prune", None),
    (
        lambda e: list(e.containers.logs("web", follow=True, tail="5")),
        "GET",
        "/containers/web/logs?stdout=1&stderr=1&follow=1&tail=5",
        None,
    ),
    (
        lambda e: e.containers.attach("web", stdin=True, detach_keys="ctrl-x"),
        "HIJACK",
        "/containers/web/attach?stream=1&stdin=1&stdout=1&stderr=1&detachKeys=ctrl-x",
        None,
    ),
    (
        lambda e: e.containers.resize("web", 24, 80),
        "POST",
        "/containers/web/resize?h=24&w=80",
        None,
    ),
    (lambda e: list(e.containers.export("web")), "GET", "/containers/web/export", None),
    (
        lambda e: e.containers.put_archive("web", "/tmp", b"tar", copy_uid_gid=True),
        "PUT",
        "/containers/web/archive?path=%2Ftmp&noOverwriteDirNonDir=1&copyUIDGID=1",
        b"tar",
    ),
    (
        lambda e: e.containers.commit("web", "app", "v1", changes=["CMD ls", "USER x"]),
        "POST",
        "/commit?container=web&repo=app&tag=v1&comment=&author=&pause=1"
        "&changes=CMD+ls&changes=USER+x",
        {},
    ),
    # exec
    (
        lambda e: e.exec.start_detached("abc", tty=True),
        "POST",
        "/exec/abc/start",
        {"Detach": True, "Tty": True},
    ),
    (
        lambda e: e.exec.start("abc", console_size=[24, 80]),
        "HIJACK",
        "/exec/abc/start",
        {"Detach": False, "Tty": False, "ConsoleSize": [24, 80]},
    ),
    (lambda e: e.exec.resize("abc", 1, 2), "POST", "/exec/abc/resize?h=1&w=2", None),
    (lambda e: e.exec.inspect("abc"), "GET", "/exec/abc/json", None),
    # images
    (lambda e: e.images.list(all=True), "GET", "/images/json?all=1", None),
    (lambda e: e.images.inspect("a/b:1"), "GET", "/images/a%2Fb%3A1/json", None),
    (lambda e: e.images.history("busybox"), "GET", "/images/busybox/history", None),
    (
        lambda e: e.images.tag("busybox", "me/bb", "v1"),
        "POST",
        "/images/busybox/tag?repo=me%2Fbb&tag=v1",
        None,
    ),
    (lambda e: e.images.remove("busybox", force=True), "DELETE", "/images/busybox?force=1", None),
    (
        lambda e: e.images.prune({"dangling": {"true": True}}),
        "POST",
        "/images/prune?filters=%7B%22dangling%22%3A+%7B%22true%22%3A+true%7D%7D",
        None,
    ),
    (lambda e: list(e.images.save(["a", "b"])), "GET", "/images/get?names=a&names=b", None),
    (
        lambda e: list(e.images.import_("-", b"t", repo="app", tag="", changes=["CMD x"])),
        "POST",
        "/images/create?fromSrc=-&repo=app&tag=&changes=CMD+x",
        b"t",
    ),
    (lambda e: e.images.search("bb", limit=2), "GET", "/images/search?term=bb&limit=2", None),
    (
        lambda e: e.images.distribution("localhost:5000/app:v1"),
        "GET",
        "/distribution/localhost:5000/app:v1/json",
        None,
    ),
    (lambda e: e.build.prune(all=True), "POST", "/build/prune?all=1", None),
    # networks
    (lambda e: e.networks.list(), "GET", "/networks", None),
    (lambda e: e.networks.inspect("n1"), "GET", "/networks/n1", None),
    (lambda e: e.networks.create({"Name": "n1"}), "POST", "/networks/create", {"Name": "n1"}),
    (lambda e: e.networks.remove("n1"), "DELETE", "/networks/n1", None),
    (
        lambda e: e.networks.disconnect("n1", "web", force=True),
        "POST",
        "/networks/n1/disconnect",
        {"Container": "web", "Force": True},
    ),
    (lambda e: e.networks.prune(), "POST", "/networks/prune", None),
    # volumes
    (lambda e: e.volumes.list(), "GET", "/volumes", None),
    (lambda e: e.volumes.inspect("v1"), "GET", "/volumes/v1", None),
    (
        lambda e: e.volumes.create("v1"),
        "POST",
        "/volumes/create",
        {"Driver": "local", "Name": "v1"},
    ),
    (lambda e: e.volumes.remove("v1", force=True), "DELETE", "/volumes/v1?force=1", None),
    (lambda e: e.volumes.prune({}), "POST", "/volumes/prune", None),
    # system
    (lambda e: e.system.version(), "GET", "/version", None),
    (lambda e: e.system.info(), "GET", "/info", None),
    (lambda e: e.system.df(), "GET", "/system/df", None),
    (
        lambda e: list(e.system.events(since="1", filters={"type": ["container"]})),
        "GET",
        "/events?since=1&filters=%7B%22type%22%3A+%5B%22container%22%5D%7D",
        None,
    ),
    (
        lambda e: e.system.auth("u", "p", "localhost:5000"),
        "POST",
        "/auth",
        {"username": "u", "password": "p", "serveraddress": "localhost:5000"},
    ),
]


@pytest.mark.parametrize("call,method,path,body", CASES)
def test_each_call_goes_out_as_docker_sends_it(call, method, path, body) -> None:
    _, sent = _one(call)
    assert sent[:3] == (method, V + path, body)


def test_exec_create_body_and_id() -> None:
    exec_id, sent = _one(
        lambda e: e.exec.create("web", ["sh"], tty=True, attach_stdin=True, env=["A=1"]),
        answer={"Id": "e1"},
    )
    assert exec_id == "e1"
    assert sent[1] == V + "/containers/web/exec"
    assert sent[2] == {
        "User": "",
        "Privileged": False,
        "Tty": True,
        "AttachStdin": True,
        "AttachStderr": True,
        "AttachStdout": True,
        "Detach": False,
        "DetachKeys": "",
        "Env": ["A=1"],
        "WorkingDir": "",
        "Cmd": ["sh"],
    }


def test_pull_and_push_carry_the_registry_auth_and_stream_messages() -> None:
    messages = [{"status": "Pulling"}, {"status": "Done"}]
    out, sent = _one(
        lambda e: list(e.images.pull("docker.io/library/busybox", "latest", registry_auth="e30=")),
        answer=messages,
    )
    assert out == messages
    assert sent[1] == V + "/images/create?fromImage=docker.io%2Flibrary%2Fbusybox&tag=latest"
    assert sent[3] == {"X-Registry-Auth": "e30="}
    _, sent = _one(lambda e: list(e.images.push("localhost:5000/app", "v1", registry_auth="x")))
    assert sent[1] == V + "/images/localhost:5000/app/push?tag=v1"
    assert sent[3] == {"X-Registry-Auth": "x"}


def test_pull_without_tag_pulls_every_tag() -> None:
    _, sent = _one(lambda e: list(e.images.pull("docker.io/library/busybox")))
    assert sent[1] == V + "/images/create?fromImage=docker.io%2Flibrary%2Fbusybox"


def test_streaming_calls_send_before_iteration() -> None:
    rec = Recorder([{"status": "x"}])
    stream = Engine(rec).images.pull("busybox", "latest")
    assert len(rec.sent) == 1  # the request went out; errors would have raised here
    assert list(stream) == [{"status": "x"}]


def test_load_sends_a_tar_body() -> None:
    _, sent = _one(lambda e: list(e.images.load(b"tar", quiet=True)))
    assert sent[1:] == (V + "/images/load?quiet=1", b"tar", {"Content-Type": "application/x-tar"})


def test_build_query_in_docker_order() -> None:
    _, sent = _one(
        lambda e: list(
            e.build.build(
                b"ctx",
                dockerfile="Dockerfile",
                tags=["a", "b"],
                buildargs={"X": "1", "Y": None},
                nocache=True,
                rm=False,
                memory=1024,
                registry_config="e30=",
            )
        )
    )
    method, url, body, headers = sent
    assert (method, body) == ("POST", b"ctx")
    assert url == (
        V + "/build?t=a&t=b&dockerfile=Dockerfile&buildargs=%7B%22X%22%3A%221%22%2C%22Y%22"
        "%3Anull%7D&nocache=1&rm=0&memory=1024&version=1"
    )
    assert headers == {"Content-Type": "application/x-tar", "X-Registry-Config": "e30="}


def test_stat_path_decodes_the_header_and_maps_404_to_none() -> None:
    stat = {"name": "f", "size": 1, "mode": 420}
    header = base64.urlsafe_b64encode(json.dumps(stat).encode()).decode().rstrip("=")
    rec = Recorder(headers={"X-Docker-Container-Path-Stat": header})
    containers = Engine(rec).containers
    assert containers.stat_path("web", "/f") == stat
    assert rec.sent[0][:2] == ("HEAD", V + "/containers/web/archive?path=%2Ff")
    got, resp = containers.get_archive("web", "/f")
    assert got == stat and list(resp.iter_chunks()) == []
    rec.status = 404
    assert containers.stat_path("web", "/nope") is None
    rec.status = 500
    with pytest.raises(APIError):
        containers.stat_path("web", "/x")


def test_params_encoding_rules() -> None:
    c = Client("unix:///x")
    assert (
        c.url("/p", {"a": None, "b": False, "c": True, "d": {"k": 1}})
        == V + "/p?b=0&c=1&d=%7B%22k%22%3A+1%7D"
    )
    assert c.url("/p", [("x", "1"), ("x", "2")]) == V + "/p?x=1&x=2"
    assert c.url("/p", {}) == V + "/p"


def test_volume_create_body_leaves_empty_fields_out() -> None:
    assert create_body() == {"Driver": "local"}
    assert create_body("v", "local", {"type": "tmpfs"}, {"k": "v"}) == {
        "Driver": "local",
        "DriverOpts": {"type": "tmpfs"},
        "Labels": {"k": "v"},
        "Name": "v",
    }


def test_engine_loads_resources_on_demand() -> None:
    import sys

    rec = Recorder()
    for name in ("containers", "images", "networks", "volumes", "system", "build", "exec"):
        resource = getattr(Engine(rec), name)
        assert resource._t is rec
        assert f"dockyard.client.{name}" in sys.modules
