"""/build behaviours Docker's clients rely on (issue 11), through the `docker` CLI (classic
builder), `dockyard` and docker-py: a Dockerfile outside the context, cachefrom, and
errors in the stream as dockerd sends them (Go's JSON, errorDetail)."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
from testing.flowkit import TOOLS, Resources, tool_argv  # noqa: E402

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]

docker_py = pytest.importorskip("docker")


def build_cli(daemon: Any, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(daemon.env, DOCKER_BUILDKIT="0")
    return subprocess.run(
        [*tool_argv(tool), "build", *args], env=env, capture_output=True, text=True, timeout=180
    )


def context_tar(files: dict[str, str]) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, text in files.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(text.encode())
            tf.addfile(ti, io.BytesIO(text.encode()))
    buf.seek(0)
    return buf


@pytest.mark.parametrize("tool", TOOLS)
def test_cli_dockerfile_outside_the_context(
    daemon: Any, res: Resources, tmp_path: Path, tool: str
) -> None:
    ctx, elsewhere = tmp_path / "ctx", tmp_path / "elsewhere"
    ctx.mkdir()
    elsewhere.mkdir()
    (ctx / "f").write_text("in context\n")
    (elsewhere / "Dockerfile").write_text("FROM busybox\nCOPY f /f\nLABEL from=outside\n")
    tag = res.image("bt/outside")
    proc = build_cli(daemon, tool, "-q", "-t", tag, "-f", str(elsewhere / "Dockerfile"), str(ctx))
    assert proc.returncode == 0, proc.stderr
    out = subprocess.run(
        [*tool_argv(tool), "inspect", "-f", "{{.Config.Labels.from}}", tag],
        env=daemon.env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert out.stdout.strip() == "outside"


def test_api_dockerfile_path_stays_in_the_context(daemon: Any, res: Resources) -> None:
    api = docker_py.APIClient(base_url=daemon.host)
    files = {"Dockerfile": "FROM busybox\nLABEL at=root\n", "sub/Dockerfile": "FROM busybox\n"}
    tag = res.image("bt/scoped")
    # dockerd resolves the path inside the context: "../Dockerfile" is the context's own
    for line in api.build(
        fileobj=context_tar(files), custom_context=True, dockerfile="../Dockerfile", tag=tag,
        decode=True,
    ):  # fmt: skip
        assert "error" not in line, line
    assert api.inspect_image(tag)["Config"]["Labels"] == {"at": "root"}

    with pytest.raises(docker_py.errors.APIError) as info:
        list(api.build(fileobj=context_tar(files), custom_context=True, dockerfile="../nope"))
    assert info.value.explanation == "Cannot locate specified Dockerfile: ../nope"


def test_cache_from_through_the_docker_cli(daemon: Any, res: Resources, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo layer > /l\nLABEL k=v\n")
    first, second = res.image("bt/cachesrc"), res.image("bt/cached")
    assert build_cli(daemon, "docker", "-q", "-t", first, str(tmp_path)).returncode == 0
    image_id = daemon.client().request("GET", f"/images/{first}/json").json()["Id"]
    saved = subprocess.run(
        ["docker", "save", first], env=daemon.env, capture_output=True, timeout=60, check=True
    ).stdout
    subprocess.run(["docker", "rmi", first], env=daemon.env, capture_output=True, check=True)
    subprocess.run(["docker", "load"], input=saved, env=daemon.env, capture_output=True, check=True)
    proc = build_cli(daemon, "docker", "--cache-from", first, "-t", second, str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("Using cache") == 2, proc.stdout
    assert daemon.client().request("GET", f"/images/{second}/json").json()["Id"] == image_id


def test_errors_in_the_stream_as_dockerd_sends_them(daemon: Any) -> None:
    api = docker_py.APIClient(base_url=daemon.host)
    tar = context_tar({"Dockerfile": "FROM busybox\nRUN echo out; exit 3\n"})
    raw = b"".join(api.build(fileobj=tar, custom_context=True, nocache=True))
    lines = raw.split(b"\r\n")
    assert b'{"stream":" ---\\u003e Running in ' in raw  # Go's encoder: compact, "<>&" escaped
    message = "The command '/bin/sh -c echo out; exit 3' returned a non-zero code: 3"
    assert lines[-2] == (
        b'{"errorDetail":{"code":3,"message":"%s"},"error":"%s"}' % ((message.encode(),) * 2)
    )

    client = docker_py.DockerClient(base_url=daemon.host)
    with pytest.raises(docker_py.errors.BuildError) as info:
        tar = context_tar({"Dockerfile": "FROM busybox\nCOPY nope /\n"})
        client.images.build(fileobj=tar, custom_context=True)
    assert info.value.msg == (
        "COPY failed: file not found in build context or excluded by .dockerignore: "
        "stat nope: file does not exist"
    )
