"""COPY --exclude and COPY --parents: which source files are left out, and which of a
source's parent directories are kept under the destination."""

from __future__ import annotations

import os
import posixpath
import shutil
from pathlib import Path

from ..common.dockerignore import DockerIgnore
from .context import expand_sources


def stage_without(root: Path, srcs: list[str], excludes: list[str], out: Path) -> None:
    """Copy what `srcs` match under `root` into `out` (same relative paths), leaving out
    the files an --exclude pattern matches: relative to the source itself (a directory's
    contents) or to the directory the source pattern starts from."""
    rules = DockerIgnore("\n".join(excludes))
    for src in srcs:
        base = _base_dir(src)
        for rel in expand_sources(root, src):
            _copy_filtered(root, rel, base, rules, out)


def _base_dir(src: str) -> str:
    """The directory part of a source before any wildcard."""
    clean = posixpath.normpath("/" + src).lstrip("/")
    parts = clean.split("/")
    fixed = []
    for part in parts[:-1]:
        if any(c in part for c in "*?["):
            break
        fixed.append(part)
    return "/".join(fixed)


def _rel_to(path: str, base: str) -> str:
    if not base or base == ".":
        return path
    return posixpath.relpath(path, base)


def _copy_filtered(root: Path, rel: str, base: str, rules: DockerIgnore, out: Path) -> None:
    src = root / rel if rel != "." else root
    if rules.excluded(_rel_to(rel, base)) and rel != ".":
        return
    if not src.is_dir() or src.is_symlink():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, out / rel, follow_symlinks=False)
        return
    top = out / rel if rel != "." else out
    top.mkdir(parents=True, exist_ok=True)
    shutil.copystat(src, top)
    for dirpath, dirnames, filenames in os.walk(src):
        here = posixpath.relpath(dirpath, src)
        keep = []
        for name in sorted(dirnames) + sorted(filenames):
            inner = name if here == "." else posixpath.join(here, name)
            full = posixpath.join(rel, inner) if rel != "." else inner
            if rules.excluded(inner) or rules.excluded(_rel_to(full, base)):
                continue
            path = Path(dirpath) / name
            target = top / inner
            if name in dirnames and not path.is_symlink():
                target.mkdir(exist_ok=True)
                shutil.copystat(path, target)
                keep.append(name)
            else:
                shutil.copy2(path, target, follow_symlinks=False)
        dirnames[:] = [d for d in dirnames if d in keep]


def parent_dirs(src: str, rel: str) -> str:
    """COPY --parents: the directories of `rel` kept under the destination — all of them,
    or those after a ``/./`` pivot in the source."""
    clean = src.lstrip("/")
    while clean.startswith("./"):
        clean = clean[2:].lstrip("/")
    if "/./" in "/" + clean:
        pivot = posixpath.normpath(("/" + clean).split("/./", 1)[0]).lstrip("/")
        rel = posixpath.relpath(rel, pivot) if pivot else rel
    parent = posixpath.dirname(rel)
    return "" if parent in ("", ".") else parent
