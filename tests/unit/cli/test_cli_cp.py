"""docker cp path rules in both directions, against a fake Engine API client."""

import base64
import io
import json
import os
import tarfile

import pytest

from dockyard.cli.common import CLIError
from dockyard.cli.cp import GO_MODE_DIR, copy_from_container, copy_to_container, split_cp_arg
from dockyard.client.engine import Engine


def _stat(name, is_dir):
    doc = {"name": name, "size": 0, "mode": (GO_MODE_DIR | 0o755) if is_dir else 0o644}
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode()


class FakeResp:
    def __init__(self, data=b"", headers=None):
        self.data = data
        self.headers = headers or {}

    def read(self):
        return self.data

    def iter_chunks(self):
        yield self.data


class FakeClient:
    """A container with /tmp/d (a dir holding a and sub/b) and /tmp/f.txt."""

    def __init__(self):
        self.puts = []
        tree = {"/tmp/d": True, "/tmp/f.txt": False, "/tmp": True}
        self.tree = tree

    def _tar(self, path):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:

            def add(name, data=None):
                info = tarfile.TarInfo(name)
                if data is None:
                    info.type = tarfile.DIRTYPE
                    info.mode = 0o755
                    tar.addfile(info)
                else:
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))

            if path.rstrip("/.").endswith("/tmp/d"):
                add("d")
                add("d/a", b"A")
                add("d/sub")
                add("d/sub/b", b"B")
            else:
                add("f.txt", b"F")
        return buf.getvalue()

    def request(self, method, path, params=None, body=None, headers=None):
        p = params["path"]
        clean = p.rstrip("/") if p not in ("/",) else p
        clean = clean[:-2] if clean.endswith("/.") else clean
        if method == "HEAD":
            if clean not in self.tree:
                from dockyard.client.api import APIError

                raise APIError(404, "not found")
            return FakeResp(
                headers={
                    "X-Docker-Container-Path-Stat": _stat(os.path.basename(clean), self.tree[clean])
                }
            )
        if method == "GET":
            return FakeResp(
                self._tar(p),
                {"X-Docker-Container-Path-Stat": _stat(os.path.basename(clean), self.tree[clean])},
            )
        if method == "PUT":
            names = tarfile.open(fileobj=io.BytesIO(body.read())).getnames()
            self.puts.append((p, sorted(names)))
            return FakeResp()
        raise AssertionError(method)


class Ctx:
    def __init__(self):
        self.client = FakeClient()
        self.api = Engine(self.client)


def _tree(root):
    out = []
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            out.append(os.path.relpath(os.path.join(d, n), root))
    return sorted(out)


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_from_container_dir_to_new_path(cwd):
    copy_from_container(Ctx(), "c", "/tmp/d", "out", False)
    assert _tree(cwd / "out") == ["a", "sub", "sub/b"]


def test_from_container_dir_into_existing_dir(cwd):
    (cwd / "out").mkdir()
    copy_from_container(Ctx(), "c", "/tmp/d", "out", False)
    assert _tree(cwd / "out") == ["d", "d/a", "d/sub", "d/sub/b"]


def test_from_container_dir_contents_into_existing_dir(cwd):
    (cwd / "out").mkdir()
    copy_from_container(Ctx(), "c", "/tmp/d/.", "out", False)
    assert _tree(cwd / "out") == ["a", "sub", "sub/b"]


def test_from_container_file_into_dir_and_to_new_name(cwd):
    (cwd / "out").mkdir()
    copy_from_container(Ctx(), "c", "/tmp/f.txt", "out", False)
    copy_from_container(Ctx(), "c", "/tmp/f.txt", "renamed", False)
    assert (cwd / "out" / "f.txt").read_text() == "F"
    assert (cwd / "renamed").read_text() == "F"


def test_from_container_errors(cwd):
    (cwd / "file").write_text("x")
    with pytest.raises(CLIError, match="^cannot copy directory$"):
        copy_from_container(Ctx(), "c", "/tmp/d", "file", False)
    with pytest.raises(CLIError, match="^no such directory$"):
        copy_from_container(Ctx(), "c", "/tmp/f.txt", "missing/", False)
    with pytest.raises(CLIError, match="invalid output path"):
        copy_from_container(Ctx(), "c", "/tmp/f.txt", "nodir/x", False)
    with pytest.raises(CLIError, match="not a directory"):
        copy_from_container(Ctx(), "c", "/tmp/f.txt", "file/", False)


def test_to_container_rules(cwd):
    (cwd / "src").mkdir()
    (cwd / "src" / "a").write_text("a")
    (cwd / "f.txt").write_text("f")
    ctx = Ctx()
    copy_to_container(ctx, "src", "c", "/tmp", False, False)
    copy_to_container(ctx, "src/.", "c", "/tmp/d", False, False)
    copy_to_container(ctx, "src", "c", "/tmp/new", False, False)
    copy_to_container(ctx, "f.txt", "c", "/tmp/f.txt", False, False)
    copy_to_container(ctx, "f.txt", "c", "/tmp/g.txt", False, False)
    assert ctx.client.puts == [
        ("/tmp", ["src", "src/a"]),
        ("/tmp/d", ["a"]),
        ("/tmp", ["new", "new/a"]),
        ("/tmp", ["f.txt"]),
        ("/tmp", ["g.txt"]),
    ]


def test_to_container_errors(cwd):
    (cwd / "src").mkdir()
    (cwd / "f.txt").write_text("f")
    with pytest.raises(CLIError, match="^cannot copy directory$"):
        copy_to_container(Ctx(), "src", "c", "/tmp/f.txt", False, False)
    with pytest.raises(CLIError, match="^no such directory$"):
        copy_to_container(Ctx(), "f.txt", "c", "/nodir/", False, False)
    with pytest.raises(CLIError, match="^not a directory$"):
        copy_to_container(Ctx(), "f.txt/", "c", "/tmp", False, False)
    with pytest.raises(CLIError, match="no such file or directory"):
        copy_to_container(Ctx(), "missing", "c", "/tmp", False, False)


def test_split_cp_arg():
    assert split_cp_arg("web:/etc/hosts") == ("web", "/etc/hosts")
    assert split_cp_arg("/tmp/a:b") == ("", "/tmp/a:b")
    assert split_cp_arg("./a:b") == ("", "./a:b")
    assert split_cp_arg("file.txt") == ("", "file.txt")
    assert split_cp_arg("-") == ("", "-")
    assert split_cp_arg("web:.") == ("web", ".")
