"""A container's mounts, from API request to OCI spec, with Docker's semantics.

Life cycle, as the container service uses it:
  create: plan = plan_mounts(...)            validates everything, then creates volumes
          populate_volumes(plan, rootfs, vs) copy-up of image content into new volumes
          persist [m.to_dict() for m in plan] with the container
  start:  oci = setup_mounts(plan, vs)       mounts option volumes, makes -v host dirs
  stop:   teardown_mounts(plan, vs)
  daemon restart, container still running: restore_mounts(plan, vs)
  inspect: [m.mount_point() for m in plan if m.in_inspect]
  rm -v:  anonymous_volumes(plan) are removed

Client-side flag parsing (-v, --mount, --tmpfs) is re-exported here for the CLI.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from dockyard.common.mountspec import (
    is_anonymous_volume_flag,
    parse_mount_flag,
    parse_tmpfs_flag,
    parse_volume_flag,
    split_volume_flags,
)
from dockyard.fs.copyup import copy_up, resolve_in_rootfs

from ..errors import DockyardError, InvalidParameter, NotFound
from ..volumes import spec as vspec
from ..volumes.store import DEFAULT_DRIVER, VolumeStore

__all__ = [
    "PlannedMount",
    "anonymous_volumes",
    "copy_up",
    "is_anonymous_volume_flag",
    "parse_mount_flag",
    "parse_tmpfs_flag",
    "parse_volume_flag",
    "plan_mounts",
    "populate_volumes",
    "resolve_in_rootfs",
    "restore_mounts",
    "setup_mounts",
    "split_volume_flags",
    "teardown_mounts",
    "volumes_in_use",
]


_MOUNT_POINT_KEYS = ("Type", "Name", "Source", "Destination", "Driver", "Mode", "RW", "Propagation")


@dataclass
class PlannedMount:
    """One mount of a container; JSON-serialisable with to_dict()/from_dict()."""

    type: str  # "bind" | "volume" | "tmpfs"
    destination: str
    source: str = ""  # host path: the bind source or the volume's _data
    name: str = ""  # volume name
    driver: str = ""
    mode: str = ""  # the user's mode string, as inspect shows it
    rw: bool = True
    propagation: str = ""
    copy_data: bool = False  # copy-up pending (cleared once populated)
    anonymous: bool = False  # a volume created for this container: `rm -v` removes it
    create_source: bool = False  # bind: create the host directory at start if missing
    tmpfs_data: str = ""  # tmpfs: mount data such as "size=64m,mode=1777"
    in_inspect: bool = True  # HostConfig.Tmpfs entries are no MountPoints in Docker
    subpath: str = ""  # volume: mount only this relative path of it
    nonrecursive: bool = False  # bind: plain bind instead of rbind
    spec: dict[str, Any] = field(default_factory=dict)  # the API Mount item, if any

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> PlannedMount:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in doc.items() if k in known})

    def mount_point(self) -> dict[str, Any]:
        """Docker's container inspect `Mounts` item (its keys name our attributes)."""
        return {key: getattr(self, key.lower()) for key in _MOUNT_POINT_KEYS}

    def oci(self, source: str | None = None, recursive_readonly: bool = False) -> dict[str, Any]:
        """The OCI runtime-spec mount; `source` overrides the host path (volume subpath)."""
        if self.type == "tmpfs":
            return {
                "destination": self.destination,
                "type": "tmpfs",
                "source": "tmpfs",
                "options": vspec.tmpfs_oci_options(self.tmpfs_data),
            }
        options = ["bind" if self.nonrecursive else "rbind"]
        if not self.rw:
            non_recursive_ro = bool(
                (self.spec.get("BindOptions") or {}).get("ReadOnlyNonRecursive")
            )
            options.append("rro" if recursive_readonly and not non_recursive_ro else "ro")
        if self.propagation:
            options.append(self.propagation)
        return {
            "destination": self.destination,
            "type": "bind",
            "source": source or self.source,
            "options": options,
        }


VolumesFrom = Callable[[str], Iterable["PlannedMount | Mapping[str, Any]"]]


@dataclass
class _NewVolume:
    """A volume plan_mounts must create (or reuse) once everything is validated."""

    mount: PlannedMount
    driver_opts: dict[str, str] | None = None
    labels: dict[str, str] | None = None


def _duplicate(dest: str) -> InvalidParameter:
    return InvalidParameter(f"Duplicate mount point: {dest}")


