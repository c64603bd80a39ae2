"""What a container changes and what becomes of it, through the `docker` CLI and `dockyard`:
diff, commit (the new image runs), export | tar, cp both ways, images/tag/rmi, save | load."""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import time
from pathlib import Path

import pytest
from testing.flowkit import Cli, Resources  # noqa: E402

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]


WRITE = "mkdir -p /the/dir && echo written > /the/dir/file && rm /bin/vi && echo more >> /etc/group"


def test_diff(cli: Cli, res: Resources) -> None:
    name = res.container("diff")
    cli.ok("run", "--name", name, "busybox", "sh", "-c", WRITE)
    lines = set(cli.ok("diff", name).splitlines())
    for expected in ("A /the", "A /the/dir", "A /the/dir/file", "C /bin", "D /bin/vi", "C /etc",
                     "C /etc/group"):  # fmt: skip
        assert expected in lines, lines
    # runtime mount points (/etc/hosts, /etc/resolv.conf, /etc/hostname, /dev, /proc, /sys)
    # are not the container's changes
    for path in ("/etc/hosts", "/etc/resolv.conf", "/etc/hostname", "/proc", "/sys"):
        assert not any(line.endswith(" " + path) for line in lines), lines
    untouched = res.container("clean")
    cli.ok("create", "--name", untouched, "busybox", "true")
    assert cli.ok("diff", untouched) == ""


def test_commit_produces_a_runnable_image(cli: Cli, res: Resources) -> None:
    name = res.container("src")
    image = res.image("e2e/committed")
    cli.ok("run", "--name", name, "busybox", "sh", "-c", WRITE)
    image_id = cli.ok("commit", name, image).strip()
    assert image_id.startswith("sha256:"), image_id
    assert cli.ok("run", "--rm", image, "cat", "/the/dir/file") == "written\n"
    assert cli.run("run", "--rm", image, "test", "-e", "/bin/vi").returncode == 1  # deletion kept
    repo, tag = image.rsplit(":", 1)
    rows = cli.ok("images", repo, "--format", "{{.Repository}}:{{.Tag}} {{.ID}}").splitlines()
    assert len(rows) == 1 and rows[0].split()[0] == image
    assert image_id.removeprefix("sha256:").startswith(rows[0].split()[1])
    layers = json.loads(cli.fmt("{{json .RootFS.Layers}}", image, command="image inspect"))
    base = json.loads(cli.fmt("{{json .RootFS.Layers}}", "busybox", command="image inspect"))
    assert layers[: len(base)] == base and len(layers) == len(base) + 1

    # commit with --change and a message; the new CMD/ENV apply to containers of the image
    image2 = res.image("e2e/committed", "2")
    cli.ok("commit", "-c", 'CMD ["cat", "/the/dir/file"]', "-c", "ENV COLOR=blue",
           "-m", "a message", "-a", "someone", name, image2)  # fmt: skip
    assert cli.ok("run", "--rm", image2) == "written\n"
    assert cli.ok("run", "--rm", image2, "sh", "-c", "echo $COLOR") == "blue\n"
    doc = json.loads(cli.ok("image", "inspect", image2))[0]
    assert doc["Comment"] == "a message" and doc["Author"] == "someone"
    assert doc["Config"]["Cmd"] == ["cat", "/the/dir/file"]
    # a running container can be committed too (paused by default)
    live = res.container("live")
    cli.ok("run", "-d", "--name", live, "busybox", "sh", "-c", "echo live > /live; exec sleep 600")
    image3 = res.image("e2e/committed", "3")
    deadline = time.monotonic() + 10
    while cli.run("exec", live, "test", "-f", "/live").returncode != 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    cli.ok("commit", live, image3)
    assert cli.state(live) == "running"
    assert cli.ok("run", "--rm", image3, "cat", "/live") == "live\n"
    for ref in (image, image2, image3):
        cli.ok("rmi", ref)
    assert cli.ok("images", "-q", image.rsplit(":", 1)[0]) == ""


def test_export_is_the_container_filesystem(cli: Cli, res: Resources, tmp_path: Path) -> None:
    name = res.container("export")
    cli.ok("run", "--name", name, "busybox", "sh", "-c", WRITE)
    data = cli.raw("export", name)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = {m.name.rstrip("/").removeprefix("./") for m in tar.getmembers()}
        assert tar.extractfile("the/dir/file").read() == b"written\n"  # type: ignore[union-attr]
    assert {"bin/busybox", "bin/sh", "etc/passwd", "the/dir/file"} <= names
    assert "bin/vi" not in names
    assert {"etc/hosts", "etc/resolv.conf", "proc", "sys", "dev"} <= names
    out = tmp_path / "fs.tar"
    cli.ok("export", "-o", str(out), name)
    with tarfile.open(out) as tar:
        assert "the/dir/file" in {m.name.removeprefix("./") for m in tar.getmembers()}
    # `docker export c | tar -t`
    listing = subprocess.run(["tar", "-t"], input=data, capture_output=True, timeout=30, check=True)
    assert "the/dir/file" in listing.stdout.decode().split()


