import json
import os
import subprocess
import sys

from dockyard.runtime.stopped import remove_stopped


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def _start_time(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as f:
        data = f.read()
    return int(data[data.rindex(b")") + 2 :].split()[19])


def make_state(tmp_path, pid=None, start=1, pid_ns_path="", hooks=None, rdt=""):
    cg = {name: tmp_path / "cg" / name / "ctr" for name in ("", "memory", "pids")}
    for d in cg.values():
        d.mkdir(parents=True)
    state_dir = tmp_path / "runc" / "ctr"
    state_dir.mkdir(parents=True)
    state = {
        "id": "ctr",
        "init_process_pid": _dead_pid() if pid is None else pid,
        "init_process_start": start,
        "config": {
            "namespaces": [{"type": "NEWNS", "path": ""}, {"type": "NEWPID", "path": pid_ns_path}],
            "Hooks": hooks or {"poststop": None, "prestart": None},
        },
        "cgroup_paths": {k: str(v) for k, v in cg.items()},
        "intel_rdt_path": rdt,
    }
    (state_dir / "state.json").write_text(json.dumps(state))
    return state_dir, cg


def test_a_plainly_ended_container_loses_cgroups_and_state(tmp_path):
    state_dir, cg = make_state(tmp_path)
    assert remove_stopped(state_dir) is True
    assert not state_dir.exists()
    assert not any(d.exists() for d in cg.values())


def test_unusual_cases_are_left_to_runc(tmp_path):
    cases = {
        "shared pid namespace": {"pid_ns_path": "/proc/1/ns/pid"},
        "poststop hook": {"hooks": {"poststop": [{"path": "/bin/true"}]}},
        "intel rdt": {"rdt": "/sys/fs/resctrl/x"},
        "init still runs": {"pid": os.getpid(), "start": _start_time(os.getpid())},
    }
    for i, (what, kwargs) in enumerate(cases.items()):
        base = tmp_path / str(i)
        state_dir, cg = make_state(base, **kwargs)
        assert remove_stopped(state_dir) is False, what
        assert (state_dir / "state.json").exists(), what
        assert all(d.exists() for d in cg.values()), what


def test_a_reused_pid_is_not_the_init(tmp_path):
    state_dir, _ = make_state(tmp_path, pid=os.getpid(), start=_start_time(os.getpid()) + 1)
    assert remove_stopped(state_dir) is True


def test_a_busy_cgroup_or_an_odd_state_file_is_left_to_runc(tmp_path):
    state_dir, cg = make_state(tmp_path)
    (cg["memory"] / "child").mkdir()  # a nested cgroup: rmdir fails
    assert remove_stopped(state_dir) is False
    assert (state_dir / "state.json").exists()
    (state_dir / "state.json").write_text("{not json")
    assert remove_stopped(state_dir) is False
    assert remove_stopped(tmp_path / "nothing") is False
