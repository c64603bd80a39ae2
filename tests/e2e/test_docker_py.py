"""The tutorial's flows and the everyday SDK calls through docker-py (docker==7.1.0) pointed at
a private dockyardd."""

from __future__ import annotations

import io
import os
import queue
import sys
import tarfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from testing.flowkit import Resources, free_port, http_get, wait_until  # noqa: E402

docker = pytest.importorskip("docker")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]


def test_ping_version_info(docker_client: Any) -> None:
    assert docker_client.ping() is True
    v = docker_client.version()
    assert v["ApiVersion"] and v["Version"] and v["Os"] == "linux"
    assert v["MinAPIVersion"] <= "1.24"
    assert any(c["Name"] == "Engine" for c in v.get("Components", []))
    info = docker_client.info()
    assert info["OSType"] == "linux"
    assert info["Driver"] == "overlay2"
    assert info["Images"] >= 2
    for key in ("Containers", "ContainersRunning", "ContainersStopped", "NCPU", "MemTotal",
                "DockerRootDir", "ServerVersion", "Name"):  # fmt: skip
        assert key in info, key


def run_output(client: Any, image: str, command: Any, **kwargs: Any) -> bytes:
    """containers.run(..., remove=True) without depending on the log driver's name."""
    c = client.containers.run(image, command, detach=True, **kwargs)
    try:
        assert c.wait(timeout=30)["StatusCode"] == 0
        return c.logs()
    finally:
        c.remove(force=True)


def test_default_log_driver_is_json_file(docker_client: Any, res: Resources) -> None:
    """docker-py's run() reads the output back only for json-file, journald and local."""
    assert docker_client.info()["LoggingDriver"] == "json-file"
    c = docker_client.containers.create("busybox", "true", name=res.container("logdrv"))
    assert c.attrs["HostConfig"]["LogConfig"]["Type"] == "json-file"


def test_run_remove_returns_output(docker_client: Any) -> None:
    assert docker_client.containers.run("busybox", "echo hi", remove=True) == b"hi\n"
    out = docker_client.containers.run(
        "busybox", ["sh", "-c", "echo out; echo err >&2"], remove=True, stdout=True, stderr=True
    )
    assert sorted(out.splitlines()) == [b"err", b"out"]
    assert b"Hello from" in docker_client.containers.run("hello-world", remove=True)
    env = docker_client.containers.run("busybox", "env", environment={"A": "b"}, remove=True)
    assert b"A=b\n" in env


def test_run_detached_output_via_logs(docker_client: Any) -> None:
    assert run_output(docker_client, "busybox", "echo hi") == b"hi\n"
    assert b"Hello from" in run_output(docker_client, "hello-world", None)
    assert b"A=b\n" in run_output(docker_client, "busybox", "env", environment={"A": "b"})


def test_run_nonzero_raises_container_error(docker_client: Any, res: Resources) -> None:
    name = res.container("fail")
    with pytest.raises(docker.errors.ContainerError) as exc:
        docker_client.containers.run("busybox", ["sh", "-c", "echo bad >&2; exit 3"], name=name)
    assert exc.value.exit_status == 3
    assert b"bad" in exc.value.stderr
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get("no-such-image:never")
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(res.container("missing"))


def test_detached_logs_exec_stop_remove(docker_client: Any, res: Resources) -> None:
    name = res.container("detached")
    c = docker_client.containers.run(
        "busybox", ["sh", "-c", "echo started; exec sleep 600"], detach=True, name=name,
        labels={"app": "e2e"},
    )  # fmt: skip
    assert c.name == name
    c.reload()
    assert c.status == "running"
    assert c.labels == {"app": "e2e"}
    wait_until(lambda: c.logs() == b"started\n", what="logs")
    code, out = c.exec_run("cat /etc/hostname")
    assert code == 0 and out.decode().strip() == c.id[:12]
    code, out = c.exec_run(["sh", "-c", "echo $X; exit 4"], environment={"X": "y"})
    assert code == 4 and out == b"y\n"
    code, out = c.exec_run("pwd", workdir="/tmp")
    assert out == b"/tmp\n"
    code, (stdout, stderr) = c.exec_run(["sh", "-c", "echo o; echo e >&2"], demux=True)
    assert (stdout, stderr) == (b"o\n", b"e\n")
    stream = c.exec_run(["sh", "-c", "echo a; echo b"], stream=True).output
    assert b"".join(stream) == b"a\nb\n"
    assert [x.name for x in docker_client.containers.list(filters={"label": "app=e2e"})] == [name]
    top = c.top()
    assert "sleep 600" in [p[-1] for p in top["Processes"]]
    c.stop(timeout=1)
    c.reload()
    assert c.status == "exited"
    assert c.wait()["StatusCode"] == 137
    assert c.attrs["State"]["ExitCode"] == 137
    assert name in [x.name for x in docker_client.containers.list(all=True)]
    assert name not in [x.name for x in docker_client.containers.list()]
    c.remove()
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(name)


