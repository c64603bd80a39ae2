"""The local volume store: one directory per volume under `<data_root>/volumes/<name>/`.

Layout: `_data/` holds the volume's content, `volume.json` its metadata. A volume appears
atomically: it is built in `.tmp-*` (data dir + fsynced metadata) and renamed into place;
it disappears atomically too: renamed to `.rm-*` first, then deleted. `recover()` at daemon
start finishes or rolls back whatever a crash interrupted. Metadata stays behind this class
so it can move into the daemon's database later without touching callers.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from ..common.timefmt import format_rfc3339_nano
from ..errors import Conflict, DockyardError, InvalidParameter, NotFound
from ..state.atomic import fsync_dir, write_json
from . import filters as flt
from . import localopts
from .usage import directory_size

DATA_DIR = "_data"
META_FILE = "volume.json"
ANONYMOUS_LABEL = "com.docker.volume.anonymous"
DEFAULT_DRIVER = "local"
NAME_CHARS = "[a-zA-Z0-9][a-zA-Z0-9_.-]"
NAME_RE = re.compile(f"^{NAME_CHARS}+\\Z")  # not "$": it would let a trailing newline in
# A volume is a directory named after it: longer names fail in the filesystem (a 500).
NAME_MAX = 255

InUse = Callable[[], Mapping[str, list[str]]]
EventSink = Callable[[str, str, dict[str, str]], None]


def local_rfc3339(timestamp: float) -> str:
    """Local time with offset, as Go's time.RFC3339 prints it ("Z" for UTC)."""
    seconds = int(timestamp)
    return format_rfc3339_nano(seconds, 0, time.localtime(seconds).tm_gmtoff)


def now_rfc3339() -> str:
    return local_rfc3339(time.time())


def random_name() -> str:
    return secrets.token_hex(32)


def validate_name(name: str) -> None:
    if len(name) == 1:
        raise InvalidParameter(
            "volume name is too short, names should be at least two alphanumeric characters"
        )
    if not NAME_RE.match(name):
        raise InvalidParameter(
            f'"{name}" includes invalid characters for a local volume name, only "{NAME_CHARS}"'
            " are allowed. If you intended to pass a host directory, use absolute path"
        )
    if len(name.encode()) > NAME_MAX:
        raise InvalidParameter(f"volume name is too long: at most {NAME_MAX} characters")


def _prefixed(exc: DockyardError, prefix: str) -> DockyardError:
    """Same class (so same HTTP status), message prefixed like Docker's OpErr."""
    return type(exc)(f"{prefix}: {exc.message}")