def _check_daemon_root(m: Mapping[str, Any], daemon_root: str | None) -> bool:
    """Binds of (or above) the daemon root must not be private: returns True when rslave
    is to be used, raises when the user asked for another non-rslave/rshared mode."""
    if not daemon_root or m.get("Type") != "bind":
        return False
    source = str(m.get("Source") or "")
    if not (source.startswith(daemon_root) or daemon_root.startswith(source)):
        return False
    propagation = (m.get("BindOptions") or {}).get("Propagation") or ""
    if propagation in ("", "rslave", "rshared"):
        return propagation == ""
    raise InvalidParameter(
        'invalid mount config: must use either propagation mode "rslave" or "rshared" when '
        f'mount source is within the daemon root, daemon root: "{daemon_root}", '
        f'bind mount source: "{source}", propagation: "{propagation}"'
    )


def plan_mounts(
    config: Mapping[str, Any],
    host_config: Mapping[str, Any],
    image_volumes: Mapping[str, Any] | None,
    volumes: VolumeStore,
    volumes_from: VolumesFrom | None = None,
    *,
    ref: str | None = None,
    rootfs: Path | str | None = None,
    daemon_root: str | None = None,
) -> list[PlannedMount]:
    """Turn a create request into the container's mounts.

    Sources, in Docker's order of precedence: VolumesFrom (`volumes_from(id)` returns that
    container's plan), HostConfig.Binds, HostConfig.Mounts, HostConfig.Tmpfs, then the
    image's and Config's `Volumes` as anonymous volumes where nothing else is mounted.
    Everything is validated before any volume is created; if creating one fails, the
    volumes created so far are removed again. `ref` (the container id) keeps the volumes
    "in use" until the caller releases it. With `rootfs`, a Volumes entry over an existing
    file is refused up front.
    """
    volume_driver = str(host_config.get("VolumeDriver") or "")
    tmpfs: Mapping[str, str] = host_config.get("Tmpfs") or {}
    for dest in tmpfs:
        vspec.validate_tmpfs_destination(dest)
    for item in host_config.get("Mounts") or []:
        vspec.validate_mount_config(dict(item))

    planned: dict[str, PlannedMount] = {}
    pending: dict[str, _NewVolume] = {}
    taken: set[str] = set()  # destinations claimed by Binds and Mounts
    tmpfs_dests = {vspec.go_clean(dest) for dest in tmpfs}
    inherited: list[PlannedMount] = []  # mounts taken over from other containers

    for spec in host_config.get("VolumesFrom") or []:
        for m in _from_container(spec, volumes_from):
            if m.type == "volume" and not volumes.exists(m.name):
                raise NotFound(f"get {m.name}: no such volume")
            inherited.append(m)
            planned[m.destination] = m

    for raw in host_config.get("Binds") or []:
        parsed = vspec.parse_bind(raw, volume_driver)
        rslave = _check_daemon_root(parsed.spec, daemon_root)
        if parsed.destination in taken or parsed.destination in tmpfs_dests:
            raise _duplicate(parsed.destination)
        if parsed.type == "volume":
            volumes.check_create(parsed.name or None, parsed.driver or DEFAULT_DRIVER)
        m = _from_parsed(parsed)
        if rslave:
            m.propagation = "rslave"
        if m.type == "bind":
            m.create_source = True  # -v creates a missing host directory, --mount does not
        else:
            pending[m.destination] = _NewVolume(m)
        taken.add(m.destination)
        planned[m.destination] = m

    for item in host_config.get("Mounts") or []:
        parsed = vspec.parse_mount_spec(dict(item))
        rslave = _check_daemon_root(parsed.spec, daemon_root)
        if parsed.destination in taken or parsed.destination in tmpfs_dests:
            raise _duplicate(str(item.get("Target")))
        opts = item.get("VolumeOptions") or {}
        driver_opts = (opts.get("DriverConfig") or {}).get("Options")
        if parsed.type == "volume":
            volumes.check_create(parsed.name or None, parsed.driver or DEFAULT_DRIVER, driver_opts)
        m = _from_parsed(parsed)
        if rslave:
            m.propagation = "rslave"
        if m.type == "volume":
            m.subpath = str(opts.get("Subpath") or "")
            pending[m.destination] = _NewVolume(m, driver_opts, opts.get("Labels"))
        elif m.type == "bind":
            bind_opts = item.get("BindOptions") or {}
            m.create_source = bool(bind_opts.get("CreateMountpoint"))
            m.nonrecursive = bool(bind_opts.get("NonRecursive"))
        elif m.type == "tmpfs":
            m.tmpfs_data = vspec.convert_tmpfs_options(item.get("TmpfsOptions"), not m.rw)
        taken.add(m.destination)
        planned[m.destination] = m

    for dest, data in tmpfs.items():
        dest = vspec.go_clean(dest)
        planned[dest] = PlannedMount(
            type="tmpfs", destination=dest, tmpfs_data=data or "", in_inspect=False
        )
        vspec.tmpfs_oci_options(data or "")  # bad options fail now, not at start

    wanted = [*(image_volumes or {}), *(config.get("Volumes") or {})]
    for raw in wanted:
        dest = _volume_destination(raw)
        if dest in planned:
            continue  # something is already mounted there (Docker skips it silently)
        if rootfs is not None:
            host_path = resolve_in_rootfs(rootfs, dest)
            if host_path.exists() and not host_path.is_dir():
                raise InvalidParameter(
                    f"cannot mount volume over existing file, file exists {host_path}"
                )
        volumes.check_create(None, volume_driver or DEFAULT_DRIVER)
        m = PlannedMount(
            type="volume", destination=dest, driver=DEFAULT_DRIVER, copy_data=True, anonymous=True
        )
        planned[dest] = m
        pending[dest] = _NewVolume(m)

    existing = [m.name for m in inherited if m.type == "volume" and planned.get(m.destination) is m]
    _create_volumes(list(pending.values()), existing, volumes, ref)
    return list(planned.values())


