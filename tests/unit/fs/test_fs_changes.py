import os
import stat
from pathlib import Path

import pytest
from testing.tarhelpers import IS_ROOT

from dockyard.fs.changes import (
    CHANGE_ADD,
    CHANGE_DELETE,
    CHANGE_MODIFY,
    Change,
    changes_from_upper,
)


def _mk(base: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = base / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def test_added_and_modified(tmp_path):
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    _mk(lower, {"etc/hosts": "a", "etc/passwd": "p"})
    _mk(upper, {"etc/hosts": "b", "new/dir/file": "n"})
    os.symlink("/etc", lower / "etclink")
    result = changes_from_upper(upper, [lower])
    assert result == [
        Change("/etc", CHANGE_MODIFY),
        Change("/etc/hosts", CHANGE_MODIFY),
        Change("/new", CHANGE_ADD),
        Change("/new/dir", CHANGE_ADD),
        Change("/new/dir/file", CHANGE_ADD),
    ]
    assert str(result[0]) == "C /etc" and result[2].to_json() == {"Path": "/new", "Kind": 1}


def test_unchanged_parent_dir_reported_only_for_add_or_delete(tmp_path):
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    _mk(lower, {"a/b/old": "o"})
    _mk(upper, {"a/b/new": "n"})
    for d in ("a", "a/b"):  # same metadata as the lower dirs
        st = (lower / d).stat()
        os.chmod(upper / d, stat.S_IMODE(st.st_mode))
    for d in ("a/b", "a"):
        st = (lower / d).stat()
        os.utime(upper / d, ns=(st.st_atime_ns, st.st_mtime_ns))
    if (upper / "a").stat().st_size != (lower / "a").stat().st_size:
        pytest.skip("directory sizes differ on this filesystem")
    assert changes_from_upper(upper, [lower]) == [
        Change("/a/b", CHANGE_MODIFY),
        Change("/a/b/new", CHANGE_ADD),
    ]


@pytest.mark.skipif(not IS_ROOT, reason="whiteouts need root")
def test_deletions(tmp_path):
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    _mk(lower, {"etc/gone": "g", "var/cache/x": "x"})
    (upper / "etc").mkdir(parents=True)
    os.mknod(upper / "etc/gone", stat.S_IFCHR, 0)
    (upper / "var/cache").mkdir(parents=True)
    os.setxattr(upper / "var/cache", "trusted.overlay.opaque", b"y")
    (upper / "var/cache/y").write_text("y")
    kinds = {c.path: c.kind for c in changes_from_upper(upper, [lower])}
    assert kinds["/etc/gone"] == CHANGE_DELETE
    assert kinds["/etc"] == CHANGE_MODIFY
    assert kinds["/var/cache"] == CHANGE_DELETE
    assert kinds["/var/cache/y"] == CHANGE_ADD


def test_excluded_mount_points(tmp_path):
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    _mk(lower, {"etc/passwd": "p"})
    _mk(upper, {"etc/hosts": "", "etc/resolv.conf": "", "proc/x": "", "tmp/real": "r"})
    exclude = ["/etc/hosts", "/etc/resolv.conf", "/proc"]
    result = changes_from_upper(upper, [lower], exclude=exclude)
    assert result == [Change("/tmp", CHANGE_ADD), Change("/tmp/real", CHANGE_ADD)]
    (upper / "etc/new").write_text("n")
    kinds = {c.path: c.kind for c in changes_from_upper(upper, [lower], exclude=exclude)}
    assert kinds == {"/etc": 0, "/etc/new": 1, "/tmp": 1, "/tmp/real": 1}
