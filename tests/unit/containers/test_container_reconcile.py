"""containers/reconcile: each record judged against a survey of the host (faked here), and
the ids that no record owns; what start-up applies and what `system check` reports."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from dockyard.containers.reconcile import Reconciler
from dockyard.containers.store import ContainerStore
from dockyard.runtime.survey import Survey
from dockyard.state.db import Database

RUNNING = {"Status": "running", "Running": True, "Pid": 42}
CREATED = {"Status": "created", "Running": False}


class FakeRuntime:
    def __init__(self, survey: Survey, exits: dict[str, tuple[int, float, bool]] | None = None):
        self.s = survey
        self.exits = exits or {}
        self.deleted: list[str] = []

    def survey(self) -> Survey:
        return self.s

    def exit_status(self, cid: str) -> tuple[int, float, bool] | None:
        return self.exits.get(cid)

    def delete(self, cid: str, force: bool = False) -> None:
        self.deleted.append(cid)


class FakeNetworks:
    def __init__(self) -> None:
        self.released: list[str] = []

    def teardown(self, cid: str) -> None:
        self.released.append(cid)

    on_remove = teardown


def _store(tmp_path: Path, **states: dict[str, Any]) -> ContainerStore:
    db = Database(tmp_path / "dockyard.db")
    with db.transaction() as cur:
        for cid, state in states.items():
            doc = {
                "Id": cid,
                "Name": "/n" + cid[:4],
                "State": state,
                "Config": {},
                "HostConfig": {},
            }
            cur.execute(
                "INSERT INTO containers(id, name, doc) VALUES (?, ?, ?)",
                (cid, "n" + cid[:4], json.dumps(doc)),
            )
    store = ContainerStore(db, tmp_path / "containers")
    for cid in states:
        store.dir(cid).mkdir()
    return store


def _reconciler(store: ContainerStore, rt: FakeRuntime) -> tuple[Reconciler, list[str]]:
    finished: list[str] = []

    def finish(c: Any, code: int, at: float, oom: bool) -> None:
        finished.append(c.id)
        c.state.exited(code, oom, "")

    exits = SimpleNamespace(store=store, runtime=rt, networks=FakeNetworks(), finish=finish)
    return Reconciler(exits), finished  # type: ignore[arg-type]


A, B, C = "a" * 64, "b" * 64, "c" * 64


def test_a_running_record_whose_process_lives_is_adopted(tmp_path: Path) -> None:
    store = _store(tmp_path, **{A: RUNNING})
    rt = FakeRuntime(Survey(runc={A: "running"}, monitors={A: 7}, dirs={A}, cgroups={A}))
    rec, finished = _reconciler(store, rt)
    assert rec.findings(at_start=True) == []
    assert finished == [] and rt.deleted == []


def test_a_created_record_holding_a_process_is_released(tmp_path: Path) -> None:
    store = _store(tmp_path, **{A: CREATED})
    rt = FakeRuntime(Survey(runc={A: "running"}, monitors={A: 7}, dirs={A}, cgroups={A}))
    rec, _ = _reconciler(store, rt)
    (found,) = rec.findings(at_start=True)
    assert "recorded created" in found.problem and "runc state (running)" in found.problem
    found.fix()
    assert rt.deleted == [A]
    assert rec.networks.released == [A]  # type: ignore[attr-defined]
    assert store.get(A).state.status == "created"


def test_a_running_record_without_its_monitor_is_ended(tmp_path: Path) -> None:
    store = _store(tmp_path, **{A: RUNNING, B: RUNNING})
    rt = FakeRuntime(Survey(runc={A: "running"}), exits={B: (3, 0.0, False)})
    rec, finished = _reconciler(store, rt)
    found = {f.resource[10:22]: f for f in rec.findings(at_start=True)}
    assert "monitor is gone" in found[A[:12]].problem
    assert "exited while the daemon was down" in found[B[:12]].problem
    for f in found.values():
        f.fix()
    assert sorted(finished) == [A, B] and rt.deleted == [A]


def test_state_no_record_owns_is_an_orphan(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.dir(C).mkdir()
    rt = FakeRuntime(Survey(runc={A: "created"}, monitors={B: 9}, cgroups={A, "x" * 64}))
    rec, _ = _reconciler(store, rt)
    found = rec.findings(at_start=True)
    assert sorted(f.resource for f in found) == [f"container {x[:12]}" for x in (A, B, C)]
    for f in found:
        f.fix()
    assert sorted(rt.deleted) == [A, B, C] and not store.dir(C).exists()


def test_a_cgroup_or_runc_init_alone_is_another_daemons(tmp_path: Path) -> None:
    """Every daemon's containers share the cgroup parent: an id known only from there is
    not ours to judge."""
    store = _store(tmp_path)
    rt = FakeRuntime(Survey(inits={A: [123]}, cgroups={A}))
    rec, _ = _reconciler(store, rt)
    assert rec.findings(at_start=True) == []


def test_check_leaves_busy_containers_and_creations_in_flight_alone(tmp_path: Path) -> None:
    store = _store(tmp_path, **{A: CREATED})
    store.reserve_name("newborn", B)
    store.dir(B).mkdir()
    rt = FakeRuntime(Survey(runc={A: "created", B: "created"}, dirs={A, B}))
    rec, _ = _reconciler(store, rt)
    c = store.get(A)
    held = threading.Event()
    done = threading.Event()

    def hold() -> None:
        with c.lock:  # another thread is starting it
            held.set()
            done.wait(5)

    t = threading.Thread(target=hold)
    t.start()
    held.wait(5)
    try:
        assert rec.findings(at_start=False) == []
    finally:
        done.set()
        t.join()
    assert [f.resource for f in rec.findings(at_start=False)] == [f"container {A[:12]} (n{A[:4]})"]


@pytest.mark.parametrize("status", ["restarting"])
def test_a_restarting_record_with_nothing_left_stops_restarting(
    tmp_path: Path, status: str
) -> None:
    store = _store(tmp_path, **{A: {"Status": status, "Restarting": True}})
    rec, _ = _reconciler(store, FakeRuntime(Survey()))
    (found,) = rec.findings(at_start=True)
    found.fix()
    assert not store.get(A).state.restarting


def test_a_record_without_its_directory_is_reported_not_repaired(tmp_path: Path) -> None:
    store = _store(tmp_path, **{A: CREATED})
    store.dir(A).rmdir()
    rec, _ = _reconciler(store, FakeRuntime(Survey()))
    (found,) = rec.findings(at_start=False)
    assert "directory" in found.problem and found.fix is None


class FailingRuntime(FakeRuntime):
    def __init__(self, survey: Survey) -> None:
        super().__init__(survey)
        self.calls = 0

    def survey(self) -> Survey:
        self.calls += 1
        if self.calls == 1:
            raise OSError("runc list failed")
        return self.s


def test_the_host_read_ahead_is_what_start_up_judges_once(tmp_path: Path) -> None:
    store = _store(tmp_path, **{A: RUNNING})
    rt = FakeRuntime(Survey(runc={A: "running"}, monitors={A: 7}, dirs={A}, cgroups={A}))
    rec, _ = _reconciler(store, rt)
    rec.read_ahead()
    rt.s = Survey()  # read after the read-ahead: not what start-up judges
    assert rec.findings(at_start=True) == []  # adopted, from the survey read ahead
    # Later checks read the host afresh.
    assert "its process is gone" in rec.findings(at_start=False)[0].problem


def test_a_failed_read_ahead_is_read_again(tmp_path: Path) -> None:
    store = _store(tmp_path, **{A: RUNNING})
    rt = FailingRuntime(Survey(runc={A: "running"}, monitors={A: 7}, dirs={A}, cgroups={A}))
    rec, _ = _reconciler(store, rt)
    rec.read_ahead()
    assert rec.findings(at_start=True) == [] and rt.calls == 2
