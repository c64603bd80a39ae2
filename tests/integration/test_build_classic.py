"""docker build / dockyard build against a real dockyardd (classic builder, real RUN)."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]

needs_docker = pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker CLI")

APP_DOCKERFILE = """\
# a comment
FROM busybox
ARG GREETING=hello
RUN echo "building with $GREETING" && \\
    mkdir -p /srv && echo built > /srv/built.txt
COPY app.txt /srv/
ENV NAME=world \\
    GREETING_ENV=${GREETING}
WORKDIR /srv
CMD ["sh", "-c", "cat built.txt app.txt; echo $GREETING_ENV $NAME; pwd"]
"""


def write(ctx: Path, files: dict[str, str]) -> Path:
    ctx.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = ctx / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return ctx


def docker(
    daemon: Any, *args: str, legacy: bool = True, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = daemon.env
    if legacy:
        env["DOCKER_BUILDKIT"] = "0"
    return subprocess.run(
        ["docker", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=180
    )


def build_api(
    daemon: Any, files: dict[str, str | bytes], gz: bool = False, **params: Any
) -> list[dict[str, Any]]:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, text in files.items():
            data = text.encode() if isinstance(text, str) else text
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = 0o644
            tf.addfile(ti, io.BytesIO(data))
    body = gzip.compress(buf.getvalue()) if gz else buf.getvalue()
    resp = daemon.client().request(
        "POST", "/build", params, body=body, headers={"Content-Type": "application/x-tar"}
    )
    return list(resp.iter_json())


def stream_text(msgs: list[dict[str, Any]]) -> str:
    return "".join(m.get("stream", "") for m in msgs)


@needs_docker
def test_docker_cli_builds_runs_and_caches(daemon: Any, tmp_path: Path) -> None:
    ctx = write(tmp_path / "app", {"Dockerfile": APP_DOCKERFILE, "app.txt": "from context\n"})
    first = docker(daemon, "build", "-t", "bt/app:1", "--build-arg", "GREETING=hey", ".", cwd=ctx)
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert "Step 1/7 : FROM busybox" in out
    assert 'Step 3/7 : RUN echo "building with $GREETING" &&     mkdir -p /srv' in out
    assert "building with hey\n" in out
    assert " ---> Running in " in out and " ---> Removed intermediate container " in out
    assert "Successfully tagged bt/app:1" in out
    built = [line for line in out.splitlines() if line.startswith("Successfully built ")]
    image_short = built[0].split()[-1]
    run = docker(daemon, "run", "--rm", "bt/app:1")
    assert run.returncode == 0, run.stderr
    assert run.stdout == "built\nfrom context\nhey world\n/srv\n"
    # the second build reuses every step
    again = docker(daemon, "build", "-t", "bt/app:2", "--build-arg", "GREETING=hey", ".", cwd=ctx)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count(" ---> Using cache") == 6
    assert f"Successfully built {image_short}" in again.stdout
    # a changed file invalidates COPY and what follows, not what comes before
    (ctx / "app.txt").write_text("changed\n")
    third = docker(daemon, "build", "-t", "bt/app:3", "--build-arg", "GREETING=hey", ".", cwd=ctx)
    assert third.returncode == 0, third.stderr
    assert third.stdout.count(" ---> Using cache") == 2
    # --no-cache runs everything again
    fresh = docker(
        daemon, "build", "--no-cache", "-t", "bt/app:4", "--build-arg", "GREETING=hey", ".", cwd=ctx
    )
    assert fresh.returncode == 0 and "Using cache" not in fresh.stdout
    history = docker(daemon, "history", "--no-trunc", "--format", "{{.CreatedBy}}", "bt/app:1")
    lines = history.stdout.splitlines()
    assert (
        lines[0]
        == '/bin/sh -c #(nop)  CMD ["sh" "-c" "cat built.txt app.txt; echo $GREETING_ENV $NAME; pwd"]'
    )
    assert lines[1] == "/bin/sh -c #(nop) WORKDIR /srv"
    assert lines[2] == "/bin/sh -c #(nop)  ENV NAME=world GREETING_ENV=hey"
    assert lines[3].startswith("/bin/sh -c #(nop) COPY file:") and lines[3].endswith(" in /srv/ ")
    assert lines[4].startswith("|1 GREETING=hey /bin/sh -c echo")
    ps = docker(daemon, "ps", "-aq")
    assert ps.stdout.strip() == ""


@needs_docker
def test_plain_docker_build_falls_back_to_the_classic_builder(daemon: Any, tmp_path: Path) -> None:
    ctx = write(tmp_path / "plain", {"Dockerfile": "FROM busybox\nRUN echo plain\n"})
    res = docker(daemon, "build", "-t", "bt/plain", ".", legacy=False, cwd=ctx)
    assert res.returncode == 0, res.stderr
    assert "plain\n" in res.stdout and "Successfully tagged bt/plain:latest" in res.stdout


def test_dockyard_build_honours_dockerignore(daemon: Any, tmp_path: Path) -> None:
    ctx = write(
        tmp_path / "ign",
        {
            "Dockerfile": 'FROM busybox\nCOPY . /ctx/\nCMD ["ls", "-a", "/ctx"]\n',
            ".dockerignore": "secret.txt\n*.log\n",
            "keep.txt": "k",
            "secret.txt": "s",
            "debug.log": "l",
        },
    )
    res = daemon.cli("build", "-t", "bt/ign", str(ctx))
    assert res.returncode == 0, res.stderr
    assert "Sending build context to Docker daemon" in res.stdout
    assert "Successfully tagged bt/ign:latest" in res.stdout
    run = daemon.cli("run", "--rm", "bt/ign")
    names = set(run.stdout.split())
    assert "keep.txt" in names and "Dockerfile" in names
    assert "secret.txt" not in names and "debug.log" not in names
    quiet = daemon.cli("build", "-q", "-t", "bt/ign", str(ctx))
    assert quiet.returncode == 0 and quiet.stdout.strip().startswith("sha256:")


def test_multi_stage_copy_from_and_target(daemon: Any) -> None:
    dockerfile = (
        "FROM busybox AS builder\n"
        "RUN mkdir /out && echo compiled > /out/bin.txt\n"
        "FROM scratch AS assets\n"
        "COPY asset.txt /a/\n"
        "FROM busybox\n"
        "COPY --from=builder /out/bin.txt /app/\n"
        "COPY --from=assets /a /app/assets\n"
        "COPY --from=1 /a/asset.txt /app/by-index.txt\n"
        'CMD ["sh", "-c", "cat /app/bin.txt /app/assets/asset.txt /app/by-index.txt"]\n'
    )
    msgs = build_api(
        daemon, {"Dockerfile": dockerfile, "asset.txt": "asset\n"}, gz=True, t="bt/multi"
    )
    assert not [m for m in msgs if "error" in m], msgs
    aux = [m["aux"]["ID"] for m in msgs if "aux" in m]
    assert aux and aux[0].startswith("sha256:")
    c = daemon.cli("run", "--rm", "bt/multi")
    assert c.stdout == "compiled\nasset\nasset\n", c.stderr
    msgs = build_api(
        daemon, {"Dockerfile": dockerfile, "asset.txt": "asset\n"}, t="bt/assets", target="assets"
    )
    text = stream_text(msgs)
    # as BuildKit: --target builds only what the target needs (not the builder stage)
    assert "Step 2/2 : COPY asset.txt /a/" in text and "FROM busybox" not in text
    inspect = daemon.client().get("/images/bt/assets/json")
    assert inspect["RootFS"]["Layers"] and len(inspect["RootFS"]["Layers"]) == 1


def test_instructions_reach_the_image_config(daemon: Any) -> None:
    dockerfile = (
        "FROM busybox\n"
        'LABEL a=b "c d"="e f"\n'
        "EXPOSE 80 443/udp\n"
        "USER nobody\n"
        "VOLUME /data\n"
        "HEALTHCHECK --interval=5m --timeout=3s CMD true\n"
        "STOPSIGNAL SIGKILL\n"
        'SHELL ["/bin/sh", "-ec"]\n'
        "ONBUILD RUN echo triggered\n"
        'ENTRYPOINT ["echo"]\n'
        "COPY <<EOF /etc/motd\n"
        "hello $HOME\n"
        "EOF\n"
    )
    msgs = build_api(
        daemon, {"Dockerfile": dockerfile}, t="bt/cfg", labels=json.dumps({"extra": "1"})
    )
    assert not [m for m in msgs if "error" in m], msgs
    cfg = daemon.client().get("/images/bt/cfg/json")["Config"]
    assert cfg["Labels"] == {"a": "b", "c d": "e f", "extra": "1"}
    assert set(cfg["ExposedPorts"]) == {"80/tcp", "443/udp"}
    assert cfg["User"] == "nobody" and cfg["Volumes"] == {"/data": {}}
    assert cfg["Healthcheck"] == {
        "Test": ["CMD-SHELL", "true"],
        "Interval": 300_000_000_000,
        "Timeout": 3_000_000_000,
    }
    assert cfg["StopSignal"] == "SIGKILL" and cfg["Shell"] == ["/bin/sh", "-ec"]
    assert cfg["OnBuild"] == ["RUN echo triggered"] and cfg["Entrypoint"] == ["echo"]
    assert cfg["Cmd"] is None
    child = build_api(daemon, {"Dockerfile": "FROM bt/cfg\n"}, t="bt/child")
    text = stream_text(child)
    assert "# Executing 1 build trigger\n" in text and "triggered\n" in text
    assert daemon.client().get("/images/bt/child/json")["Config"]["OnBuild"] is None


def test_errors(daemon: Any) -> None:
    from dockyard.client.api import APIError

    with pytest.raises(APIError) as e:
        build_api(daemon, {"Dockerfile": "FROM busybox\nFOO bar\n"}, t="bt/bad")
    assert e.value.status == 400
    assert "dockerfile parse error on line 2: unknown instruction: FOO" in str(e.value)
    with pytest.raises(APIError) as e:
        build_api(daemon, {"Other": "FROM busybox\n"}, t="bt/bad")
    assert "Cannot locate specified Dockerfile: Dockerfile" in str(e.value)
    msgs = build_api(
        daemon, {"Dockerfile": "FROM busybox\nRUN echo before; exit 3\n"}, t="bt/bad", forcerm=1
    )
    err = msgs[-1]
    assert (
        err["error"] == "The command '/bin/sh -c echo before; exit 3' returned a non-zero code: 3"
    )
    assert err["errorDetail"]["code"] == 3
    assert "before\n" in stream_text(msgs)
    msgs = build_api(daemon, {"Dockerfile": "FROM busybox\nCOPY nope.txt /x\n"}, t="bt/bad")
    assert msgs[-1]["error"].startswith("COPY failed: file not found in build context")
    images = daemon.client().get("/images/json")
    assert not any("bt/bad:latest" in (i.get("RepoTags") or []) for i in images)
    assert daemon.client().get("/containers/json", {"all": True}) == []


@needs_docker
def test_docker_cli_reports_failures(daemon: Any, tmp_path: Path) -> None:
    ctx = write(tmp_path / "fail", {"Dockerfile": "FROM busybox\nRUN exit 7\n"})
    res = docker(daemon, "build", "--force-rm", ".", cwd=ctx)
    assert res.returncode == 7
    assert "The command '/bin/sh -c exit 7' returned a non-zero code: 7" in res.stderr
    (ctx / "Dockerfile").write_text("FROM busybox\nRUNN x\n")
    res = docker(daemon, "build", ".", cwd=ctx)
    assert res.returncode == 1
    assert "dockerfile parse error on line 2: unknown instruction: RUNN" in res.stderr


@needs_docker
def test_tutorial_dockerfile(daemon: Any, tmp_path: Path) -> None:
    """The tutorial's Flask example, with the pip step replaced (no network here)."""
    ctx = write(
        tmp_path / "myapp",
        {
            "Dockerfile": (
                "# 指定基础镜像\nFROM busybox\n"
                'MAINTAINER jackfrued "jackfrued@126.com"\n'
                "ADD api/* /root/api/\n"
                "WORKDIR /root/api\n"
                "RUN cat requirements.txt\n"
                'ENTRYPOINT ["./start.sh"]\n'
                "EXPOSE 8000\n"
            ),
            "api/app.py": "print('app')\n",
            "api/requirements.txt": "flask\n",
            "api/start.sh": "#!/bin/sh\necho started\n",
        },
    )
    (ctx / "api" / "start.sh").chmod(0o755)
    res = docker(daemon, "build", "-t", "jackfrued/myapp", ".", cwd=ctx)
    assert res.returncode == 0, res.stderr
    assert "flask\n" in res.stdout
    history = docker(daemon, "history", "--format", "{{.CreatedBy}}", "jackfrued/myapp").stdout
    assert history.splitlines()[0] == "/bin/sh -c #(nop)  EXPOSE 8000"  # as dockerd writes it
    assert "/bin/sh -c #(nop) ADD multi:" in history
    run = docker(daemon, "run", "--rm", "jackfrued/myapp")
    assert run.stdout == "started\n"
    author = docker(daemon, "inspect", "-f", "{{.Author}}", "jackfrued/myapp").stdout.strip()
    assert author == 'jackfrued "jackfrued@126.com"'