def _volume_destination(raw: str) -> str:
    try:
        vspec.validate_not_root(raw)
        vspec.validate_absolute(raw)
    except ValueError as exc:
        raise InvalidParameter(
            f'{vspec.invalid_spec(raw)}: invalid mount config for type "volume": {exc}'
        ) from None
    return vspec.go_clean(raw)


def _from_parsed(p: vspec.ParsedMount) -> PlannedMount:
    m = PlannedMount(
        type=p.type,
        destination=p.destination,
        source=p.source,
        name=p.name,
        driver=p.driver,
        mode=p.mode,
        rw=p.rw,
        propagation=p.propagation,
        copy_data=p.copy_data,
        spec=p.spec,
    )
    if p.type == "volume":
        m.anonymous = not p.name
        m.driver = DEFAULT_DRIVER
        m.mode = m.mode or "z"  # Docker marks local-driver volumes for relabeling
    elif p.type == "tmpfs":
        m.propagation = ""
    return m


def _from_container(spec: str, resolver: VolumesFrom | None) -> list[PlannedMount]:
    ident, mode = vspec.parse_volumes_from(spec)
    if resolver is None:
        raise InvalidParameter(f"No such container: {ident}")
    try:
        theirs = list(resolver(ident))
    except DockyardError as exc:
        raise InvalidParameter(exc.message) from None
    out = []
    for item in theirs:
        m = item if isinstance(item, PlannedMount) else PlannedMount.from_dict(item)
        if not m.in_inspect:
            continue  # their HostConfig.Tmpfs is theirs alone
        out.append(
            PlannedMount(
                type=m.type,
                destination=m.destination,
                source=m.source,
                name=m.name,
                driver=m.driver,
                rw=m.rw and vspec.read_write(mode),
                propagation=m.propagation,
                tmpfs_data=m.tmpfs_data,
                subpath=m.subpath,
                nonrecursive=m.nonrecursive,
                spec=dict(m.spec),
            )
        )
    return out


def _create_volumes(
    pending: list[_NewVolume], existing: list[str], volumes: VolumeStore, ref: str | None
) -> None:
    created: list[str] = []
    referenced: list[str] = []
    try:
        for name in existing:
            if ref:
                volumes.reference(name, ref)
                referenced.append(name)
        for item in pending:
            m = item.mount
            doc, new = volumes.create_or_get(
                m.name or None, DEFAULT_DRIVER, item.driver_opts, item.labels, ref=ref
            )
            if new:
                created.append(doc["Name"])
            else:
                referenced.append(doc["Name"])
            m.name = doc["Name"]
            m.source = doc["Mountpoint"]
    except BaseException:
        for name in created:
            if ref:
                volumes.release(ref, name)
            try:
                volumes.remove(name, force=True)
            except DockyardError:
                pass  # someone else took it into use meanwhile: theirs now
        for name in referenced:
            if ref:
                volumes.release(ref, name)
        raise


def populate_volumes(
    plan: Iterable[PlannedMount], rootfs: Path | str, volumes: VolumeStore
) -> list[str]:
    """Copy-up into each new, empty volume the image's content at its destination.

    Call once at create with the container's rootfs (the merged view); returns the names
    of the volumes that received content. A populated (non-empty) volume is left alone.
    """
    done = []
    for m in plan:
        if m.type != "volume" or not m.copy_data:
            continue
        m.copy_data = False
        if m.subpath:
            continue
        src = resolve_in_rootfs(rootfs, m.destination)
        if not src.is_dir() or src.is_symlink():
            continue
        path = volumes.mount(m.name)
        try:
            if copy_up(src, path):
                done.append(m.name)
        finally:
            volumes.unmount(m.name)
    return done