class VolumeStore:
    """Thread-safe; every method is synchronous and may be called from worker threads.

    `in_use()` returns {volume name: [container ids]} for the containers that use a volume;
    it is called without this store's lock held. References taken with `reference()` count
    as "in use" too, covering the window between creating a container's volumes and the
    container becoming visible to `in_use()`.
    """

    def __init__(
        self, root: Path, in_use: InUse | None = None, on_event: EventSink | None = None
    ) -> None:
        self.root = Path(root) / "volumes"
        self.in_use: InUse = in_use or dict
        self.on_event = on_event
        self._lock = threading.RLock()
        self._prune_lock = threading.Lock()
        self._vols: dict[str, dict[str, Any]] = {}
        self._refs: dict[str, set[str]] = {}
        self._active: dict[str, int] = {}  # mount count of volumes with mount options
        self._mounted: set[str] = set()
        self.root.mkdir(parents=True, exist_ok=True, mode=0o701)
        self._load()

    # --- paths and metadata ---

    def _dir(self, name: str) -> Path:
        return self.root / name

    def data_path(self, name: str) -> Path:
        return self.root / name / DATA_DIR

    def _load(self) -> None:
        vols: dict[str, dict[str, Any]] = {}
        for entry in os.scandir(self.root):
            if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
                continue
            meta = self._read_meta(entry.name)
            if meta is not None:
                vols[entry.name] = meta
        with self._lock:
            self._vols = vols

    def _read_meta(self, name: str) -> dict[str, Any] | None:
        try:
            with open(self._dir(name) / META_FILE, encoding="utf-8") as fh:
                meta = json.load(fh)
        except (FileNotFoundError, ValueError):
            return None
        return meta if isinstance(meta, dict) and meta.get("Name") == name else None

    def _doc(self, meta: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "CreatedAt": meta.get("CreatedAt", ""),
            "Driver": meta.get("Driver", DEFAULT_DRIVER),
            "Labels": meta.get("Labels"),
            "Mountpoint": str(self.data_path(meta["Name"])),
            "Name": meta["Name"],
            "Options": meta.get("Options"),
            "Scope": "local",
        }

    def _emit(self, action: str, name: str, attrs: dict[str, str] | None = None) -> None:
        if self.on_event is not None:
            self.on_event(action, name, attrs or {})

    # --- create / get / list ---

    def create(
        self,
        name: str | None = None,
        driver: str | None = DEFAULT_DRIVER,
        driver_opts: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Docker's Volume JSON; an existing volume of that name is returned unchanged."""
        return self.create_or_get(name, driver, driver_opts, labels)[0]

    def create_or_get(
        self,
        name: str | None = None,
        driver: str | None = DEFAULT_DRIVER,
        driver_opts: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
        ref: str | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Like create(), also telling whether the volume is new; `ref` takes a reference."""
        if not name:
            name = random_name()
            labels = {**(labels or {}), ANONYMOUS_LABEL: ""}
        self.check_create(name, driver, driver_opts)
        with self._lock:
            meta = self._vols.get(name)
            created = meta is None
            if meta is None:
                meta = {
                    "Name": name,
                    "Driver": DEFAULT_DRIVER,
                    "Labels": dict(labels) if labels is not None else None,
                    "Options": dict(driver_opts or {}) or None,  # Docker: null when none were given
                    "CreatedAt": now_rfc3339(),
                }
                self._materialize(meta)
                self._vols[name] = meta
            if ref:
                self._refs.setdefault(name, set()).add(ref)
        if created:
            self._emit("create", name, {"driver": DEFAULT_DRIVER})
        return self._doc(meta), created

    def check_create(
        self,
        name: str | None,
        driver: str | None = DEFAULT_DRIVER,
        driver_opts: Mapping[str, str] | None = None,
    ) -> None:
        """Every check create() makes, without creating: lets callers validate first.
        Errors name the volume as Docker does, a random id standing for an anonymous one."""
        shown = name or random_name()
        if driver not in (None, "", DEFAULT_DRIVER):
            raise NotFound(
                f'create {shown}: error looking up volume plugin {driver}: plugin "{driver}" not found'
            )
        try:
            if name:
                validate_name(name)
                with self._lock:
                    if name in self._vols:
                        return  # reused as is, options and all
            localopts.validate_opts(driver_opts)
        except DockyardError as exc:
            raise _prefixed(exc, f"create {shown}") from None

    def _materialize(self, meta: dict[str, Any]) -> None:
        name = meta["Name"]
        tmp = self.root / f".tmp-{name}-{secrets.token_hex(4)}"
        try:
            tmp.mkdir(mode=0o701)
            (tmp / DATA_DIR).mkdir(mode=0o755)
            os.chmod(tmp / DATA_DIR, 0o755)  # umask must not narrow what containers see
            write_json(tmp / META_FILE, meta, mode=0o600)
            os.rename(tmp, self._dir(name))
            fsync_dir(self.root)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise DockyardError(
                f"create {name}: error while creating volume root path '{self._dir(name)}': {exc}"
            ) from None

    def exists(self, name: str) -> bool:
        with self._lock:
            return name in self._vols

    def get(self, name: str, usage: bool = False) -> dict[str, Any]:
        with self._lock:
            meta = self._vols.get(name)
        if meta is None:
            raise NotFound(f"get {name}: no such volume")
        doc = self._doc(meta)
        if usage:
            doc["UsageData"] = self._usage_data(name, self._users())
        return doc

    def list(self, filters: flt.Filters | None = None) -> list[dict[str, Any]]:
        f = flt.normalize(filters, flt.LIST_FILTERS)
        flt.bool_filter(f, "dangling", False)  # reject a bad value even with no volumes
        users = self._users() if "dangling" in f else {}
        with self._lock:
            metas = sorted(self._vols.values(), key=lambda m: m["Name"])
        docs = (self._doc(m) for m in metas)
        return [d for d in docs if flt.match_volume(f, d, bool(users.get(d["Name"])))]

    # --- in use ---

    def _users(self) -> dict[str, list[str]]:
        users = {name: list(ids) for name, ids in self.in_use().items() if ids}
        with self._lock:
            for name, refs in self._refs.items():
                for ref in sorted(refs):
                    if ref not in users.setdefault(name, []):
                        users[name].append(ref)
        return {name: ids for name, ids in users.items() if ids}

    def reference(self, name: str, ref: str) -> None:
        with self._lock:
            if name not in self._vols:
                raise NotFound(f"get {name}: no such volume")
            self._refs.setdefault(name, set()).add(ref)

    def release(self, ref: str, name: str | None = None) -> None:
        """Drop `ref` from one volume, or from all when `name` is None."""
        with self._lock:
            for vol in [name] if name else list(self._refs):
                refs = self._refs.get(vol)
                if refs is not None:
                    refs.discard(ref)
                    if not refs:
                        del self._refs[vol]

    # --- remove / prune ---

    def remove(self, name: str, force: bool = False) -> None:
        users = self._users()
        with self._lock:
            meta = self._vols.get(name)
            if meta is None:
                if force:
                    return
                raise NotFound(f"get {name}: no such volume")
            if users.get(name):
                raise Conflict(f"remove {name}: volume is in use - [{', '.join(users[name])}]")
            if self._active.get(name):
                raise DockyardError(f"remove {name}: volume has active mounts")
            self._delete(name)
        self._emit("destroy", name, {"driver": DEFAULT_DRIVER})

    def _delete(self, name: str) -> None:
        """Caller holds the lock and has checked the volume is unused."""
        vdir = self._dir(name)
        if name in self._mounted or localopts.is_mounted(vdir / DATA_DIR):
            localopts.unmount(vdir / DATA_DIR)
            self._mounted.discard(name)
        if localopts.mounts_under(vdir):  # never delete through a mount into someone's data
            raise DockyardError(f"remove {name}: volume path '{vdir}' still has mounts")
        gone = self.root / f".rm-{name}-{secrets.token_hex(4)}"
        try:
            os.rename(vdir, gone)
            fsync_dir(self.root)
        except OSError as exc:
            raise DockyardError(
                f"remove {name}: error removing volume path '{vdir}': {exc}"
            ) from None
        del self._vols[name]
        self._refs.pop(name, None)
        self._active.pop(name, None)
        shutil.rmtree(gone, ignore_errors=True)

    def prune(self, filters: flt.Filters | None = None, all: bool = False) -> tuple[list[str], int]:
        """Unused local volumes without mount options; only anonymous ones unless `all`
        (or the filter all=true). Returns (names deleted, bytes reclaimed)."""
        f = flt.normalize(filters, flt.PRUNE_FILTERS)
        if "all" in f:
            values = f.pop("all")
            if len(values) > 1:
                raise InvalidParameter(
                    f"invalid filter 'all=[{' '.join(values)}]': only one value is expected"
                )
            if values:
                all = _parse_go_bool(values[0], "all")
        if not all:
            f.setdefault("label", []).append(ANONYMOUS_LABEL)
        if not self._prune_lock.acquire(blocking=False):
            raise Conflict("a prune operation is already running")
        try:
            return self._prune(f)
        finally:
            self._prune_lock.release()

    def _prune(self, f: dict[str, list[str]]) -> tuple[list[str], int]:
        users = self._users()
        with self._lock:
            candidates = [
                name
                for name, meta in sorted(self._vols.items())
                if not users.get(name)
                and not meta.get("Options")
                and flt.match_volume(f, self._doc(meta), False)
            ]
        deleted: list[str] = []
        reclaimed = 0
        for name in candidates:
            size = directory_size(self.data_path(name))
            users = self._users()
            with self._lock:
                if name not in self._vols or users.get(name) or self._active.get(name):
                    continue  # taken into use or removed meanwhile
                try:
                    self._delete(name)
                except DockyardError:
                    continue
            self._emit("destroy", name, {"driver": DEFAULT_DRIVER})
            deleted.append(name)
            reclaimed += size
        self._emit("prune", "", {"reclaimed": str(reclaimed)})
        return deleted, reclaimed

    # --- mount / unmount (volumes with driver options) ---

    def mount(self, name: str, ref: str | None = None) -> str:
        """Host path to bind into a container; mounts `device` on first use if configured."""
        with self._lock:
            meta = self._vols.get(name)
            if meta is None:
                raise NotFound(f"get {name}: no such volume")
            opts = meta.get("Options")
            if localopts.needs_mount(opts):
                if name not in self._mounted:
                    localopts.mount(opts, self.data_path(name))
                    self._mounted.add(name)
                self._active[name] = self._active.get(name, 0) + 1
            if ref:
                self._refs.setdefault(name, set()).add(ref)
        return str(self.data_path(name))

    def unmount(self, name: str, ref: str | None = None) -> None:
        """Undo one mount(); the device is unmounted when its last user is gone."""
        with self._lock:
            if ref:
                self.release(ref, name)
            meta = self._vols.get(name)
            if meta is None or not localopts.needs_mount(meta.get("Options")):
                return
            count = self._active.get(name, 0)
            if count > 1:
                self._active[name] = count - 1
                return
            self._active.pop(name, None)
            if name in self._mounted:
                localopts.unmount(self.data_path(name))
                self._mounted.discard(name)

    # --- usage ---

    def usage(self, name: str) -> int:
        with self._lock:
            if name not in self._vols:
                raise NotFound(f"get {name}: no such volume")
        return directory_size(self.data_path(name))

    def _usage_data(self, name: str, users: Mapping[str, list[str]]) -> dict[str, int]:
        try:
            size = directory_size(self.data_path(name))
        except OSError:
            size = -1
        return {"Size": size, "RefCount": len(users.get(name, []))}

    def disk_usage(self) -> list[dict[str, Any]]:
        """`system df`: local volumes without mount options, each with UsageData."""
        users = self._users()
        with self._lock:
            metas = sorted(self._vols.values(), key=lambda m: m["Name"])
        out = []
        for meta in metas:
            if meta.get("Options"):
                continue
            doc = self._doc(meta)
            doc["UsageData"] = self._usage_data(meta["Name"], users)
            out.append(doc)
        return out

    # --- recovery ---

    def recover(self) -> None:
        """At daemon start: drop half-created (.tmp-*) and half-removed (.rm-*) volumes
        and temp files of interrupted metadata writes, remove empty volume shells, adopt a
        volume directory whose metadata is missing but whose `_data` exists (data is never
        thrown away; other directories are left alone), and notice volumes still mounted."""
        with self._lock:
            for entry in os.scandir(self.root):
                path = Path(entry.path)
                if not entry.is_dir(follow_symlinks=False):
                    if entry.name.startswith("."):
                        path.unlink(missing_ok=True)  # a temp file of ours
                    continue
                if entry.name.startswith((".tmp-", ".rm-")):
                    self._discard_dir(path)
                    continue
                if entry.name.startswith("."):
                    continue
                for leftover in path.glob(f".{META_FILE}.tmp-*"):
                    leftover.unlink(missing_ok=True)
                if self._read_meta(entry.name) is not None:
                    continue
                if (path / DATA_DIR).is_dir():
                    if NAME_RE.match(entry.name):
                        write_json(path / META_FILE, self._adopted_meta(path), mode=0o600)
                    continue  # not ours to delete: left alone, and not listed
                if not any(path.iterdir()):
                    path.rmdir()  # an empty shell of a volume
            fsync_dir(self.root)
            self._load()
            self._mounted = {
                name
                for name, meta in self._vols.items()
                if localopts.needs_mount(meta.get("Options"))
                and localopts.is_mounted(self.data_path(name))
            }

    # --- check ---

    def leftovers(self) -> list[tuple[str, str, Callable[[], None]]]:
        """What an interrupted operation left (`system check`): half-created or
        half-removed volume directories, temp files of metadata writes, and option volumes
        still mounted that no container uses; each with its fix."""
        out: list[tuple[str, str, Callable[[], None]]] = []
        with self._lock:
            for entry in os.scandir(self.root):
                path = Path(entry.path)
                if entry.name.startswith((".tmp-", ".rm-")) and entry.is_dir():
                    problem = "left by an interrupted volume create or remove"
                    out.append((f"directory {path}", problem, partial(self._discard_dir, path)))
                elif entry.name.startswith(".") and not entry.is_dir(follow_symlinks=False):
                    out.append((f"file {path}", "a temp file of an interrupted write", path.unlink))
            for name in sorted(self._mounted):
                if not self._active.get(name):
                    out.append(
                        (
                            f"volume {name}",
                            "mounted, yet no container uses it",
                            partial(self._unmount_idle, name),
                        )
                    )
        return out

    def release_idle_mounts(self) -> None:
        """At daemon start, once running containers counted their mounts again."""
        for name in sorted(self._mounted):
            self._unmount_idle(name)

    def _unmount_idle(self, name: str) -> None:
        with self._lock:
            if name in self._mounted and not self._active.get(name):
                localopts.unmount(self.data_path(name))
                self._mounted.discard(name)

    def _discard_dir(self, path: Path) -> None:
        if localopts.mounts_under(path):
            for data in sorted(localopts.mounts_under(path), reverse=True):
                localopts.unmount(Path(data))
        shutil.rmtree(path, ignore_errors=True)

    def _adopted_meta(self, path: Path) -> dict[str, Any]:
        return {
            "Name": path.name,
            "Driver": DEFAULT_DRIVER,
            "Labels": None,
            "Options": None,
            "CreatedAt": local_rfc3339(path.stat().st_ctime),
        }


def _parse_go_bool(value: str, key: str) -> bool:
    if value in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if value in ("0", "f", "F", "false", "FALSE", "False"):
        return False
    raise InvalidParameter(
        f"invalid filter '{key}': strconv.ParseBool: parsing \"{value}\": invalid syntax"
    )
