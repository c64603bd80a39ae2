"""client/buildcontext: the context tar is what tarfile writes in PAX mode, byte for byte."""

import io
import os
import tarfile

import pytest

from dockyard.client import buildcontext
from dockyard.client.buildcontext import context_tar


def _tarfile_reference(context, rels, named=()):
    """The archive as tarfile writes it: owner 0:0 without names, whole-second times."""

    def reset(info):
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = int(info.mtime)
        return info

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for rel in rels:
            tf.add(os.path.join(context, rel), arcname=rel, recursive=False, filter=reset)
        for index, path in enumerate(named):
            prefix = f".dockyard-contexts/{index}"
            tf.add(path, arcname=prefix, recursive=False, filter=reset)
            for root, dirs, files in os.walk(path):
                dirs.sort()
                rel_root = os.path.relpath(root, path)
                for n in [*dirs, *sorted(files)]:
                    rel = n if rel_root == "." else os.path.join(rel_root, n)
                    tf.add(os.path.join(root, n), arcname=f"{prefix}/{rel}", recursive=False,
                           filter=reset)  # fmt: skip
        end = tf.offset
    return buf.getvalue()[:end] + b"\0" * 1024


@pytest.fixture
def tricky(tmp_path):
    ctx = tmp_path / "ctx"
    deep = ctx / "a" / "b" / "/".join(["x" * 9] * 15)
    deep.mkdir(parents=True)
    (ctx / "Dockerfile").write_text("FROM scratch\n")
    (ctx / "a" / "f.txt").write_text("hello")
    (ctx / "a" / "b" / "big").write_bytes(os.urandom(5000))
    os.link(ctx / "a" / "f.txt", ctx / "a" / "hard")
    os.symlink("f.txt", ctx / "a" / "ln")
    os.symlink("/" + "y" * 150, ctx / "a" / "longlink")
    (ctx / "a" / "ünï").write_text("u")
    (deep / "deep").write_text("deep")
    os.mkfifo(ctx / "fifo")
    os.utime(ctx / "a" / "f.txt", (1, -5))  # before 1970: a PAX mtime
    return ctx


def test_same_bytes_as_tarfile(tricky):
    body, name, size = context_tar(str(tricky), None, None, [str(tricky / "a")])
    assert name == "Dockerfile" and len(body) == size
    rels = buildcontext._walk(str(tricky), None, set())
    assert body == _tarfile_reference(str(tricky), rels, [str(tricky / "a")])
    members = {m.name: m for m in tarfile.open(fileobj=io.BytesIO(body))}
    assert members["a/hard"].islnk() and members["a/hard"].linkname == "a/f.txt"
    assert members["a/longlink"].linkname == "/" + "y" * 150
    assert members["a/f.txt"].mtime == -5
    assert any(n.endswith("/deep") and len(n) > 100 for n in members)


def test_dockerfile_outside_the_context_and_inline(tmp_path):
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx" / "app").write_text("x")
    (tmp_path / "Other.Dockerfile").write_text("FROM busybox\n")
    body, name, _ = context_tar(str(tmp_path / "ctx"), str(tmp_path / "Other.Dockerfile"))
    tf = tarfile.open(fileobj=io.BytesIO(body))
    assert name.startswith(".dockerfile.") and len(name) == len(".dockerfile.") + 20
    assert tf.extractfile(name).read() == b"FROM busybox\n"
    assert tf.getmember(name).mode == 0o600
    body, name, _ = context_tar(str(tmp_path / "ctx"), None, b"FROM x\n")
    assert tarfile.open(fileobj=io.BytesIO(body)).extractfile(name).read() == b"FROM x\n"


def test_dockerfile_inside_the_context_keeps_its_name(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "Dockerfile.dev").write_text("FROM x\n")
    (tmp_path / ".dockerignore").write_text("sub\n")
    body, name, _ = context_tar(str(tmp_path), "sub/Dockerfile.dev")
    assert name == "sub/Dockerfile.dev"
    assert tarfile.open(fileobj=io.BytesIO(body)).getnames() == [".dockerignore", name]


def test_a_large_context_spools_to_a_file(tmp_path, monkeypatch):
    monkeypatch.setattr(buildcontext, "_SPOOL_MAX", 4096)
    (tmp_path / "Dockerfile").write_text("FROM x\n")
    data = os.urandom(20000)
    (tmp_path / "blob").write_bytes(data)
    body, _, size = context_tar(str(tmp_path))
    assert not isinstance(body, bytes)
    raw = body.read()
    assert len(raw) == size
    assert tarfile.open(fileobj=io.BytesIO(raw)).extractfile("blob").read() == data


def test_a_file_that_shrinks_while_read_fails(tmp_path, monkeypatch):
    (tmp_path / "Dockerfile").write_text("FROM x\n")
    real = os.lstat

    def bigger(path, *a, **k):
        st = real(path, *a, **k)
        if str(path).endswith("Dockerfile"):
            return os.stat_result((*st[:6], st.st_size + 10, *st[7:]))
        return st

    monkeypatch.setattr(buildcontext.os, "lstat", bigger)
    with pytest.raises(OSError, match="changed size"):
        context_tar(str(tmp_path))