def _depth(m: PlannedMount) -> int:
    return vspec.go_clean(m.destination).count("/")


@functools.lru_cache(maxsize=8)
def runtime_supports_rro(runtime: str = "runc") -> bool:
    """Whether the OCI runtime takes "rro" (recursively read-only, kernel >= 5.12)."""
    try:
        out = subprocess.run([runtime, "features"], capture_output=True, timeout=10, check=True)
        return "rro" in (json.loads(out.stdout).get("mountOptions") or [])
    except (OSError, ValueError, subprocess.SubprocessError):
        return False


def setup_mounts(
    plan: Iterable[PlannedMount],
    volumes: VolumeStore,
    *,
    recursive_readonly: bool | None = None,
    runtime: str = "runc",
) -> list[dict[str, Any]]:
    """At start: OCI mounts, parents before children so none shadows another. Volumes with
    driver options get mounted (undo with teardown_mounts); a missing `-v` host directory
    is created as Docker does. Read-only binds are recursively read-only ("rro") when the
    runtime supports it, as Docker >= 25 does for API >= 1.44; pass False for older
    clients (Docker's DefaultReadOnlyNonRecursive)."""
    if recursive_readonly is None:
        recursive_readonly = runtime_supports_rro(runtime)
    mounted: list[str] = []
    out: list[tuple[int, dict[str, Any]]] = []
    try:
        for m in plan:
            source = None
            if m.type == "volume":
                path = _mount_volume(volumes, m)
                mounted.append(m.name)
                source = _subpath(path, m.subpath) if m.subpath else path
            elif m.type == "bind":
                _ensure_bind_source(m)
            out.append((_depth(m), m.oci(source, recursive_readonly)))
    except BaseException:
        for name in mounted:
            volumes.unmount(name)
        raise
    out.sort(key=lambda pair: pair[0])
    return [mount for _, mount in out]


def _mount_volume(volumes: VolumeStore, m: PlannedMount) -> str:
    try:
        return volumes.mount(m.name)
    except NotFound:
        raise
    except DockyardError as exc:
        raise type(exc)(f"error while mounting volume '{m.source}': {exc.message}") from None


def _ensure_bind_source(m: PlannedMount) -> None:
    if os.path.exists(m.source):
        return
    if not m.create_source:
        raise InvalidParameter(
            f'invalid mount config for type "bind": bind source path does not exist: {m.source}'
        )
    try:
        os.makedirs(m.source, mode=0o755, exist_ok=True)
    except OSError as exc:
        raise DockyardError(f"error while creating mount source path '{m.source}': {exc}") from None


def _subpath(volume_path: str, subpath: str) -> str:
    """The subpath inside the volume, never leaving it through a symlink."""
    resolved = resolve_in_rootfs(volume_path, subpath)
    if not resolved.exists():
        raise DockyardError(
            f"cannot access path {os.path.join(volume_path, subpath)}: no such file or directory"
        )
    return str(resolved)


def restore_mounts(plan: Iterable[PlannedMount], volumes: VolumeStore) -> None:
    """After a daemon restart, for a container still running: count its volume mounts
    again (a device still mounted is not mounted twice) so teardown works as usual."""
    for m in plan:
        if m.type == "volume":
            try:
                volumes.mount(m.name)
            except NotFound:
                continue


def teardown_mounts(plan: Iterable[PlannedMount], volumes: VolumeStore) -> None:
    """At stop: undo setup_mounts (unmounts option volumes no other container uses)."""
    for m in plan:
        if m.type == "volume":
            try:
                volumes.unmount(m.name)
            except NotFound:
                continue


def anonymous_volumes(plan: Iterable[PlannedMount]) -> list[str]:
    """Volumes `docker rm -v` / `--rm` remove with the container."""
    return [m.name for m in plan if m.type == "volume" and m.anonymous]


def volumes_in_use(
    containers: Iterable[tuple[str, Iterable[PlannedMount | Mapping[str, Any]]]],
) -> dict[str, list[str]]:
    """{volume name: [container ids]} from (container id, plan) pairs: VolumeStore's in_use."""
    users: dict[str, list[str]] = {}
    for cid, plan in containers:
        for item in plan:
            m = item if isinstance(item, PlannedMount) else PlannedMount.from_dict(item)
            if m.type == "volume" and m.name:
                ids = users.setdefault(m.name, [])
                if cid not in ids:
                    ids.append(cid)
    return users
