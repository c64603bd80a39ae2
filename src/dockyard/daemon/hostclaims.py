"""Host resources owned by one data root: several daemons on one host never share them.

A daemon's kernel objects and host paths are named in its configuration: the default
bridge, the prefix of its user networks' bridges, its nftables table and its exec root.
Each is claimed in a host-wide registry (a directory on /run, so claims end with the
kernel objects at reboot) by a file recording the data root that owns it. The owning
daemon holds a lock on the file while it runs, so a claim is

- live:    its daemon runs (the file is locked),
- dormant: its daemon stopped or crashed but its data root exists (its containers may
           still run on that bridge: live restore), or
- stale:   its data root is gone; the resource is free again.

A live or dormant claim of another data root that overlaps one of ours refuses the start,
naming the conflict and the flag or daemon.json key to change. A claim is never released
at stop: the kernel objects stay with their data root.

The data root records what it owns (`host-resources.json`). A resource it does not own yet
must not exist on the host already (someone else made it: an older dockyardd, Docker,
Podman); a data root from before the record adopts what its configuration names.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ..network import hostprobe
from ..state.atomic import write_json
from .config import DaemonConfig

CLAIMS_DIR = Path("/run/dockyard-claims")

# kind -> how an operator changes it
_SETTING = {
    "bridge": "--bridge (or 'bridge' in daemon.json)",
    "bridge-prefix": "the 'bridge-prefix' key of daemon.json (--config-file)",
    "nft-table": "the 'nft-table' key of daemon.json (--config-file)",
    "exec-root": "--exec-root (or 'exec-root' in daemon.json)",
}


class OwnershipConflict(RuntimeError):
    pass


@dataclass(frozen=True)
class Resource:
    kind: str  # bridge | bridge-prefix | nft-table | exec-root
    name: str

    def overlaps(self, other: Resource) -> bool:
        """Whether the two can name the same kernel object or path."""
        ifaces = {"bridge", "bridge-prefix"}
        if self.kind in ifaces and other.kind in ifaces:
            if "bridge-prefix" not in (self.kind, other.kind):
                return self.name == other.name
            if self.kind == other.kind:  # two prefixes: one must not be a prefix of the other
                return self.name.startswith(other.name) or other.name.startswith(self.name)
            prefix, bridge = (self, other) if self.kind == "bridge-prefix" else (other, self)
            return bridge.name.startswith(prefix.name)
        if self.kind == other.kind == "exec-root":
            a, b = Path(self.name), Path(other.name)
            return a == b or a in b.parents or b in a.parents
        return self.kind == other.kind and self.name == other.name

    def describe(self) -> str:
        return f"{self.kind} {self.name}"


def resources_of(config: DaemonConfig) -> list[Resource]:
    return [
        Resource("bridge", config.bridge),
        Resource("bridge-prefix", config.bridge_prefix),
        Resource("nft-table", config.nft_table),
        Resource("exec-root", str(config.exec_root.resolve())),
    ]


@dataclass(frozen=True)
class Claim:
    resource: Resource
    data_root: str
    pid: int
    live: bool


class HostClaims:
    """The registry; `acquire` keeps the claim files locked until `release` (or exit)."""

    def __init__(self, data_root: Path, directory: Path = CLAIMS_DIR) -> None:
        self.data_root = str(data_root.resolve())
        self.dir = directory
        self._held: list[int] = []

    def acquire(self, wanted: list[Resource], check: Callable[[], None] = lambda: None) -> None:
        """Claim every resource, or none: raises OwnershipConflict naming the first clash.
        `check` runs once no other daemon's claim is in the way, before anything is taken."""
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o755)
        with self._registry_lock():
            for path, claim in self._claim_files():
                if not (claim.live or _exists(claim)):
                    path.unlink(missing_ok=True)  # stale: its data root is gone
                    continue
                if claim.data_root == self.data_root:
                    continue
                for res in wanted:
                    if res.overlaps(claim.resource):
                        raise OwnershipConflict(_conflict_message(res, claim))
            check()
            for res in wanted:
                self._take(res)

    def release(self) -> None:
        """Unlock (the records stay: the kernel objects still belong to this data root)."""
        for fd in self._held:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._held.clear()

    def interface_owner(self, name: str) -> str | None:
        """Who else owns an interface of this name (a live or dormant daemon of another
        data root, by its bridge or bridge-name prefix): a message, or None."""
        wanted = Resource("bridge", name)
        for claim in self.claims():
            if claim.data_root == self.data_root or not (claim.live or _exists(claim)):
                continue
            if wanted.overlaps(claim.resource):
                return f"{claim.resource.describe()} belongs to data root {claim.data_root}"
        return None

    def claims(self) -> Iterator[Claim]:
        for _, claim in self._claim_files():
            yield claim

    def _claim_files(self) -> Iterator[tuple[Path, Claim]]:
        for path in sorted(self.dir.glob("*.json")):
            try:
                doc = json.loads(path.read_text())
                res = Resource(str(doc["kind"]), str(doc["name"]))
                owner, pid = str(doc["data_root"]), int(doc["pid"])
            except (OSError, ValueError, KeyError, TypeError):
                continue
            yield path, Claim(res, owner, pid, _locked(path))

    def _take(self, res: Resource) -> None:
        path = self.dir / f"{res.kind}-{quote(res.name, safe='')}.json"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # cannot happen under the registry lock unless it is ours
            os.close(fd)
            raise OwnershipConflict(f"{res.describe()} is claimed by a running daemon") from None
        doc = {"kind": res.kind, "name": res.name, "data_root": self.data_root, "pid": os.getpid()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(doc).encode(), 0)
        self._held.append(fd)

    @contextlib.contextmanager
    def _registry_lock(self) -> Iterator[None]:
        fd = os.open(self.dir / ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _locked(path: Path) -> bool:
    """Whether a daemon holds this claim (a shared lock cannot be had while it does)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def _exists(claim: Claim) -> bool:
    return (Path(claim.data_root) / "dockyard.db").exists()


def _conflict_message(res: Resource, claim: Claim) -> str:
    state = (
        f"a running dockyardd (pid {claim.pid})"
        if claim.live
        else "a dockyardd that is not running (its containers may be)"
    )
    theirs = "" if claim.resource == res else f" ({claim.resource.describe()})"
    return (
        f"{res.describe()} conflicts with what data root {claim.data_root} owns{theirs}, "
        f"used by {state}: choose another with {_SETTING[res.kind]}"
    )


RECORD = "host-resources.json"


def read_record(data_root: Path) -> set[Resource] | None:
    try:
        doc = json.loads((data_root / RECORD).read_text())
        return {Resource(str(r["kind"]), str(r["name"])) for r in doc["resources"]}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def write_record(data_root: Path, owned: list[Resource]) -> None:
    doc = {"resources": [{"kind": r.kind, "name": r.name} for r in owned]}
    write_json(data_root / RECORD, doc)


def check_host(data_root: Path, wanted: list[Resource]) -> None:
    """Refuses a resource this data root does not own yet but the host already has."""
    recorded = read_record(data_root)
    if recorded is None and (data_root / "dockyard.db").exists():
        return  # a data root from before the record: what it names is its own
    for res in wanted:
        if res in (recorded or set()):
            continue
        found = _on_host(res)
        if found:
            raise OwnershipConflict(
                f"{res.describe()}: {found}, and it does not belong to data root {data_root}"
                f" (another daemon, Docker or Podman made it): choose another with "
                f"{_SETTING[res.kind]}"
            )


def _on_host(res: Resource) -> str:
    if res.kind == "bridge" and hostprobe.link_exists(res.name):
        return f"the host already has an interface {res.name}"
    if res.kind == "bridge-prefix":
        names = hostprobe.links(res.name)
        if names:
            return f"the host already has interfaces named {', '.join(names[:3])}"
    if res.kind == "nft-table" and hostprobe.nft_table_exists(res.name):
        return f"the host already has the nftables table inet {res.name}"
    if res.kind == "exec-root":
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            if os.listdir(res.name):
                return f"{res.name} exists and is not empty"
    return ""
