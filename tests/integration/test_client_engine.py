"""The typed client (client.engine) against a real daemon: what compose and kube will call."""

from __future__ import annotations

import io
import socket
import tarfile
import time

import pytest
from daemon_harness import TestDaemon
from testing.flowkit import Resources

from dockyard.client.api import APIError
from dockyard.client.engine import Engine
from dockyard.client.stdcopy import demux_stream
from dockyard.common.apishapes import endpoint_settings, host_config

pytestmark = pytest.mark.integration


def _engine(daemon: TestDaemon) -> Engine:
    return Engine(daemon.client())


def _demux(chunks) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(payload for _, payload in demux_stream(iter(chunks)))


def test_container_lifecycle_logs_wait_and_archive(daemon: TestDaemon, res: Resources) -> None:
    api = _engine(daemon)
    name = res.container("eng")
    body = {
        "Image": "busybox",
        "Cmd": ["sh", "-c", "echo hello; echo oops >&2; sleep 30"],
        "Labels": {"t": "engine"},
        "HostConfig": host_config(),
    }
    created = api.containers.create(body, name=name)
    cid = created["Id"]
    assert api.containers.inspect(name)["Id"] == cid
    api.containers.start(cid)
    listed = api.containers.list(filters={"label": {"t=engine": True}})
    assert [c["Id"] for c in listed] == [cid]
    for _ in range(100):
        if b"oops" in _demux(api.containers.logs(cid)):
            break
        time.sleep(0.1)
    assert _demux(api.containers.logs(cid, stderr=False)) == b"hello\n"
    top = api.containers.top(cid)
    assert "PID" in top["Titles"]
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        info = tarfile.TarInfo("f.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    api.containers.put_archive(cid, "/tmp", io.BytesIO(data.getvalue()))
    stat = api.containers.stat_path(cid, "/tmp/f.txt")
    assert stat is not None and stat["size"] == 2
    assert api.containers.stat_path(cid, "/nope") is None
    got, resp = api.containers.get_archive(cid, "/tmp/f.txt")
    with tarfile.open(fileobj=io.BytesIO(b"".join(resp.iter_chunks()))) as tar:
        assert tar.extractfile("f.txt").read() == b"hi"  # type: ignore[union-attr]
    assert got["name"] == "f.txt"
    api.containers.kill(cid)
    assert api.containers.wait(cid)["StatusCode"] == 137
    api.containers.remove(cid)
    with pytest.raises(APIError) as exc:
        api.containers.inspect(cid)
    assert exc.value.status == 404


def test_run_like_docker_run_attach_then_start(daemon: TestDaemon, res: Resources) -> None:
    """attach and the wait go out before start, as `docker run` does; nothing is missed."""
    api = _engine(daemon)
    name = res.container("att")
    body = {
        "Image": "busybox",
        "Cmd": ["sh", "-c", "echo out; exit 3"],
        "AttachStdout": True,
        "AttachStderr": True,
        "HostConfig": host_config(),
    }
    cid = api.containers.create(body, name=name)["Id"]
    sock = api.containers.attach(cid)
    pending = api.containers.wait_pending(cid, "next-exit")
    api.containers.start(cid)
    received = b""
    sock.settimeout(30)
    while chunk := sock.recv(65536):
        received += chunk
    sock.close()
    assert _demux([received]) == b"out\n"
    status, answer = pending.response()
    assert status == 200 and b'"StatusCode":3' in answer.replace(b" ", b"")


def test_exec_detached_and_attached(daemon: TestDaemon, res: Resources) -> None:
    api = _engine(daemon)
    name = res.container("exe")
    body = {"Image": "busybox", "Cmd": ["sleep", "30"], "HostConfig": host_config()}
    cid = api.containers.create(body, name=name)["Id"]
    api.containers.start(cid)
    exec_id = api.exec.create(cid, ["sh", "-c", "echo in-exec; exit 4"])
    sock: socket.socket = api.exec.start(exec_id)
    received = b""
    sock.settimeout(30)
    while chunk := sock.recv(65536):
        received += chunk
    sock.close()
    assert _demux([received]) == b"in-exec\n"
    for _ in range(100):
        doc = api.exec.inspect(exec_id)
        if not doc["Running"]:
            break
        time.sleep(0.1)
    assert doc["ExitCode"] == 4
    quiet = api.exec.create(
        cid, ["touch", "/tmp/x"], attach_stdout=False, attach_stderr=False, detach=True
    )
    api.exec.start_detached(quiet)
    for _ in range(100):
        if api.containers.stat_path(cid, "/tmp/x") is not None:
            break
        time.sleep(0.1)
    assert api.containers.stat_path(cid, "/tmp/x") is not None
    api.containers.remove(cid, force=True)


def test_networks_volumes_images_system(daemon: TestDaemon, res: Resources) -> None:
    api = _engine(daemon)
    net = res.network("engnet")
    vol = res.volume("engvol")
    name = res.container("engc")
    api.networks.create({"Name": net, "Driver": "bridge", "Labels": {"t": "e"}})
    assert api.networks.inspect(net)["Name"] == net
    assert net in [n["Name"] for n in api.networks.list({"label": {"t=e": True}})]
    assert api.volumes.create(vol, labels={"t": "e"})["Name"] == vol
    assert [v["Name"] for v in api.volumes.list({"label": {"t=e": True}})["Volumes"]] == [vol]
    cid = api.containers.create(
        {"Image": "busybox", "Cmd": ["sleep", "30"], "HostConfig": host_config()}, name=name
    )["Id"]
    api.networks.connect(net, cid, endpoint_settings(Aliases=["web"]))
    networks = api.containers.inspect(cid)["NetworkSettings"]["Networks"]
    assert "web" in (networks[net]["Aliases"] or [])
    api.networks.disconnect(net, cid)
    assert net not in api.containers.inspect(cid)["NetworkSettings"]["Networks"]
    api.containers.remove(cid, force=True)
    api.networks.remove(net)
    api.volumes.remove(vol)
    image = api.images.inspect("busybox")
    assert image["Id"].startswith("sha256:")
    assert api.images.history("busybox")
    tagged = res.image("engine/bb", "t1")
    api.images.tag("busybox", tagged.rsplit(":", 1)[0], "t1")
    assert tagged in api.images.inspect(tagged)["RepoTags"]
    assert any(i.get("Untagged") for i in api.images.remove(tagged))
    assert api.system.ping()["api-version"]
    assert api.system.version()["ApiVersion"]
    assert api.system.info()["OSType"] == "linux"
    assert "Images" in api.system.df()
    since = str(time.time() - 60)
    until = str(time.time() + 0.2)
    actions = {e["Action"] for e in api.system.events(since, until, {"type": ["volume"]})}
    assert {"create", "destroy"} <= actions
