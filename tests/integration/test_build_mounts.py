"""BuildKit's RUN --mount and --network in dockyard's classic builder, against a real
dockyardd: cache mounts kept between builds and out of layers, secrets never stored,
binds, tmpfs, and Docker's errors for bad mounts."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
from testing.builds import build_dir as build

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]

SECRET = "s3cr3t-Value-9f2c"
SECRET_SHA = hashlib.sha256(SECRET.encode()).hexdigest()  # the Dockerfile holds only this


def run(daemon: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return daemon.cli(*args)


def saved_bytes(daemon: Any, image: str) -> bytes:
    """Every file of every layer (and the config, history) of `image`, concatenated."""
    res = subprocess.run(
        [str(Path(daemon.env["PATH"].split(":")[0]) / "dockyard"), "save", image],
        env=daemon.env,
        capture_output=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    out = bytearray()
    with tarfile.open(fileobj=io.BytesIO(res.stdout)) as outer:
        for member in outer.getmembers():
            f = outer.extractfile(member)
            if f is None:
                continue
            data = f.read()
            out += data
            if member.name.endswith((".tar", "layer.tar")) or "/blobs/" in member.name:
                try:
                    with tarfile.open(fileobj=io.BytesIO(data)) as inner:
                        for m in inner.getmembers():
                            g = inner.extractfile(m)
                            if g is not None:
                                out += m.name.encode() + g.read()
                except tarfile.TarError:
                    pass
    return bytes(out)


def test_cache_mount_persists_between_builds_and_stays_out_of_layers(
    daemon: Any, tmp_path: Path
) -> None:
    df = (
        "FROM busybox\nARG N\n"
        "RUN --mount=type=cache,target=/var/cache/app,id=bm-app,sharing=locked "
        "echo run-$N >> /var/cache/app/log && cat /var/cache/app/log\n"
    )
    first = build(daemon, tmp_path / "c", df, "-t", "bm/cache:1", "--build-arg", "N=1")
    assert first.returncode == 0, first.stderr
    assert "run-1\n" in first.stdout
    second = build(daemon, tmp_path / "c", df, "-t", "bm/cache:2", "--build-arg", "N=2")
    assert second.returncode == 0, second.stderr
    assert "run-1\nrun-2\n" in second.stdout  # the directory came back
    # the mount point and the directories made for it are stubs left out of the layer
    ls = run(daemon, "run", "--rm", "bm/cache:2", "ls", "-A", "/var/cache/app")
    assert ls.returncode == 1 and "No such file" in ls.stderr
    # a second RUN with the same cache id, in another image, sees the same content
    other = build(
        daemon,
        tmp_path / "o",
        "FROM busybox\nRUN --mount=type=cache,id=bm-app,target=/c,uid=1000 cat /c/log\n",
        "-t",
        "bm/cache:other",
    )
    assert other.returncode == 0 and "run-1\nrun-2\n" in other.stdout, other.stderr
    df_doc = daemon.client().get("/system/df")
    caches = [c for c in df_doc["BuildCache"] if "bm-app" in c["Description"]]
    assert len(caches) == 1 and caches[0]["Type"] == "exec.cachemount"
    assert caches[0]["Size"] > 0 and caches[0]["UsageCount"] == 3
    table = run(daemon, "system", "df")
    assert any(
        line.startswith("Build Cache") and line.split()[2] != "0"
        for line in table.stdout.splitlines()
    )
    kept = run(daemon, "builder", "prune", "-f", "--filter", "type=regular")
    assert "Total reclaimed space: 0B" in kept.stdout
    pruned = run(daemon, "builder", "prune", "-f", "--filter", "type=exec.cachemount")
    assert pruned.returncode == 0, pruned.stderr
    assert "Deleted build cache objects:" in pruned.stdout and caches[0]["ID"] in pruned.stdout
    assert daemon.client().get("/system/df")["BuildCache"] == []
    fresh = build(daemon, tmp_path / "c", df, "-t", "bm/cache:3", "--build-arg", "N=3")
    assert fresh.returncode == 0 and "run-1" not in fresh.stdout
    run(daemon, "rmi", "bm/cache:1", "bm/cache:2", "bm/cache:3", "bm/cache:other")
    run(daemon, "builder", "prune", "-af")


def test_secret_is_readable_in_run_and_stored_nowhere(daemon: Any, tmp_path: Path) -> None:
    (tmp_path / "tok.txt").write_text(SECRET)
    df = (
        "FROM busybox\n"
        "RUN --mount=type=secret,id=tok "
        f"sha256sum /run/secrets/tok | grep -q {SECRET_SHA} "
        "&& echo file-ok && ls -l /run/secrets/tok\n"
        "RUN --mount=type=secret,id=envtok,env=TOKEN,required "
        f"sh -c 'printf %s \"$TOKEN\" | sha256sum | grep -q {SECRET_SHA} && echo env-ok'\n"
        "RUN test ! -e /run/secrets && echo no-stub\n"
    )
    res = build(
        daemon,
        tmp_path / "s",
        df,
        "-t",
        "bm/secret",
        "--secret",
        f"id=tok,src={tmp_path / 'tok.txt'}",
        "--secret",
        "id=envtok,env=BM_TOKEN",
        env={"BM_TOKEN": SECRET},
    )
    assert res.returncode == 0, res.stderr + res.stdout
    assert "file-ok" in res.stdout and "env-ok" in res.stdout
    assert "-r--------" in res.stdout  # mode 0400 by default
    assert "no-stub\n" in res.stdout  # /run/secrets was never committed
    history = run(daemon, "history", "--no-trunc", "bm/secret")
    encoded = base64.b64encode(SECRET.encode()).decode()
    for text in (res.stdout, res.stderr, history.stdout, daemon.read_log()):
        assert SECRET not in text and encoded not in text
    assert "--mount=type=secret,id=tok" in history.stdout
    assert SECRET.encode() not in saved_bytes(daemon, "bm/secret")
    inspect = json.loads(run(daemon, "image", "inspect", "bm/secret").stdout)
    assert SECRET not in json.dumps(inspect)
    run(daemon, "rmi", "bm/secret")


def test_missing_required_secret_fails_and_optional_is_skipped(daemon: Any, tmp_path: Path) -> None:
    missing = build(
        daemon,
        tmp_path / "m",
        "FROM busybox\nRUN --mount=type=secret,id=nope,required=true true\n",
        "-t",
        "bm/missing",
    )
    assert missing.returncode != 0
    assert "secret nope: not found" in missing.stderr
    assert run(daemon, "image", "inspect", "bm/missing").returncode != 0  # no image tagged
    plain = build(
        daemon,
        tmp_path / "m",
        "FROM busybox\nRUN --mount=type=secret,id=nope,required=true true\n",
        "-t",
        "bm/missing",
        "--progress=plain",
    )
    assert plain.returncode == 1
    assert (
        "Dockerfile:2\n--------------------\n   1 |     FROM busybox\n"
        "   2 | >>> RUN --mount=type=secret,id=nope,required=true true\n--------------------\n"
        "ERROR: failed to solve: secret nope: not found\n"
    ) in plain.stderr  # BuildKit's report: the step's Dockerfile lines
    optional = build(
        daemon,
        tmp_path / "o",
        "FROM busybox\nRUN --mount=type=secret,id=nope test ! -e /run/secrets/nope\n",
        "-t",
        "bm/optional",
    )
    assert optional.returncode == 0, optional.stderr
    run(daemon, "rmi", "bm/optional")


def test_bind_tmpfs_and_network_mounts(daemon: Any, tmp_path: Path) -> None:
    ctx = tmp_path / "b"
    (ctx / "src").mkdir(parents=True)
    (ctx / "src" / "data.txt").write_text("from-context\n")
    df = (
        "FROM busybox AS tools\nRUN mkdir /tools && echo tool-v1 > /tools/version\n"
        "FROM busybox\n"
        "RUN --mount=type=bind,source=src,target=/mnt/src cat /mnt/src/data.txt\n"
        "RUN --mount=type=bind,source=src,target=/mnt/src,rw "
        "echo changed > /mnt/src/data.txt && cat /mnt/src/data.txt\n"
        "RUN --mount=type=bind,from=tools,source=/tools,target=/t cat /t/version\n"
        "RUN --mount=type=tmpfs,target=/scratch,size=1m "
        "echo x > /scratch/f && grep /scratch /proc/mounts\n"
        "RUN --network=none ls /sys/class/net\n"
        "RUN --mount=type=bind,target=/ctx,ro test ! -w /ctx/src/data.txt || "
        "! touch /ctx/src/data.txt\n"
    )
    res = build(daemon, ctx, df, "-t", "bm/bind")
    assert res.returncode == 0, res.stderr + res.stdout
    assert "from-context\n" in res.stdout and "changed\n" in res.stdout
    assert "tool-v1\n" in res.stdout
    assert "tmpfs /scratch tmpfs" in res.stdout and "size=1024k" in res.stdout
    net = res.stdout.split("RUN --network=none ls /sys/class/net")[1].splitlines()
    assert net[2] == "lo"  # after " ---> Running in": only the loopback device
    assert (ctx / "src" / "data.txt").read_text() == "from-context\n"  # rw writes discarded
    for path in ("/mnt", "/t", "/scratch", "/ctx"):
        probe = run(daemon, "run", "--rm", "bm/bind", "test", "-e", path)
        assert probe.returncode == 1, path  # no mount point reached the image
    run(daemon, "rmi", "bm/bind")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "RUN --mount=type=cahce,target=/x true",
            'unsupported mount type "cahce" (did you mean cache?)',
        ),
        ("RUN --mount=type=cache,target=/x,sharing=bad true", 'unsupported sharing value "bad"'),
        (
            "RUN --mount=type=bind,target=/x,size=1m true",
            "unexpected key 'size' for mount type 'bind'",
        ),
        (
            "RUN --mount=type=cache,target=/x,colour=red true",
            "unexpected key 'colour' in 'colour=red'",
        ),
        (
            "RUN --mount=type=tmpfs,target=/x,mode=0700 true",
            'mode not allowed for "tmpfs" type mounts',
        ),
        ("RUN --mount=type=secret true", "invalid secret mount. one of source, target required"),
        ("RUN --network=bridge true", 'invalid network mode "bridge"'),
    ],
)
def test_bad_mounts_give_buildkits_errors_with_the_line(
    daemon: Any, tmp_path: Path, line: str, message: str
) -> None:
    res = build(daemon, tmp_path / "bad", f"FROM busybox\n{line}\n", "-t", "bm/bad")
    assert res.returncode != 0
    assert f"dockerfile parse error on line 2: {message}" in res.stderr
    assert run(daemon, "image", "inspect", "bm/bad").returncode != 0


def test_cache_from_stage_that_does_not_exist(daemon: Any, tmp_path: Path) -> None:
    res = build(
        daemon,
        tmp_path / "nf",
        "FROM busybox\nRUN --mount=type=cache,target=/c,from=nosuchstage true\n",
        "-t",
        "bm/nofrom",
    )
    assert res.returncode != 0
    assert (
        "failed to resolve source metadata for docker.io/library/nosuchstage:latest" in res.stderr
    )
    assert run(daemon, "image", "inspect", "bm/nofrom").returncode != 0


@pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker CLI")
def test_docker_cli_classic_builder_gets_mounts_and_docker_answers(
    daemon: Any, tmp_path: Path
) -> None:
    ctx = tmp_path / "d"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(
        "FROM busybox\nRUN --mount=type=cache,target=/c,id=bm-docker echo x >> /c/n && wc -l < /c/n\n"
    )
    env = {**daemon.env, "DOCKER_BUILDKIT": "0"}

    def docker(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["docker", *args], env=env, capture_output=True, text=True, timeout=120
        )

    first = docker("build", "--no-cache", "-t", "bm/docker", str(ctx))
    assert first.returncode == 0, first.stderr
    second = docker("build", "--no-cache", "-t", "bm/docker", str(ctx))
    assert second.returncode == 0 and "\n2\n" in second.stdout, second.stdout
    # the classic CLI has no --secret: Docker's CLI answers itself
    flag = docker("build", "--secret", "id=x,src=/dev/null", str(ctx))
    assert flag.returncode != 0 and "unknown flag: --secret" in flag.stderr
    (ctx / "Dockerfile").write_text("FROM busybox\nRUN --mount=type=secret,id=x,required true\n")
    missing = docker("build", "-t", "bm/docker-secret", str(ctx))
    assert missing.returncode != 0 and "secret x: not found" in missing.stderr
    docker("rmi", "bm/docker")
    daemon.cli("builder", "prune", "-f", "--filter", "type=exec.cachemount")


def test_ssh_mount_forwards_the_agent_socket(daemon: Any, tmp_path: Path) -> None:
    import socket

    sock_path = tmp_path / "agent.sock"
    agent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    agent.bind(str(sock_path))
    agent.listen(1)
    try:
        df = (
            "FROM busybox\n"
            'RUN --mount=type=ssh test -S "$SSH_AUTH_SOCK" && echo agent-at-$SSH_AUTH_SOCK\n'
        )
        res = build(daemon, tmp_path / "s", df, "--ssh", f"default={sock_path}", "-t", "bm/ssh")
        assert res.returncode == 0, res.stderr + res.stdout
        assert "agent-at-/run/buildkit/ssh_agent.0\n" in res.stdout
        missing = build(
            daemon, tmp_path / "m", "FROM busybox\nRUN --mount=type=ssh,required true\n"
        )
        assert missing.returncode != 0
        assert 'no SSH key "default" forwarded from the client' in missing.stderr
    finally:
        agent.close()
        daemon.cli("rmi", "bm/ssh")


def test_failed_step_with_an_env_secret_leaves_no_container(daemon: Any, tmp_path: Path) -> None:
    before = set(run(daemon, "ps", "-aq").stdout.split())
    res = build(
        daemon,
        tmp_path / "f",
        "FROM busybox\nRUN --mount=type=secret,id=tok,env=TOKEN false\n",
        "--rm=false",
        "--secret",
        "id=tok,env=BM_TOKEN",
        env={"BM_TOKEN": SECRET},
    )
    assert res.returncode == 1
    # a failed step's container stays with --rm=false, but not one whose Env holds a secret
    assert set(run(daemon, "ps", "-aq").stdout.split()) == before
