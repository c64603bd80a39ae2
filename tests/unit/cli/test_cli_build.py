"""The build context: .dockerignore rules and the tar sent to the daemon."""

import io
import tarfile

from dockyard.client.buildcontext import context_tar
from dockyard.common.dockerignore import DockerIgnore


def test_dockerignore_rules():
    ig = DockerIgnore("*.log\nbuild\n!build/keep.txt\n**/tmp\n")
    assert ig.excluded("a.log")
    assert not ig.excluded("dir/a.log")
    assert ig.excluded("build/x.o")
    assert not ig.excluded("build/keep.txt")
    assert ig.excluded("deep/er/tmp")
    assert not ig.excluded("src/main.py")


def test_context_tar_honours_dockerignore(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM busybox\n")
    (tmp_path / ".dockerignore").write_text("*.log\nsecret/\nDockerfile\n")
    (tmp_path / "app.py").write_text("print(1)\n")
    (tmp_path / "x.log").write_text("noise")
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "key").write_text("k")
    body, name, size = context_tar(str(tmp_path), str(tmp_path / "Dockerfile"))
    assert isinstance(body, bytes) and len(body) == size
    names = sorted(tarfile.open(fileobj=io.BytesIO(body)).getnames())
    assert name == "Dockerfile"
    assert names == [".dockerignore", "Dockerfile", "app.py"]
