"""DOCKER-USER bookkeeping against a fake iptables that prints `-S` like iptables-nft."""

from __future__ import annotations

import subprocess

import pytest

from dockyard.network import dockercompat as dc


class FakeIptables:
    def __init__(self, chain: bool, policy: str = "ACCEPT") -> None:
        self.chain: list[list[str]] | None = [] if chain else None
        self.policy = policy

    def __call__(self, *args: str) -> subprocess.CompletedProcess:
        a = list(args)
        ok = subprocess.CompletedProcess(a, 0, "", "")
        bad = subprocess.CompletedProcess(a, 1, "", "No chain/target/match by that name.")
        if a[:2] == ["-S", "FORWARD"]:
            return subprocess.CompletedProcess(a, 0, f"-P FORWARD {self.policy}\n", "")
        if a[:1] == ["-N"]:
            if self.chain is not None:
                return bad
            self.chain = []
            return ok
        if self.chain is None:
            return bad
        if a[:1] == ["-S"]:
            lines = ["-N DOCKER-USER"] + [
                "-A DOCKER-USER " + " ".join(f'"{x}"' if ":" in x else x for x in r)
                for r in self.chain
            ]
            return subprocess.CompletedProcess(a, 0, "\n".join(lines) + "\n", "")
        if a[:1] == ["-I"]:
            self.chain.insert(int(a[2]) - 1, a[3:])
            return ok
        if a[:1] == ["-D"]:
            self.chain.remove(a[2:])
            return ok
        if a[:1] == ["-X"]:
            self.chain = None
            return ok
        raise AssertionError(a)


@pytest.fixture
def fake(monkeypatch):
    def install(chain: bool, policy: str = "ACCEPT", dockerd: bool = False) -> FakeIptables:
        f = FakeIptables(chain, policy)
        monkeypatch.setattr(dc, "_iptables", f)
        monkeypatch.setattr(
            dc.shutil,
            "which",
            lambda name: f"/usr/sbin/{name}" if dockerd or name != "dockerd" else None,
        )
        return f

    return install


def test_adds_exactly_our_bridges_and_keeps_others(fake):
    f = fake(chain=True)
    f.chain.append(["-i", "other0", "-j", "ACCEPT"])
    dc.sync(["dy-a", "dy-b"], "dockyard:t")
    ours = [r for r in f.chain if "dockyard:t" in r]
    assert [r[:2] for r in ours] == [["-i", "dy-a"], ["-o", "dy-a"], ["-i", "dy-b"], ["-o", "dy-b"]]
    assert f.chain[-1] == ["-i", "other0", "-j", "ACCEPT"]
    dc.sync(["dy-b"], "dockyard:t")  # idempotent, removes what went away
    assert [r[:2] for r in f.chain if "dockyard:t" in r] == [["-i", "dy-b"], ["-o", "dy-b"]]
    dc.cleanup("dockyard:t")
    assert f.chain == [["-i", "other0", "-j", "ACCEPT"]]


def test_no_chain_no_docker_nothing_done(fake):
    f = fake(chain=False)
    assert dc.sync(["dy-a"], "dockyard:t") is False
    assert f.chain is None


def test_creates_chain_when_docker_installed_or_forward_drops(fake):
    f = fake(chain=False, dockerd=True)
    assert dc.sync(["dy-a"], "dockyard:t") is True
    assert len(f.chain) == 2
    dc.cleanup("dockyard:t")
    assert f.chain is None  # empty chain we made is removed
    f = fake(chain=False, policy="DROP")
    assert dc.sync(["dy-a"], "dockyard:t") is True
