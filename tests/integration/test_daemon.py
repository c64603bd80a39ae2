"""The daemon as Docker's clients see it: version, info, ping, events, errors, the lock."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from daemon_harness import VENV_BIN, TestDaemon

pytestmark = pytest.mark.integration


def test_docker_cli_version_and_info(daemon: TestDaemon) -> None:
    out = daemon.docker("version", "--format", "{{.Server.Platform.Name}} {{.Server.APIVersion}}")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "dockyard 1.45"
    info = daemon.docker("info", "--format", "{{json .}}")
    assert info.returncode == 0, info.stderr
    doc = json.loads(info.stdout)
    assert doc["Driver"] == "overlay2"
    assert doc["DockerRootDir"] == str(daemon.root)


def test_docker_py_version_info_ping(daemon: TestDaemon) -> None:
    import docker

    client = docker.DockerClient(base_url=daemon.host, version="auto")
    try:
        assert client.ping() is True
        assert client.version()["ApiVersion"] == "1.45"
        assert client.info()["OSType"] == "linux"
    finally:
        client.close()


def test_dockyard_cli_version(daemon: TestDaemon) -> None:
    out = daemon.cli("version")
    assert out.returncode == 0, out.stderr
    assert "Server: dockyard" in out.stdout


def test_docker_api_version_pins_the_version_as_docker_does(daemon: TestDaemon) -> None:
    """DOCKER_API_VERSION: requests speak that version, no fallback; the daemon's refusal
    is the answer, in the same words and exit code through both CLIs."""
    old = {**daemon.env, "DOCKER_API_VERSION": "1.41"}
    ours = subprocess.run([str(VENV_BIN / "dockyard"), "version"], env=old,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert ours.returncode == 0, ours.stderr
    assert " API version:       1.41 (downgraded from 1.45)" in ours.stdout
    ps = subprocess.run([str(VENV_BIN / "dockyard"), "ps"], env=old, capture_output=True,
                        text=True, timeout=60)  # fmt: skip
    assert ps.returncode == 0, ps.stderr
    new = {**daemon.env, "DOCKER_API_VERSION": "1.99"}
    refusal = "Error response from daemon: client version 1.99 is too new. Maximum supported API version is 1.45"
    for argv in (["ps"], ["version"]):
        for cli in ([str(VENV_BIN / "dockyard")], ["docker"]):
            got = subprocess.run([*cli, *argv], env=new, capture_output=True, text=True, timeout=60)
            assert got.returncode == 1, (cli, argv, got.stderr)
            assert got.stderr.strip().splitlines()[-1] == refusal, (cli, argv, got.stderr)


def test_events_since_until_with_filters(daemon: TestDaemon) -> None:
    start = time.time()
    run = daemon.docker("run", "--rm", "--label", "evt=1", "busybox", "true")
    assert run.returncode == 0, run.stderr
    until = time.time() + 0.5
    out = daemon.docker(
        "events", "--since", f"{start:.3f}", "--until", f"{until:.3f}",
        "--filter", "type=container", "--filter", "label=evt=1", "--format", "{{.Action}}",
        timeout=30,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    actions = out.stdout.split()
    for expected in ("create", "start", "die", "destroy"):
        assert expected in actions
    assert all(a != "pull" for a in actions)


def test_bad_requests_get_docker_errors(daemon: TestDaemon) -> None:
    from dockyard.client.api import APIError

    client = daemon.client()
    with pytest.raises(APIError) as err:
        client.request(
            "POST",
            "/containers/create",
            body=b"{not json",
            headers={"Content-Type": "application/json"},
        )
    assert err.value.status == 400
    with pytest.raises(APIError) as err:
        client.get("/containers/json", {"filters": "{bad"})
    assert err.value.status == 400
    with pytest.raises(APIError) as err:
        client.get("/no/such/route")
    assert err.value.status == 404
    with pytest.raises(APIError) as err:
        client.get("/containers/nosuchcontainer/json")
    assert err.value.status == 404
    assert err.value.message == "No such container: nosuchcontainer"
    # The daemon is still fine afterwards.
    assert client.ping()


def test_second_daemon_on_same_root_refuses(daemon: TestDaemon) -> None:
    proc = subprocess.run(
        [str(VENV_BIN / "dockyardd"), "--config-file", str(daemon.config_file),
         "--data-root", str(daemon.root), "--exec-root", str(daemon.exec_root),
         "-H", f"unix://{daemon.base}/second.sock"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "already running" in proc.stderr
    assert daemon.client().ping()


def test_bad_daemon_json_refuses_to_start(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "daemon.json"
    cfg.write_text('{"bogus-key": true}')
    proc = subprocess.run(
        [str(VENV_BIN / "dockyardd"), "--config-file", str(cfg), "--data-root", str(tmp_path / "r"),
         "-H", f"unix://{tmp_path}/x.sock"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "'bogus-key'" in proc.stderr
    assert not (tmp_path / "r").exists()
