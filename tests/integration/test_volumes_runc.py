"""The OCI mounts we plan really work under runc: binds, ro/rro, volumes, copy-up, tmpfs.

Containers are run with plain `runc run` on a busybox rootfs, so these tests depend on
nothing but the mounts code and runc itself.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dockyard.containers.mounts import (
    PlannedMount,
    plan_mounts,
    populate_volumes,
    setup_mounts,
    teardown_mounts,
)
from dockyard.volumes import localopts
from dockyard.volumes.store import VolumeStore

BUSYBOX = "/bin/busybox"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        os.geteuid() != 0 or not shutil.which("runc") or not os.path.exists(BUSYBOX),
        reason="needs root, runc and busybox-static",
    ),
]


@pytest.fixture
def rootfs(tmp_path: Path) -> Path:
    root = tmp_path / "rootfs"
    for d in ("bin", "etc", "proc", "sys", "dev", "tmp"):
        (root / d).mkdir(parents=True)
    root.chmod(0o755)
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    for name in ("sh", "cat", "ls", "touch", "grep", "echo", "stat", "mkdir"):
        (root / "bin" / name).symlink_to("busybox")
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (root / "etc" / "group").write_text("root:x:0:\n")
    (root / "srv" / "www").mkdir(parents=True)
    (root / "srv" / "www" / "index.html").write_text("from the image\n")
    os.chown(root / "srv" / "www", 33, 33)
    os.chmod(root / "srv" / "www", 0o750)
    return root


@pytest.fixture
def store(tmp_path: Path) -> Iterator[VolumeStore]:
    vs = VolumeStore(tmp_path / "data")
    try:
        yield vs
    finally:
        for mnt in sorted(localopts.mounts_under(tmp_path), reverse=True):
            subprocess.run(["umount", "-l", mnt], check=False)


def run(tmp_path: Path, rootfs: Path, mounts: list[dict[str, Any]], script: str) -> tuple[int, str]:
    """Run `sh -c script` in a fresh container; returns (exit code, stdout+stderr)."""
    cid = "dyvol-" + secrets.token_hex(6)
    bundle = tmp_path / cid
    bundle.mkdir()
    subprocess.run(["runc", "spec", "--bundle", str(bundle)], check=True)
    spec = json.loads((bundle / "config.json").read_text())
    spec["root"] = {"path": str(rootfs), "readonly": False}
    spec["process"]["terminal"] = False
    spec["process"]["args"] = ["/bin/sh", "-c", script]
    caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_KILL", "CAP_SETUID", "CAP_SETGID"]
    spec["process"]["capabilities"] = {k: caps for k in ("bounding", "effective", "permitted")}
    spec["mounts"] += mounts
    (bundle / "config.json").write_text(json.dumps(spec))
    try:
        proc = subprocess.run(
            ["runc", "run", "--bundle", str(bundle), cid],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return proc.returncode, proc.stdout + proc.stderr
    finally:
        subprocess.run(["runc", "delete", "--force", cid], capture_output=True, check=False)


def start(plan: list[PlannedMount], store: VolumeStore, **kw: Any) -> list[dict[str, Any]]:
    return setup_mounts(plan, store, **kw)


def test_named_volume_outlives_its_container(tmp_path: Path, rootfs: Path, store: VolumeStore):
    plan = plan_mounts({}, {"Binds": ["keep:/data"]}, None, store)
    rc, out = run(tmp_path, rootfs, start(plan, store), "echo persisted > /data/f")
    assert rc == 0, out
    teardown_mounts(plan, store)
    plan2 = plan_mounts({}, {"Binds": ["keep:/data:ro"]}, None, store)
    rc, out = run(
        tmp_path, rootfs, start(plan2, store), "cat /data/f; touch /data/g 2>/dev/null || echo RO"
    )
    assert rc == 0, out
    assert out.split() == ["persisted", "RO"]


def test_copy_up_seeds_new_volume_with_image_content(
    tmp_path: Path, rootfs: Path, store: VolumeStore
):
    plan = plan_mounts({}, {"Binds": ["site:/srv/www"]}, {"/srv/www": {}}, store)
    assert populate_volumes(plan, rootfs, store) == ["site"]
    data = Path(store.get("site")["Mountpoint"])
    st = data.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (33, 33, 0o750)
    rc, out = run(
        tmp_path, rootfs, start(plan, store), "cat /srv/www/index.html; echo mine > /srv/www/new"
    )
    assert rc == 0, out
    assert out == "from the image\n"
    # a second container: the populated volume is not copied over again
    plan2 = plan_mounts({}, {"Binds": ["site:/srv/www"]}, None, store)
    (rootfs / "srv" / "www" / "index.html").write_text("changed image\n")
    assert populate_volumes(plan2, rootfs, store) == []
    rc, out = run(tmp_path, rootfs, start(plan2, store), "cat /srv/www/index.html /srv/www/new")
    assert out == "from the image\nmine\n", out


def test_anonymous_image_volume(tmp_path: Path, rootfs: Path, store: VolumeStore):
    plan = plan_mounts({}, {}, {"/srv/www": {}}, store)
    populate_volumes(plan, rootfs, store)
    rc, out = run(tmp_path, rootfs, start(plan, store), "grep -c ' /srv/www ' /proc/mounts")
    assert rc == 0 and out.strip() == "1", out
    assert (Path(plan[0].source) / "index.html").exists()


def test_bind_ro_and_created_host_dir(tmp_path: Path, rootfs: Path, store: VolumeStore):
    src = tmp_path / "hostsrc"
    src.mkdir()
    (src / "conf").write_text("x=1\n")
    made = tmp_path / "made" / "by" / "v"
    plan = plan_mounts({}, {"Binds": [f"{src}:/etc/app:ro", f"{made}:/out"]}, None, store)
    rc, out = run(
        tmp_path,
        rootfs,
        start(plan, store),
        "cat /etc/app/conf; touch /etc/app/y 2>/dev/null || echo RO; echo hi > /out/w",
    )
    assert rc == 0, out
    assert out.split() == ["x=1", "RO"]
    assert (made / "w").read_text() == "hi\n"


def test_recursively_read_only(tmp_path: Path, rootfs: Path, store: VolumeStore):
    src = tmp_path / "tree"
    (src / "sub").mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(src / "sub")], check=True)
    try:
        plan = plan_mounts({}, {"Binds": [f"{src}:/t:ro"]}, None, store)
        script = "touch /t/sub/x 2>/dev/null && echo WRITABLE || echo RO"
        rc, out = run(tmp_path, rootfs, start(plan, store, recursive_readonly=True), script)
        assert out.strip() == "RO", out
        rc, out = run(tmp_path, rootfs, start(plan, store, recursive_readonly=False), script)
        assert out.strip() == "WRITABLE", out  # plain ro leaves submounts writable
    finally:
        subprocess.run(["umount", "-l", str(src / "sub")], check=False)


def test_tmpfs_mounts(tmp_path: Path, rootfs: Path, store: VolumeStore):
    plan = plan_mounts(
        {},
        {
            "Tmpfs": {"/run2": "size=1m,mode=1770"},
            "Mounts": [{"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": 2 << 20}}],
        },
        None,
        store,
    )
    rc, out = run(
        tmp_path,
        rootfs,
        start(plan, store),
        "grep -E ' /(run2|t) ' /proc/mounts; stat -c %a /run2",
    )
    assert rc == 0, out
    lines = {line.split()[1]: line.split()[3].split(",") for line in out.splitlines()[:2]}
    assert {"nosuid", "nodev", "noexec", "size=1024k"} <= set(lines["/run2"])
    assert {"nosuid", "nodev", "noexec", "size=2048k"} <= set(lines["/t"])
    assert out.splitlines()[2] == "1770"


def test_tmpfs_driver_volume_in_container(tmp_path: Path, rootfs: Path, store: VolumeStore):
    store.create("mem", driver_opts={"type": "tmpfs", "device": "tmpfs", "o": "size=3m"})
    plan = plan_mounts({}, {"Binds": ["mem:/mem"]}, None, store)
    mounts = start(plan, store)
    try:
        rc, out = run(tmp_path, rootfs, mounts, "grep ' /mem ' /proc/mounts")
        assert rc == 0 and "tmpfs" in out and "size=3072k" in out, out
    finally:
        teardown_mounts(plan, store)
    assert not localopts.is_mounted(store.data_path("mem"))
