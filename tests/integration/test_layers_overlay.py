"""Layers applied by apply_layer behave as Docker's under a real overlayfs mount, and
diff_from_upper turns a container's changes back into a layer that reproduces them."""

import contextlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from testing.tarhelpers import make_tar, tree  # noqa: E402

from dockyard.fs.changes import (  # noqa: E402
    CHANGE_ADD,
    CHANGE_DELETE,
    CHANGE_MODIFY,
    changes_from_upper,
)
from dockyard.images.layers import apply_layer, diff_from_upper  # noqa: E402

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to mount overlayfs"),
]

OPTS = "redirect_dir=off,index=off,metacopy=off"


@contextlib.contextmanager
def overlay(tmp: Path, lowers: list[Path], name: str):
    upper, work, merged = tmp / f"{name}-upper", tmp / f"{name}-work", tmp / f"{name}-merged"
    for d in (upper, work, merged):
        d.mkdir()
    lowerdir = ":".join(str(p) for p in lowers)  # first is the top-most
    subprocess.run(
        ["mount", "-t", "overlay", "overlay", "-o",
         f"lowerdir={lowerdir},upperdir={upper},workdir={work},{OPTS}", str(merged)],
        check=True,
    )  # fmt: skip
    try:
        yield merged, upper
    finally:
        if subprocess.run(["umount", str(merged)]).returncode != 0:
            subprocess.run(["umount", "-l", str(merged)])


def layer(tmp: Path, name: str, data: bytes) -> Path:
    d = tmp / name
    d.mkdir()
    apply_layer(io.BytesIO(data), d)
    return d


def test_whiteouts_and_opaque_dirs_under_overlayfs(tmp_path):
    l1 = layer(
        tmp_path,
        "l1",
        make_tar(
            ("file", "a", b"a"),
            ("file", "d/x", b"x"),
            ("file", "d/y", b"y"),
            ("file", "e/f", b"f"),
            ("file", "keep", b"k"),
        ),
    )
    l2 = layer(
        tmp_path,
        "l2",
        make_tar(
            ("file", ".wh.a", b""),
            ("dir", "d"),
            ("file", "d/.wh..wh..opq", b""),
            ("file", "d/z", b"z"),
            ("file", "e/g", b"g"),
        ),
    )
    with overlay(tmp_path, [l2, l1], "c1") as (merged, upper):
        assert sorted(os.listdir(merged)) == ["d", "e", "keep"]
        assert sorted(os.listdir(merged / "d")) == ["z"]
        assert sorted(os.listdir(merged / "e")) == ["f", "g"]

        # A container's changes.
        (merged / "e/f").unlink()
        (merged / "keep").write_text("changed")
        shutil.rmtree(merged / "d")
        (merged / "d").mkdir()
        (merged / "d/new").write_text("new")
        (merged / "n/m").mkdir(parents=True)
        (merged / "n/m/file").write_text("deep")
        os.symlink("keep", merged / "ln")
        expected = tree(merged)

    kinds = {c.path: c.kind for c in changes_from_upper(upper, [l2, l1])}
    assert kinds == {
        "/d": CHANGE_DELETE,  # removed and re-created: an opaque dir
        "/d/new": CHANGE_ADD,
        "/e": CHANGE_MODIFY,
        "/e/f": CHANGE_DELETE,
        "/keep": CHANGE_MODIFY,
        "/ln": CHANGE_ADD,
        "/n": CHANGE_ADD,
        "/n/m": CHANGE_ADD,
        "/n/m/file": CHANGE_ADD,
    }

    diff = io.BytesIO()
    diff_from_upper(upper, diff)
    names = _names(diff.getvalue())
    assert "e/.wh.f" in names
    assert "d/.wh..wh..opq" in names
    assert "n/m/file" in names

    l3 = layer(tmp_path, "l3", diff.getvalue())
    with overlay(tmp_path, [l3, l2, l1], "c2") as (merged2, _):
        assert tree(merged2) == expected


def _names(data: bytes) -> list[str]:
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        return tf.getnames()