def test_nginx_like_ports_and_archive(docker_client: Any, res: Resources) -> None:
    """The tutorial's nginx: published port, files put into the container, served to the host."""
    name = res.container("mynginx")
    port = free_port()
    c = docker_client.containers.run(
        "busybox", ["sh", "-c", "mkdir -p /www && exec httpd -f -p 80 -h /www"],
        detach=True, name=name, ports={"80/tcp": port}, auto_remove=True,
    )  # fmt: skip
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = b"<h1>docker-py</h1>\n"
        info = tarfile.TarInfo("index.html")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    # The container makes /www itself; under load the put could otherwise come first.
    wait_until(lambda: c.exec_run(["test", "-d", "/www"]).exit_code == 0, what="/www")
    assert c.put_archive("/www", buf.getvalue()) is True
    assert http_get(f"http://127.0.0.1:{port}/") == "<h1>docker-py</h1>\n"
    c.reload()
    assert c.ports == {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": str(port)}]} or c.ports[
        "80/tcp"
    ][0]["HostPort"] == str(port)
    chunks, stat = c.get_archive("/www/index.html")
    assert stat["name"] == "index.html" and stat["size"] == len(data)
    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
        assert tar.extractfile("index.html").read() == data  # type: ignore[union-attr]
    c.stop(timeout=1)
    wait_until(
        lambda: name not in [x.name for x in docker_client.containers.list(all=True)],
        what="auto_remove",
    )


def test_mysql_like_env_and_volume(docker_client: Any, res: Resources) -> None:
    vol_name = res.volume("dbdata")
    vol = docker_client.volumes.create(vol_name, labels={"db": "yes"})
    assert vol.name == vol_name and vol.attrs["Driver"] == "local"
    assert vol_name in [v.name for v in docker_client.volumes.list()]
    name = res.container("mysql")
    c = docker_client.containers.run(
        "busybox", ["sh", "-c", "echo $MYSQL_ROOT_PASSWORD > /var/lib/mysql/pw; exec sleep 600"],
        detach=True, name=name, environment=["MYSQL_ROOT_PASSWORD=123456"],
        volumes={vol_name: {"bind": "/var/lib/mysql", "mode": "rw"}},
    )  # fmt: skip
    wait_until(lambda: c.exec_run("cat /var/lib/mysql/pw").output == b"123456\n", what="pw")
    c.remove(force=True)
    out = run_output(docker_client, "busybox", "cat /data/pw", volumes=[f"{vol_name}:/data:ro"])
    assert out == b"123456\n"
    docker_client.volumes.get(vol_name).remove()
    with pytest.raises(docker.errors.NotFound):
        docker_client.volumes.get(vol_name)


def test_networks_create_and_resolve(docker_client: Any, res: Resources) -> None:
    net_name = res.network("pynet")
    net = docker_client.networks.create(net_name, driver="bridge", labels={"k": "v"})
    assert net.name == net_name
    a = docker_client.containers.run(
        "busybox", ["sh", "-c", "mkdir /w && echo A > /w/index.html && exec httpd -f -p 80 -h /w"],
        detach=True, name=res.container("pya"), network=net_name,
    )  # fmt: skip
    b = docker_client.containers.run(
        "busybox", "sleep 600", detach=True, name=res.container("pyb"), network=net_name
    )
    wait_until(
        lambda: b.exec_run(["wget", "-qO-", f"http://{a.name}/"]).output == b"A\n",
        what="b reaches a by name",
    )
    net.reload()
    assert {c.name for c in net.containers} == {a.name, b.name}
    c = docker_client.containers.run("busybox", "sleep 600", detach=True, name=res.container("pyc"))
    net.connect(c, aliases=["gamma"])
    wait_until(lambda: b.exec_run("ping -c1 -W2 gamma").exit_code == 0, what="alias gamma")
    net.disconnect(c)
    for x in (a, b, c):
        x.remove(force=True)
    net.remove()
    assert net_name not in [n.name for n in docker_client.networks.list()]


def test_images_list_tag_commit_remove(docker_client: Any, res: Resources) -> None:
    tags = {t for img in docker_client.images.list() for t in img.tags}
    assert {"busybox:latest", "hello-world:latest"} <= tags
    bb = docker_client.images.get("busybox")
    ref = res.image("e2e/pytag", "v1")
    repo, tag = ref.rsplit(":", 1)
    assert bb.tag(repo, tag) is True
    assert docker_client.images.get(ref).id == bb.id
    assert [i.id for i in docker_client.images.list(name=repo)] == [bb.id]

    name = res.container("tocommit")
    c = docker_client.containers.run("busybox", ["sh", "-c", "echo committed > /f"], name=name,
                                     detach=True)  # fmt: skip
    assert c.wait()["StatusCode"] == 0
    assert ["A /f"] == [f"A {d['Path']}" for d in c.diff() if d["Path"] == "/f"]
    committed_ref = res.image("e2e/pycommit", "1")
    img = c.commit(repository=committed_ref.rsplit(":", 1)[0], tag="1", changes=["CMD cat /f"])
    assert committed_ref in img.tags
    assert run_output(docker_client, committed_ref, None) == b"committed\n"
    history = img.history()
    assert len(history) >= 2
    export = b"".join(c.export())
    with tarfile.open(fileobj=io.BytesIO(export)) as tar:
        assert tar.extractfile("f").read() == b"committed\n"  # type: ignore[union-attr]
    c.remove()
    docker_client.images.remove(committed_ref)
    docker_client.images.remove(ref)
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(ref)
    assert docker_client.images.get("busybox").id == bb.id


