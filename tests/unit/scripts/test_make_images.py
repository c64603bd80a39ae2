"""scripts/make_images.py: the quick recipes (busybox, hello-world) and layer building."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import shutil
import sys
import tarfile
from pathlib import Path

import pytest

from dockyard.images.archive_format import read_image_archive

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "make_images.py"
EPOCH = 1700000000


def _load():
    spec = importlib.util.spec_from_file_location("make_images", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_images"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


mi = _load()


def layer_members(archive_path: Path) -> tuple[dict, dict[str, tarfile.TarInfo], bytes]:
    with open(archive_path, "rb") as f, read_image_archive(f) as archive:
        (image,) = archive.images
        (layer,) = image.layers
        with layer.open() as stream:
            data = stream.read()
        config = image.config_json
        tags = image.repo_tags
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        members = {m.name: m for m in t.getmembers()}
    return {"config": config, "tags": tags}, members, data


@pytest.mark.skipif(not mi.BUSYBOX.exists(), reason="needs busybox-static")
def test_busybox_image(tmp_path):
    out = mi.make_image(mi.RECIPES["busybox"], tmp_path, EPOCH)
    meta, members, _ = layer_members(out)
    assert meta["tags"] == ("busybox:latest",)
    cfg = meta["config"]
    assert cfg["config"]["Cmd"] == ["sh"]
    assert cfg["config"]["Env"] == [mi.PATH_ENV]
    assert (cfg["architecture"], cfg["os"]) == ("amd64", "linux")
    assert [h.get("empty_layer", False) for h in cfg["history"]] == [False, True]
    assert members["bin/busybox"].isreg()
    assert members["bin/sh"].islnk() and members["bin/sh"].linkname == "bin/busybox"
    assert members["tmp"].mode == 0o1777
    assert members["root"].mode == 0o700
    assert {m.mtime for m in members.values()} == {EPOCH}
    assert {(m.uid, m.gid) for m in members.values()} == {(0, 0)}
    applets = {a for a in mi.busybox_applets() if a not in ("bin/busybox", "linuxrc")}
    assert applets <= set(members)
    with tarfile.open(fileobj=io.BytesIO(layer_members(out)[2])) as t:
        passwd = t.extractfile("etc/passwd").read().decode()  # type: ignore[union-attr]
    assert passwd.startswith("root:x:0:0:") and "\nnobody:x:65534:" in passwd


@pytest.mark.skipif(not mi.BUSYBOX.exists(), reason="needs busybox-static")
def test_up_to_date_outputs_are_reused(tmp_path, capsys):
    recipe = mi.RECIPES["busybox"]
    out = mi.make_image(recipe, tmp_path, EPOCH)
    first = out.read_bytes()
    os.utime(out, (1, 1))
    mi.make_image(recipe, tmp_path, EPOCH)
    assert out.stat().st_mtime == 1  # untouched
    assert "up to date" in capsys.readouterr().err
    # a changed input (here: the stamp) means a rebuild, with identical bytes
    stamp = tmp_path / "busybox.stamp"
    stamp.write_text(json.dumps({"stale": True}))
    mi.make_image(recipe, tmp_path, EPOCH)
    assert out.stat().st_mtime != 1
    assert out.read_bytes() == first
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_hello_world_image(tmp_path):
    out = mi.make_image(mi.RECIPES["hello-world"], tmp_path, EPOCH)
    meta, members, _ = layer_members(out)
    assert meta["tags"] == ("hello-world:latest",)
    assert meta["config"]["config"]["Cmd"] == ["/hello"]
    assert list(members) == ["hello"]
    hello = members["hello"]
    assert hello.mode == 0o755 and hello.size < 4096


def test_layer_writer_tree(tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "a").write_text("a")
    os.link(root / "etc" / "a", root / "etc" / "b")
    (root / "etc" / "link").symlink_to("a")
    os.mkfifo(root / "fifo")
    (root / "dev").mkdir()
    (root / "dev" / "junk").write_text("x")
    os.utime(root / "etc" / "a", (EPOCH - 100, EPOCH - 100))
    lw = mi.LayerWriter(tmp_path / "layer.tar", EPOCH)
    lw.tree(root, skip_contents=["dev"])
    layer = lw.close()
    data = (tmp_path / "layer.tar").read_bytes()
    assert layer.size == len(data)
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        members = {m.name: m for m in t.getmembers()}
    assert list(members) == ["dev", "etc", "etc/a", "etc/b", "etc/link"]
    assert members["etc/a"].mtime == EPOCH - 100  # older times are kept
    assert members["etc"].mtime == EPOCH  # newer ones clamped
    assert members["etc/b"].islnk() and members["etc/b"].linkname == "etc/a"
    assert members["etc/link"].issym() and members["etc/link"].linkname == "a"
    assert all(m.uname == "" for m in members.values())


def test_unknown_image_name():
    assert mi.main(["--only", "nope"]) == 2


# --- the application images (scripts/app_images.py) ----------------------------------------

app = sys.modules["app_images"]


def test_app_context_digest_follows_content_and_mode(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM debian:bookworm\n")
    script = tmp_path / "docker-entrypoint.sh"
    script.write_text("#!/bin/sh\nexec \"$@\"\n")
    first = app.context_digest(tmp_path)
    assert app.context_digest(tmp_path) == first
    script.chmod(0o755)
    executable = app.context_digest(tmp_path)
    assert executable != first
    script.write_text("#!/bin/sh\nexec \"$@\" # changed\n")
    assert app.context_digest(tmp_path) not in (first, executable)


def test_app_image_ids_and_tags_from_the_archive(tmp_path):
    out = mi.make_image(mi.RECIPES["hello-world"], tmp_path, EPOCH)
    ((image_id, tags),) = app.archive_images(out)
    assert tags == ["hello-world:latest"]
    with open(out, "rb") as f, read_image_archive(f) as archive:
        assert image_id == archive.images[0].config_digest


def test_app_images_up_to_date_need_no_daemon(tmp_path, monkeypatch):
    """Fresh stamps: nothing is built and no daemon is started."""
    base = mi.make_image(mi.RECIPES["hello-world"], tmp_path, EPOCH)
    base.rename(tmp_path / f"{app.BASE}.tar")
    monkeypatch.setattr(app, "private_daemon", lambda: pytest.fail("a daemon was started"))
    seen = []

    def fresh(tar: Path, stamp_path: Path, stamp: dict) -> bool:
        seen.append((tar.name, stamp["recipe"], stamp["base"], tuple(stamp["tags"])))
        return True

    made = app.make_app_images(["nginx", "mysql"], tmp_path, None, False, fresh)
    assert [p.name for p in made] == ["nginx.tar", "mysql.tar"]
    base_id = app.archive_images(tmp_path / f"{app.BASE}.tar")[0][0]
    assert seen == [
        ("nginx.tar", "nginx", base_id, ("nginx:latest", "nginx:1.22")),
        ("mysql.tar", "mysql", base_id, app.APP_IMAGES["mysql"].tags),
    ]
    assert {"mysql:5.7", "mysql:8", "mariadb:10.11"} <= set(app.APP_IMAGES["mysql"].tags)


def test_list_tags(capsys):
    assert mi.main(["--only", "debian,python", "--list-tags"]) == 0
    assert capsys.readouterr().out.split() == [
        "debian:bookworm", "debian:12", "debian:latest", "python:latest", "python:3", "python:3.11",
    ]  # fmt: skip
