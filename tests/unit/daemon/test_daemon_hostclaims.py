"""Host resources owned per data root: claims, overlaps, and what the host already has."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.daemon import hostclaims as hc
from dockyard.daemon.config import DaemonConfig
from dockyard.daemon.hostclaims import HostClaims, OwnershipConflict, Resource


def wanted(tag: str, exec_root: Path) -> list[Resource]:
    cfg = DaemonConfig(
        bridge=f"{tag}0", bridge_prefix=f"{tag}-", nft_table=tag, exec_root=exec_root
    )
    return hc.resources_of(cfg)


def data_root(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "dockyard.db").write_bytes(b"")
    return root


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        (Resource("bridge", "br0"), Resource("bridge", "br0"), True),
        (Resource("bridge", "br0"), Resource("bridge", "br1"), False),
        (Resource("bridge-prefix", "dy-"), Resource("bridge-prefix", "dy-a"), True),
        (Resource("bridge-prefix", "dy-"), Resource("bridge-prefix", "dz-"), False),
        (Resource("bridge", "dy-main"), Resource("bridge-prefix", "dy-"), True),
        (Resource("bridge-prefix", "dy-"), Resource("bridge", "dockyard0"), False),
        (Resource("exec-root", "/run/a"), Resource("exec-root", "/run/a/b"), True),
        (Resource("exec-root", "/run/a"), Resource("exec-root", "/run/ab"), False),
        (Resource("nft-table", "t"), Resource("nft-table", "t"), True),
        (Resource("nft-table", "t"), Resource("bridge", "t"), False),
    ],
)
def test_overlaps(a: Resource, b: Resource, overlap: bool) -> None:
    assert a.overlaps(b) is overlap
    assert b.overlaps(a) is overlap


def test_live_claim_refuses_an_overlapping_one(tmp_path: Path) -> None:
    reg = tmp_path / "claims"
    first = HostClaims(data_root(tmp_path, "a"), reg)
    first.acquire(wanted("dya", tmp_path / "ea"))
    second = HostClaims(data_root(tmp_path, "b"), reg)
    with pytest.raises(OwnershipConflict) as exc:
        second.acquire([Resource("nft-table", "dyb"), Resource("bridge", "dya0")])
    message = str(exc.value)
    assert "bridge dya0" in message and str(tmp_path / "a") in message
    assert "running dockyardd" in message and "--bridge (or 'bridge' in daemon.json)" in message
    # all or nothing: the table it could have had was not taken either
    assert not any(c.resource.name == "dyb" for c in second.claims())
    second.acquire(wanted("dyb", tmp_path / "eb"))  # distinct names are fine
    assert {c.data_root for c in first.claims() if c.live} == {
        str(tmp_path / "a"),
        str(tmp_path / "b"),
    }
    first.release()
    second.release()


def test_interface_owner_names_the_other_data_root(tmp_path: Path) -> None:
    reg = tmp_path / "claims"
    first = HostClaims(data_root(tmp_path, "a"), reg)
    first.acquire(wanted("dya", tmp_path / "ea"))
    mine = HostClaims(data_root(tmp_path, "b"), reg)
    assert "data root " + str(tmp_path / "a") in (mine.interface_owner("dya0") or "")
    assert "bridge-prefix dya-" in (mine.interface_owner("dya-user") or "")
    assert mine.interface_owner("br-mine") is None
    assert first.interface_owner("dya0") is None  # its own
    first.release()


def test_dormant_claim_refuses_and_stale_claim_is_free(tmp_path: Path) -> None:
    reg = tmp_path / "claims"
    root_a = data_root(tmp_path, "a")
    first = HostClaims(root_a, reg)
    first.acquire([Resource("bridge", "dya0")])
    first.release()  # stopped (or crashed): its containers may still use the bridge
    second = HostClaims(data_root(tmp_path, "b"), reg)
    with pytest.raises(OwnershipConflict, match="not running"):
        second.acquire([Resource("bridge", "dya0")])
    (root_a / "dockyard.db").unlink()  # its data root is gone: the bridge is free again
    second.acquire([Resource("bridge", "dya0")])
    assert [c.data_root for c in second.claims()] == [str(tmp_path / "b")]
    second.release()


def test_the_same_data_root_takes_its_claims_back(tmp_path: Path) -> None:
    reg = tmp_path / "claims"
    root = data_root(tmp_path, "a")
    crashed = HostClaims(root, reg)
    crashed.acquire([Resource("bridge", "dya0")])
    crashed.release()  # what the kernel does when the process dies
    again = HostClaims(root, reg)
    again.acquire([Resource("bridge", "dya0")])
    again.release()


def test_check_runs_before_anything_is_taken(tmp_path: Path) -> None:
    claims = HostClaims(data_root(tmp_path, "a"), tmp_path / "claims")

    def refuse() -> None:
        raise OwnershipConflict("no")

    with pytest.raises(OwnershipConflict):
        claims.acquire([Resource("bridge", "dya0")], check=refuse)
    assert list(claims.claims()) == []


def test_check_host_refuses_what_the_host_already_has(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(hc.hostprobe, "link_exists", lambda name: name == "docker0")
    monkeypatch.setattr(hc.hostprobe, "links", lambda p: ["dy-1234"] if p == "dy-" else [])
    monkeypatch.setattr(hc.hostprobe, "nft_table_exists", lambda t: t == "dockyard")
    root = tmp_path / "fresh"
    root.mkdir()
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("")
    cases = [
        (Resource("bridge", "docker0"), "interface docker0"),
        (Resource("bridge-prefix", "dy-"), "dy-1234"),
        (Resource("nft-table", "dockyard"), "table inet dockyard"),
        (Resource("exec-root", str(busy)), "not empty"),
    ]
    for res, text in cases:
        with pytest.raises(OwnershipConflict, match=text):
            hc.check_host(root, [res])
    hc.check_host(root, [Resource("bridge", "dyx0"), Resource("exec-root", str(tmp_path / "e"))])
    # what this data root recorded as its own is its own
    hc.write_record(root, [r for r, _ in cases])
    hc.check_host(root, [r for r, _ in cases])
    assert hc.read_record(root) == {r for r, _ in cases}


def test_check_host_adopts_for_a_data_root_from_before_the_record(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(hc.hostprobe, "link_exists", lambda name: True)
    root = data_root(tmp_path, "old")
    hc.check_host(root, [Resource("bridge", "dockyard0")])
