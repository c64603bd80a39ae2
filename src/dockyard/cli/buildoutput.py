"""`build --output` and `--metadata-file`: the built filesystem written to a directory
(type=local) or a tar file (type=tar, "-" for stdout) instead of an image, and buildx's
metadata JSON. The classic API returns an image: its files are read back through a
created (never started) container's export."""

from __future__ import annotations

import csv
import json
import os
import shutil
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from typing import Any

from .common import CLIError, Context

# files the runtime puts in every container's rootfs, not part of the build result
_RUNTIME_FILES = {".dockerenv", "etc/hostname", "etc/hosts", "etc/resolv.conf"}


@dataclass
class Output:
    type: str  # "local" or "tar"
    dest: str


def parse_output(values: list[str]) -> Output | None:
    """buildx's --output grammar: "type=local,dest=DIR", "type=tar,dest=FILE", "DIR", "-"."""
    if not values:
        return None
    if len(values) > 1:
        raise CLIError("ERROR: multiple outputs currently unsupported", 1)
    value = values[0]
    if "=" not in value:
        return Output("tar" if value == "-" else "local", value)
    try:
        fields = next(csv.reader([value]))
    except (csv.Error, StopIteration):
        raise CLIError(f"ERROR: failed to parse csv output: {value}", 1) from None
    kv = {}
    for field in fields:
        key, eq, val = field.partition("=")
        if not eq:
            raise CLIError(f"ERROR: invalid value {field}", 1)
        kv[key.strip().lower()] = val
    kind = kv.get("type", "local")
    if kind not in ("local", "tar"):
        raise CLIError(
            f'ERROR: output type "{kind}" is not supported by dockyard\'s builder '
            "(local and tar are; an image is the default)",
            1,
        )
    dest = kv.get("dest", "")
    if not dest:
        raise CLIError(f"ERROR: dest is required for {kind} exporter", 1)
    return Output(kind, dest)


def check_writable(out: Output) -> None:
    """Fail before the build, as BuildKit's client does, when `dest` cannot be written."""
    try:
        if out.type == "local":
            os.makedirs(out.dest, exist_ok=True)
            probe = tempfile.NamedTemporaryFile(dir=out.dest, prefix=".dockyard-probe-")
            probe.close()
        elif out.dest != "-":
            parent = os.path.dirname(os.path.abspath(out.dest))
            if not os.path.isdir(parent) or not os.access(parent, os.W_OK):
                raise OSError(
                    f"open {out.dest}: "
                    + (
                        "no such file or directory"
                        if not os.path.isdir(parent)
                        else "permission denied"
                    )
                )
            if os.path.isdir(out.dest):
                raise OSError(f"open {out.dest}: is a directory")
    except OSError as exc:
        text = exc.strerror.lower() if exc.strerror else str(exc)
        where = f"mkdir {out.dest}: " if exc.strerror else ""
        raise CLIError(f"ERROR: failed to solve: error from receiver: {where}{text}", 1) from None


def write_output(ctx: Context, out: Output, image_id: str) -> None:
    api = ctx.api
    cid = api.containers.create({"Image": image_id, "Cmd": ["true"], "Entrypoint": [""]})["Id"]
    try:
        with tempfile.TemporaryFile() as raw:
            for chunk in api.containers.export(cid):
                raw.write(chunk)
            raw.seek(0)
            with tarfile.open(fileobj=raw, mode="r:") as src:
                skip = _runtime_only(src.getmembers())
                if out.type == "local":
                    _extract(src, out.dest, skip)
                else:
                    _retar(src, out.dest, skip)
    finally:
        api.containers.remove(cid, force=True)


def _rel(name: str) -> str:
    return name[2:] if name.startswith("./") else name.lstrip("/")


def _is_runtime_file(member: tarfile.TarInfo) -> bool:
    name = _rel(member.name)
    if name == "etc/mtab":
        return member.issym() and member.linkname == "/proc/mounts"
    return name in _RUNTIME_FILES and member.isfile() and member.size == 0


def _runtime_only(members: list[tarfile.TarInfo]) -> set[str]:
    """Members to leave out: the files the runtime puts in every container, and directories
    that hold nothing else (an empty directory of the build's own is kept)."""
    skip = {m.name for m in members if _is_runtime_file(m)}
    kept_under: set[str] = set()
    skipped_under: set[str] = set()
    for m in members:
        parts = _rel(m.name).split("/")[:-1]
        into = skipped_under if m.name in skip else kept_under
        into.update("/".join(parts[: n + 1]) for n in range(len(parts)))
    skip |= {m.name for m in members if m.isdir() and _rel(m.name).rstrip("/") in skipped_under - kept_under}
    return skip


def _extract(src: tarfile.TarFile, dest: str, skip: set[str]) -> None:
    # extraction filters came with 3.11.4 (Debian's 3.11.2 has none: root's behaviour)
    kw = {"filter": "fully_trusted" if os.geteuid() == 0 else "tar"}
    if not hasattr(tarfile, "fully_trusted_filter"):
        kw = {}
    for member in src:
        if member.name in skip:
            continue
        src.extract(member, dest, **kw)  # type: ignore[arg-type]


def _retar(src: tarfile.TarFile, dest: str, skip: set[str]) -> None:
    target: Any = sys.stdout.buffer if dest == "-" else open(dest + ".tmp", "wb")  # noqa: SIM115
    try:
        with tarfile.open(fileobj=target, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for member in src:
                if member.name not in skip:
                    tar.addfile(member, src.extractfile(member) if member.isfile() else None)
    finally:
        if dest != "-":
            target.close()
    if dest != "-":
        shutil.move(dest + ".tmp", dest)


def write_metadata(path: str, image_id: str, tags: list[str]) -> None:
    """buildx's --metadata-file keys that apply to an image in the local store."""
    doc: dict[str, str] = {"containerimage.config.digest": image_id}
    if tags:
        doc["image.name"] = ",".join(tags)
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