@needs_docker
def test_dockerfile_from_stdin(daemon: Any) -> None:
    env = daemon.env
    env["DOCKER_BUILDKIT"] = "0"
    res = subprocess.run(
        ["docker", "build", "-t", "bt/stdin", "-"],
        input="FROM busybox\nRUN echo via stdin\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert "via stdin\n" in res.stdout
    res = daemon.cli("build", "-t", "bt/stdin2", "-", input=b"FROM busybox\nRUN echo raw body\n")
    assert res.returncode == 0 and "raw body\n" in res.stdout, res.stderr


def test_copy_chown_chmod_add_url_and_archive(daemon: Any, tmp_path: Path) -> None:
    import http.server
    import threading

    www = tmp_path / "www"
    www.mkdir()
    (www / "remote.txt").write_text("served\n")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a: Any, **kw: Any) -> None:
            super().__init__(*a, directory=str(www), **kw)

        def log_message(self, *a: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    arch = io.BytesIO()
    with tarfile.open(fileobj=arch, mode="w:gz") as tf:
        ti = tarfile.TarInfo("inside/packed.txt")
        ti.size = 7
        tf.addfile(ti, io.BytesIO(b"packed\n"))
    try:
        files: dict[str, str | bytes] = {
            "Dockerfile": (
                "FROM busybox\n"
                "COPY --chown=nobody:nobody f.txt /owned/\n"
                "COPY --chown=1234 f.txt /num.txt\n"
                "COPY f.txt /tmp\n"
                "COPY --chmod=700 f.txt /mode.txt\n"
                f"ADD http://127.0.0.1:{port}/remote.txt /dl/\n"
                "ADD pack.tar.gz /unpacked/\n"
                "COPY pack.tar.gz /kept/\n"
                "RUN stat -c '%n %u:%g %a' /owned/f.txt /num.txt /tmp/f.txt /mode.txt"
                " && cat /dl/remote.txt /unpacked/inside/packed.txt && ls /kept\n"
            ),
            "f.txt": "f\n",
            "pack.tar.gz": arch.getvalue(),
        }
        text = stream_text(build_api(daemon, files, t="bt/copy"))
    finally:
        server.shutdown()
    assert "/owned/f.txt 65534:65534 644\n" in text
    assert "/num.txt 1234:1234 644\n" in text
    assert "/tmp/f.txt 0:0 644\n" in text
    assert "/mode.txt 0:0 700\n" in text
    assert "served\npacked\npack.tar.gz\n" in text


def test_quiet_build_shows_output_only_on_failure(daemon: Any) -> None:
    msgs = build_api(daemon, {"Dockerfile": "FROM busybox\nRUN echo hidden\n"}, q=1)
    assert [m["stream"] for m in msgs if "stream" in m] == [msgs[0]["aux"]["ID"] + "\n"]
    msgs = build_api(
        daemon, {"Dockerfile": "FROM busybox\nRUN echo shown; exit 4\n"}, q=1, forcerm=1
    )
    assert "shown\n" in stream_text(msgs) and msgs[-1]["errorDetail"]["code"] == 4


@needs_docker
def test_dockerfile_outside_the_context(daemon: Any, tmp_path: Path) -> None:
    """docker -f adds the file to the context (and to .dockerignore) and cuts the tar short."""
    write(tmp_path / "ctx", {"x.txt": "x"})
    df = tmp_path / "other.Dockerfile"
    df.write_text("FROM busybox\nCOPY . /c/\nRUN ls -A /c\n")
    res = docker(daemon, "build", "--no-cache", "-f", str(df), str(tmp_path / "ctx"))
    assert res.returncode == 0, res.stderr
    assert "\nx.txt\n ---> Removed" in res.stdout


def test_docker_py_build(daemon: Any, tmp_path: Path) -> None:
    docker_py = pytest.importorskip("docker")
    ctx = write(tmp_path / "py", {"Dockerfile": "FROM busybox\nARG V\nRUN echo v=$V\n"})
    client = docker_py.DockerClient(base_url=daemon.host)
    image, logs = client.images.build(path=str(ctx), tag="bt/py", buildargs={"V": "7"}, rm=True)
    assert "bt/py:latest" in image.tags
    assert any(m.get("stream") == "v=7\n" for m in logs)
    with pytest.raises(docker_py.errors.BuildError) as e:
        client.images.build(fileobj=io.BytesIO(b"FROM busybox\nRUN exit 5\n"), forcerm=True)
    assert e.value.msg == "The command '/bin/sh -c exit 5' returned a non-zero code: 5"


def test_cache_across_stages_args_and_scratch(daemon: Any) -> None:
    files: dict[str, str | bytes] = {
        "Dockerfile": (
            "ARG TAG=latest\n"
            "FROM scratch AS files\n"
            "COPY a.txt /\n"
            "FROM busybox:${TAG}\n"
            "ARG TAG\n"
            "ARG MODE=dev\n"
            "COPY --from=files /a.txt /\n"
            "RUN echo tag=$TAG mode=$MODE\n"
        ),
        "a.txt": "a\n",
    }
    first = stream_text(build_api(daemon, files, t="bt/cache"))
    assert "tag=latest mode=dev\n" in first
    second = stream_text(build_api(daemon, files, t="bt/cache"))
    assert second.count(" ---> Using cache") == 5, second
    third = stream_text(build_api(daemon, files, buildargs=json.dumps({"MODE": "prod"})))
    assert "tag=latest mode=prod\n" in third
    assert third.count(" ---> Using cache") == 4
    env = daemon.client().get("/images/bt/cache/json")["Config"]["Env"]
    assert any(e.startswith("PATH=") for e in env)


def test_failed_step_container_stays_unless_force_rm(daemon: Any) -> None:
    client = daemon.client()
    msgs = build_api(daemon, {"Dockerfile": "FROM busybox\nRUN exit 9\n"})
    assert msgs[-1]["errorDetail"]["code"] == 9
    left = client.get("/containers/json", {"all": True})
    assert len(left) == 1 and left[0]["State"] == "exited"
    client.request("DELETE", f"/containers/{left[0]['Id']}", {"force": True}).read()
    msgs = build_api(
        daemon, {"Dockerfile": "ARG A=1\nARG B=${A}2\nFROM busybox\nARG B\nRUN echo b=$B\n"}, rm=0
    )
    assert "b=12\n" in stream_text(msgs)
    assert "Removed intermediate container" not in stream_text(msgs)
    left = client.get("/containers/json", {"all": True})
    assert len(left) == 2  # ARG and RUN steps, kept with rm=0
    for c in left:
        client.request("DELETE", f"/containers/{c['Id']}", {"force": True}).read()


def test_heredoc_run_forms_and_build_prune(daemon: Any) -> None:
    dockerfile = (
        "FROM busybox\n"
        "RUN <<EOF\n#!/bin/sh -e\necho script at $0\necho made > /made.txt\nEOF\n"
        "RUN <<EOF\necho plain heredoc\nEOF\n"
        "RUN cat <<EOF > /cat.txt\nfrom cat\nEOF\n"
        "RUN cat /made.txt /cat.txt && test ! -e /dev/pipes/EOF\n"
    )
    text = stream_text(build_api(daemon, {"Dockerfile": dockerfile}, t="bt/heredoc"))
    assert "script at /dev/pipes/EOF\n" in text and "plain heredoc\n" in text
    assert "made\nfrom cat\n" in text and "Successfully tagged bt/heredoc:latest" in text
    resp = daemon.client().request("POST", "/build/prune")
    assert json.loads(resp.read()) == {"CachesDeleted": None, "SpaceReclaimed": 0}


def test_context_symlinks_stay_inside_the_context(daemon: Any) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        df = b"FROM busybox\nCOPY evil /x\n"
        ti = tarfile.TarInfo("Dockerfile")
        ti.size = len(df)
        tf.addfile(ti, io.BytesIO(df))
        link = tarfile.TarInfo("evil")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/hostname"
        tf.addfile(link)
    resp = daemon.client().request(
        "POST", "/build", {}, body=buf.getvalue(), headers={"Content-Type": "application/x-tar"}
    )
    msgs = list(resp.iter_json())
    assert msgs[-1]["error"] == (
        "COPY failed: file not found in build context or excluded by .dockerignore: "
        "stat evil: file does not exist"
    )


def test_client_going_away_cancels_the_build(daemon: Any) -> None:
    import socket
    import time

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        df = b"FROM busybox\nRUN echo started; sleep 60\n"
        ti = tarfile.TarInfo("Dockerfile")
        ti.size = len(df)
        tf.addfile(ti, io.BytesIO(df))
    body = buf.getvalue()
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(str(daemon.socket))
    sock.sendall(
        b"POST /v1.45/build?t=bt/cancel HTTP/1.1\r\nHost: d\r\nContent-Type: application/x-tar\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    seen = b""
    deadline = time.monotonic() + 30
    while b'"started\\n"' not in seen and time.monotonic() < deadline:
        seen += sock.recv(65536)
    assert b'"started\\n"' in seen  # the RUN is running
    sock.close()
    client = daemon.client()
    deadline = time.monotonic() + 20
    empty = 0
    while time.monotonic() < deadline and empty < 3:
        left = client.get("/containers/json", {"all": True})
        empty = empty + 1 if not left else 0
        time.sleep(0.2)
    assert client.get("/containers/json", {"all": True}) == []
    assert not any(
        "bt/cancel:latest" in (i.get("RepoTags") or []) for i in client.get("/images/json")
    )


def test_dockyard_build_with_dockerfile_outside_the_context(daemon: Any, tmp_path: Path) -> None:
    write(tmp_path / "ctx", {"x.txt": "x"})
    df = tmp_path / "elsewhere.Dockerfile"
    df.write_text("FROM busybox\nCOPY . /c/\nRUN ls -A /c\n")
    res = daemon.cli("build", "--no-cache", "-f", str(df), str(tmp_path / "ctx"))
    assert res.returncode == 0, res.stderr
    assert "\nx.txt\n ---> Removed" in res.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_remote_contexts(daemon: Any, tmp_path: Path) -> None:
    import http.server
    import threading

    www = tmp_path / "www"
    www.mkdir()
    (www / "Dockerfile").write_text("FROM busybox\nRUN echo remote dockerfile\n")
    arch = io.BytesIO()
    with tarfile.open(fileobj=arch, mode="w:gz") as tf:
        for name, data in (
            ("Dockerfile", b"FROM busybox\nCOPY f /f\nRUN cat /f\n"),
            ("f", b"from tarball\n"),
        ):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    (www / "ctx.tar.gz").write_bytes(arch.getvalue())
    repo = tmp_path / "src"
    write(repo, {"sub/Dockerfile": "FROM busybox\nCOPY g /g\nRUN cat /g\n", "sub/g": "from git\n"})
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run([*git, "-C", str(repo), "add", "."], check=True)
    subprocess.run([*git, "-C", str(repo), "commit", "-qm", "c"], check=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(www / "repo.git")], check=True)
    subprocess.run(["git", "-C", str(www / "repo.git"), "update-server-info"], check=True)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a: Any, **kw: Any) -> None:
            super().__init__(*a, directory=str(www), **kw)

        def log_message(self, *a: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    client = daemon.client()
    try:
        for remote, expect in (
            (f"{base}/Dockerfile", "remote dockerfile\n"),
            (f"{base}/ctx.tar.gz", "from tarball\n"),
            (f"{base}/repo.git#main:sub", "from git\n"),
        ):
            resp = client.request("POST", "/build", {"remote": remote, "nocache": 1})
            text = stream_text(list(resp.iter_json()))
            assert expect in text, (remote, text)
    finally:
        server.shutdown()


def test_cache_from_a_loaded_image(daemon: Any) -> None:
    files: dict[str, str | bytes] = {
        "Dockerfile": 'FROM busybox\nENV K=v\nCOPY f /f\nRUN cat /f > /g\nCMD ["cat", "/g"]\n',
        "f": "cached\n",
    }
    client = daemon.client()
    msgs = build_api(daemon, files, t="bt/cachefrom", nocache=1)
    built = [m["aux"]["ID"] for m in msgs if "aux" in m][0]
    archive = client.request("GET", "/images/bt/cachefrom/get").read()
    client.request("DELETE", "/images/bt/cachefrom").read()
    client.request("POST", "/images/load", {"quiet": 1}, body=archive).read()
    # the loaded image has no intermediate images: its history is the cache
    msgs = build_api(daemon, files, t="bt/again", cachefrom=json.dumps(["bt/cachefrom"]))
    text = stream_text(msgs)
    assert text.count(" ---> Using cache") == 4, text
    assert [m["aux"]["ID"] for m in msgs if "aux" in m][0] == built


def test_run_network_options(daemon: Any) -> None:
    files: dict[str, str | bytes] = {
        "Dockerfile": "FROM busybox\nRUN grep myhost /etc/hosts && ip -o link | grep -c ': ' \n"
    }
    text = stream_text(
        build_api(daemon, files, extrahosts="myhost:10.1.2.3", networkmode="none", nocache=1)
    )
    assert "10.1.2.3" in text and "myhost" in text
    assert "\n1\n" in text  # only lo with --network none
    text = stream_text(build_api(daemon, {"Dockerfile": "FROM busybox\nRUN ip -o -4 addr\n"}))
    assert "eth0" in text  # the default bridge
