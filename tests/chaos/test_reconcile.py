"""Start-up reconciliation and `system check`, driven into each crash state on purpose: the
daemon is SIGKILLed and its database edited to what a crash between two steps leaves (a
container recorded `created` whose process runs, runc state and a monitor of a container
no record owns), or the host is given what nobody owns (a pinned netns, a mount on a
stopped container, a half-written blob). Restart (or `system check --repair`) must
release all of it, and `system check` must then find nothing."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from testing import hostleaks

pytestmark = [pytest.mark.integration, pytest.mark.chaos]


def _run_detached(daemon: Any, name: str) -> str:
    r = daemon.cli("run", "-d", "--name", name, "busybox", "sleep", "300")
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def _crash(daemon: Any) -> None:
    daemon.kill(signal.SIGKILL)
    assert daemon.proc.poll() is not None


def _edit_record(daemon: Any, cid: str, state: dict[str, Any] | None) -> None:
    """Rewrite (or, with None, delete) the container's row as a crash would have left it."""
    db = sqlite3.connect(daemon.root / "dockyard.db")
    try:
        if state is None:
            db.execute("DELETE FROM containers WHERE id=?", (cid,))
        else:
            (doc,) = db.execute("SELECT doc FROM containers WHERE id=?", (cid,)).fetchone()
            record = json.loads(doc)
            record["State"] = {**record["State"], **state}
            db.execute("UPDATE containers SET doc=? WHERE id=?", (json.dumps(record), cid))
        db.commit()
    finally:
        db.close()


def _check(daemon: Any, *flags: str) -> subprocess.CompletedProcess[str]:
    return daemon.cli("system", "check", *flags)


def _assert_released(daemon: Any, cid: str) -> None:
    snap = hostleaks.snapshot(daemon)
    assert cid not in snap.conmons and cid not in snap.runc and cid not in snap.cgroups
    assert not any(cid in m for m in snap.mounts)
    assert cid[:64] not in snap.netns
    r = _check(daemon)
    assert r.returncode == 0 and "no problems found" in r.stdout, r.stdout + r.stderr


def test_created_record_with_live_process_is_killed_at_start(daemon: Any, res: Any) -> None:
    name = res.container("ghost")
    cid = _run_detached(daemon, name)
    before = hostleaks.snapshot(daemon)
    assert cid in before.conmons and cid in before.runc and before.veths
    _crash(daemon)
    _edit_record(daemon, cid, {"Status": "created", "Running": False, "Pid": 0})
    daemon.start()
    assert daemon.cli("inspect", "-f", "{{.State.Status}}", name).stdout.strip() == "created"
    _assert_released(daemon, cid)
    assert not hostleaks.snapshot(daemon).veths
    # the container still works: it starts again and stops for good
    assert daemon.cli("start", name).returncode == 0
    assert daemon.cli("inspect", "-f", "{{.State.Running}}", name).stdout.strip() == "true"
    assert daemon.cli("rm", "-f", name).returncode == 0
    _assert_released(daemon, cid)


def test_running_record_with_live_process_is_adopted(daemon: Any, res: Any) -> None:
    name = res.container("kept")
    cid = _run_detached(daemon, name)
    _crash(daemon)
    daemon.start()
    assert daemon.cli("inspect", "-f", "{{.State.Running}}", name).stdout.strip() == "true"
    assert cid in hostleaks.snapshot(daemon).conmons
    assert _check(daemon).returncode == 0
    assert daemon.cli("exec", name, "true").returncode == 0
    assert daemon.cli("stop", "-t", "1", name).returncode == 0
    _assert_released(daemon, cid)


def test_runtime_state_without_a_record_is_released_at_start(daemon: Any, res: Any) -> None:
    name = res.container("orphan")
    cid = _run_detached(daemon, name)
    _crash(daemon)
    _edit_record(daemon, cid, None)
    daemon.start()
    assert daemon.cli("inspect", name).returncode != 0
    _assert_released(daemon, cid)
    assert not (daemon.root / "containers" / cid).exists()