def test_cp_both_ways(cli: Cli, res: Resources, tmp_path: Path) -> None:
    name = res.container("cp")
    cli.ok("run", "-d", "--name", name, "busybox", "sleep", "600")
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("A\n")
    (src / "sub" / "b.txt").write_text("B\n")
    (src / "run.sh").write_text("#!/bin/sh\necho ran\n")
    (src / "run.sh").chmod(0o755)
    cli.ok("cp", str(src), f"{name}:/dst")  # /dst does not exist: the dir is copied as /dst
    assert cli.ok("exec", name, "cat", "/dst/a.txt", "/dst/sub/b.txt") == "A\nB\n"
    assert cli.ok("exec", name, "/dst/run.sh") == "ran\n"
    cli.ok("cp", str(src / "a.txt"), f"{name}:/tmp/renamed.txt")
    assert cli.ok("exec", name, "cat", "/tmp/renamed.txt") == "A\n"
    cli.ok("cp", str(src), f"{name}:/tmp")  # existing dir: copied inside it
    assert cli.ok("exec", name, "cat", "/tmp/src/sub/b.txt") == "B\n"

    cli.ok("exec", name, "sh", "-c", "mkdir -p /out/deep && echo out > /out/deep/f")
    back = tmp_path / "back"
    cli.ok("cp", f"{name}:/out", str(back))
    assert (back / "deep" / "f").read_text() == "out\n"
    cli.ok("cp", f"{name}:/etc/passwd", str(tmp_path))
    assert "root:" in (tmp_path / "passwd").read_text()
    # `cp ctr:path -` writes a tar to stdout
    with tarfile.open(fileobj=io.BytesIO(cli.raw("cp", f"{name}:/out/deep/f", "-"))) as tar:
        assert tar.extractfile("f").read() == b"out\n"  # type: ignore[union-attr]
    proc = cli.run("cp", f"{name}:/nosuch", str(tmp_path))
    assert proc.returncode != 0 and "could not find the file /nosuch" in proc.stderr.lower()
    # cp works on a stopped container too
    cli.ok("kill", name)
    cli.ok("cp", str(src / "a.txt"), f"{name}:/stopped.txt")
    cli.ok("cp", f"{name}:/stopped.txt", str(tmp_path / "stopped.txt"))
    assert (tmp_path / "stopped.txt").read_text() == "A\n"


def test_images_tag_rmi(cli: Cli, res: Resources) -> None:
    out = cli.ok("images")
    assert out.splitlines()[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    refs = cli.ok("images", "--format", "{{.Repository}}:{{.Tag}}").split()
    assert {"busybox:latest", "hello-world:latest"} <= set(refs)
    bb_id = cli.fmt("{{.Id}}", "busybox", command="image inspect")
    tagged = res.image("e2e/mybox", "v1")
    cli.ok("tag", "busybox", tagged)
    repo = tagged.rsplit(":", 1)[0]
    assert cli.fmt("{{.Id}}", tagged, command="image inspect") == bb_id
    assert cli.ok("images", repo, "--format", "{{.Tag}}").split() == ["v1"]
    assert cli.ok("images", "-q", "--no-trunc", repo).strip() == bb_id
    assert cli.ok("run", "--rm", tagged, "echo", "tagged") == "tagged\n"
    assert cli.ok("image", "ls", "--filter", f"reference={repo}", "--format", "{{.Tag}}").split() == [
        "v1"
    ]
    out = cli.ok("rmi", tagged)
    assert f"Untagged: {tagged}" in out
    assert "Deleted" not in out  # busybox:latest still holds the image
    assert cli.ok("images", "-q", repo) == ""
    assert cli.fmt("{{.Id}}", "busybox", command="image inspect") == bb_id
    proc = cli.run("rmi", tagged)
    assert proc.returncode != 0 and "no such image" in proc.stderr.lower()


def test_save_load_round_trip(cli: Cli, res: Resources, tmp_path: Path) -> None:
    ref = res.image("e2e/roundtrip", "1")
    cli.ok("tag", "busybox", ref)
    image_id = cli.fmt("{{.Id}}", ref, command="image inspect")
    # save to stdout (`docker save img > file`) and with -o
    data = cli.raw("save", ref)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert manifest[0]["RepoTags"] == [ref]
    out = tmp_path / "img.tar"
    cli.ok("save", "-o", str(out), ref)
    assert out.stat().st_size > 0

    cli.ok("rmi", ref)
    assert cli.run("image", "inspect", ref).returncode != 0
    loaded = cli.ok("load", input=data)  # `docker load < file`
    assert f"Loaded image: {ref}" in loaded
    assert cli.fmt("{{.Id}}", ref, command="image inspect") == image_id
    assert cli.ok("run", "--rm", ref, "echo", "round trip") == "round trip\n"
    cli.ok("rmi", ref)
    assert f"Loaded image: {ref}" in cli.ok("load", "-i", str(out))
    assert cli.fmt("{{.Id}}", ref, command="image inspect") == image_id
    assert cli.ok("rmi", ref).strip() == f"Untagged: {ref}"  # busybox:latest keeps the layers