def test_image_save_load(docker_client: Any, res: Resources) -> None:
    ref = res.image("e2e/pysave", "1")
    bb = docker_client.images.get("busybox")
    bb.tag(*ref.rsplit(":", 1))
    data = b"".join(docker_client.images.get(ref).save(named=True))
    docker_client.images.remove(ref)
    loaded = docker_client.images.load(data)
    assert [i.id for i in loaded] == [bb.id]
    assert ref in docker_client.images.get(ref).tags
    docker_client.images.remove(ref)


def test_pause_kill_rename(docker_client: Any, res: Resources) -> None:
    name = res.container("pk")
    c = docker_client.containers.run(
        "busybox", ["sh", "-c", "trap 'exit 9' USR1; echo ok; while :; do sleep 0.1; done"],
        detach=True, name=name,
    )  # fmt: skip
    wait_until(lambda: c.logs() == b"ok\n")
    c.pause()
    c.reload()
    assert c.status == "paused"
    c.unpause()
    c.reload()
    assert c.status == "running"
    new = res.container("pk-renamed")
    c.rename(new)
    c.reload()
    assert c.name == new
    c.kill(signal="SIGUSR1")
    assert c.wait(timeout=20)["StatusCode"] == 9


def test_events_stream_create_start_die(docker_client: Any, res: Resources) -> None:
    name = res.container("events")
    since = int(time.time()) - 1
    events = docker_client.events(decode=True, filters={"container": name, "type": "container"})
    seen: queue.Queue[dict[str, Any]] = queue.Queue()

    def reader() -> None:
        try:
            for ev in events:
                seen.put(ev)
        except Exception:  # noqa: BLE001 - the stream is closed at the end of the test
            pass

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        docker_client.containers.run("busybox", "true", name=name, detach=True).wait(timeout=20)
        actions: list[str] = []
        deadline = time.monotonic() + 15
        while not {"create", "start", "die"} <= set(actions) and time.monotonic() < deadline:
            try:
                ev = seen.get(timeout=0.5)
            except queue.Empty:
                continue
            assert ev["Type"] == "container"
            assert ev["Actor"]["Attributes"]["name"] == name
            assert ev["Actor"]["ID"] and ev["time"] >= since
            actions.append(ev.get("Action") or ev["status"])
        assert actions[:3] == ["create", "start", "die"], actions
        docker_client.containers.get(name).remove()
        ev = seen.get(timeout=10)
        assert (ev.get("Action") or ev["status"]) == "destroy", ev
    finally:
        events.close()
        t.join(timeout=5)

    # the same events are there afterwards with since/until
    past = docker_client.events(
        since=since, until=int(time.time()) + 1, decode=True, filters={"container": name}
    )
    got = [e.get("Action") for e in past]
    assert [a for a in got if a in ("create", "start", "die", "destroy")] == [
        "create", "start", "die", "destroy"
    ]  # fmt: skip


def test_low_level_api_client(daemon: Any, docker_client: Any, res: Resources) -> None:
    api = docker_client.api
    name = res.container("lowlevel")
    port = free_port()
    ctr = api.create_container(
        "busybox", ["sh", "-c", "mkdir /w && echo low > /w/index.html && exec httpd -f -p 80 -h /w"],
        name=name, ports=[80],
        host_config=api.create_host_config(port_bindings={80: ("127.0.0.1", port)}),
    )  # fmt: skip
    assert ctr["Id"] and ctr.get("Warnings") in (None, [])
    api.start(ctr["Id"])
    assert http_get(f"http://127.0.0.1:{port}/") == "low\n"
    assert api.port(ctr["Id"], 80) == [{"HostIp": "127.0.0.1", "HostPort": str(port)}]
    assert api.inspect_container(name)["State"]["Running"] is True
    ex = api.exec_create(name, ["cat"], stdin=True)
    sock = api.exec_start(ex["Id"], socket=True)
    raw = getattr(sock, "_sock", sock)
    raw.sendall(b"through the socket\n")
    raw.shutdown(1)  # SHUT_WR: end of stdin
    data = b""
    raw.settimeout(10)
    while True:
        chunk = raw.recv(4096)
        if not chunk:
            break
        data += chunk
    sock.close()
    assert b"through the socket\n" in data  # framed in 8-byte stream headers
    assert api.exec_inspect(ex["Id"])["ExitCode"] == 0
    api.remove_container(name, force=True)