def test_check_reports_and_repairs_what_nobody_owns(daemon: Any, res: Any) -> None:
    name = res.container("stopped")
    assert daemon.cli("create", "--name", name, "busybox", "true").returncode == 0
    cid = daemon.cli("inspect", "-f", "{{.Id}}", name).stdout.strip()
    merged = daemon.root / "containers" / cid / "merged"
    merged.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "none", str(merged)], check=True)
    netns = daemon.exec_root / "netns" / "stray"
    netns.parent.mkdir(exist_ok=True)
    netns.touch()
    subprocess.run(["unshare", f"--net={netns}", "true"], check=True)
    stray_file = daemon.root / "blobs" / "ingest" / "ingest-crashed"
    half_volume = daemon.root / "volumes" / ".tmp-crashed-0000"
    half_volume.mkdir()
    stray_file.write_bytes(b"half a blob")
    try:
        r = _check(daemon)
        assert r.returncode == 1, r.stdout + r.stderr
        assert f"container {cid[:12]}" in r.stdout and "mount" in r.stdout
        assert "netns stray" in r.stdout
        assert "ingest-crashed" in r.stdout and ".tmp-crashed-0000" in r.stdout
        assert "(repaired)" not in r.stdout
        r = _check(daemon, "--repair")
        assert r.returncode == 0 and "(repaired)" in r.stdout, r.stdout + r.stderr
        assert not os.path.ismount(merged) and not netns.exists() and not stray_file.exists()
        assert not half_volume.exists()
        assert _check(daemon).returncode == 0
        assert daemon.cli("start", name).returncode == 0  # the container is unharmed
    finally:
        subprocess.run(["umount", "-l", str(merged)], capture_output=True)
        subprocess.run(["umount", "-l", str(netns)], capture_output=True)
        netns.unlink(missing_ok=True)
        stray_file.unlink(missing_ok=True)


def test_check_leaves_a_healthy_daemon_alone(daemon: Any, res: Any) -> None:
    name = res.container("healthy")
    _run_detached(daemon, name)
    net = res.network("n")
    assert daemon.cli("network", "create", net).returncode == 0
    assert daemon.cli("network", "connect", net, name).returncode == 0
    r = _check(daemon, "--repair")
    assert r.returncode == 0 and "no problems found" in r.stdout, r.stdout
    assert daemon.cli("exec", name, "true").returncode == 0


def test_the_check_route_is_dockyards_own(daemon: Any) -> None:
    client = daemon.client()
    body = client.post("/_dockyard/system/check", {"repair": False})
    assert body == {"Problems": []}


def test_an_orphaned_runc_init_in_a_containers_cgroup_is_killed_at_start(
    daemon: Any, res: Any, tmp_path: Path
) -> None:
    """runc's init process waits for `runc start`; if the daemon and runc die before runc
    wrote its state, only the cgroup names the container. A stand-in for it (argv
    `runc init`, in the container's pids cgroup) must be killed and the cgroup removed."""
    name = res.container("half")
    assert daemon.cli("create", "--name", name, "busybox", "true").returncode == 0
    cid = daemon.cli("inspect", "-f", "{{.Id}}", name).stdout.strip()
    (tmp_path / "init").write_text("while :; do sleep 1; done\n")
    cgroup = _pids_cgroup() / "dockyard" / cid
    cgroup.mkdir(parents=True)
    init = subprocess.Popen(["runc", "init"], executable="/bin/sh", cwd=tmp_path)
    try:
        (cgroup / "cgroup.procs").write_text(str(init.pid))
        _crash(daemon)
        daemon.start()
        assert init.wait(10) == -signal.SIGKILL
        assert not cgroup.exists()
        assert _check(daemon).returncode == 0
    finally:
        if init.poll() is None:
            init.kill()
            init.wait()
        if cgroup.exists():
            for pid in (cgroup / "cgroup.procs").read_text().split():
                os.kill(int(pid), signal.SIGKILL)
            time.sleep(0.2)
            cgroup.rmdir()


def _pids_cgroup() -> Path:
    v1 = Path("/sys/fs/cgroup/pids")
    return v1 if v1.is_dir() else Path("/sys/fs/cgroup")


def test_volume_mounts_of_adopted_containers_are_counted_again(daemon: Any, res: Any) -> None:
    """Two running containers share a tmpfs volume; after a crash, stopping one must not
    unmount it under the other (a third then sees the same files)."""
    vol = res.volume("shared")
    opts = ["--opt", "type=tmpfs", "--opt", "device=tmpfs"]
    assert daemon.cli("volume", "create", *opts, vol).returncode == 0
    first, second = res.container("v1"), res.container("v2")
    for name in (first, second):
        r = daemon.cli("run", "-d", "--name", name, "-v", f"{vol}:/data", "busybox", "sleep", "300")
        assert r.returncode == 0, r.stderr
    assert daemon.cli("exec", first, "touch", "/data/kept").returncode == 0
    _crash(daemon)
    daemon.start()
    assert daemon.cli("stop", "-t", "0", second).returncode == 0
    third = res.container("v3")
    r = daemon.cli("run", "--rm", "--name", third, "-v", f"{vol}:/data", "busybox", "ls", "/data")
    assert r.returncode == 0 and "kept" in r.stdout, r.stdout + r.stderr
    assert daemon.cli("rm", "-f", first, second).returncode == 0
