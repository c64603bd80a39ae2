"""COPY and ADD: sources from the context, another stage or image, a URL or a heredoc,
resolved and copied inside roots (never through a symlink to the host), --chown/--chmod."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import posixpath
import shutil
import stat
import tarfile
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import DockyardError, InvalidParameter, NotFound
from .context import expand_sources, hash_path
from .copyfilter import parent_dirs, stage_without
from .gitsource import checkout, is_git_url
from .parser import Instruction
from .plan import Stage

_DOWNLOAD_LIMIT = 8 << 30


class CopySteps:
    """Builder's COPY and ADD."""

    # ------------------------------------------------------------------ COPY / ADD
    def do_copy(self, stage: Stage, inst: Instruction) -> None:
        self._copy(stage, inst, add=False)

    def do_add(self, stage: Stage, inst: Instruction) -> None:
        self._copy(stage, inst, add=True)

    def _copy(self, stage: Stage, inst: Instruction, add: bool) -> None:
        name = "ADD" if add else "COPY"
        env = self.build_env(stage)
        args = inst.json_args
        if args is not None:
            words = [self._word(a, env) for a in args]
        else:
            words = self._words(inst.rest, env)
        if len(words) < 2:
            raise InvalidParameter(
                f"{name} requires at least two arguments, but only one was provided. "
                "Destination could not be determined"
            )
        srcs, dest = words[:-1], words[-1]
        excludes = [self._word(v or "", env) for k, v in inst.flag_list if k == "exclude"]
        parents = _bool_flag(inst, "parents")
        if inst.flag("checksum") is not None and not all(
            w.startswith(("http://", "https://")) or (add and is_git_url(w)) for w in srcs
        ):
            raise InvalidParameter("checksum can't be specified for non-HTTP(S) sources")
        chown = inst.flag("chown")
        chown = self._word(chown, env) if chown else None
        chmod = inst.flag("chmod")
        mode = None
        if chmod:
            try:
                mode = int(chmod, 8)
            except ValueError:
                raise InvalidParameter(f"invalid chmod parameter: {chmod}") from None
        from_ = inst.flag("from")
        src_root = self.ctx.root
        src_image: str | None = None
        named_dir = self.named_dir(self._word(from_, env)) if from_ is not None else None
        if named_dir is not None:
            src_root = named_dir  # a local named context: hashed like the main one
        elif from_ is not None:
            src_image = self._source_image(self._word(from_, env), inst)
        wd = stage.config.get("WorkingDir") or "/"
        dest_abs = dest if dest.startswith("/") else posixpath.join("/", wd, dest)
        if dest.endswith("/") and not dest_abs.endswith("/"):
            dest_abs += "/"
        with contextlib.ExitStack() as stack:
            if src_image is not None:
                src_root = stack.enter_context(self._image_root(src_image))
            ctx_root = named_dir or self.ctx.root
            if excludes:
                # a copy of the sources without the excluded files stands in for the root
                staged = Path(tempfile.mkdtemp(prefix="exclude-", dir=self.ctx.dir))
                stack.callback(shutil.rmtree, staged, True)
                stage_without(src_root, srcs, excludes, staged)
                if src_root == ctx_root:
                    ctx_root = staged
                src_root = staged
            per_src = [
                self._resolve_sources(inst, [s], src_root, add, name, ctx_root) for s in srcs
            ]
            sources = [x for group in per_src for x in group]
            if len(sources) > 1 and not dest_abs.endswith("/"):
                raise InvalidParameter(
                    f"When using {name} with more than one source file, the destination must "
                    "be a directory and end with a /"
                )
            if len(sources) == 1:
                kind, digest = sources[0][2], sources[0][3]
                src_hash = f"{kind}:{digest}"
            else:
                src_hash = (
                    "multi:"
                    + hashlib.sha256(
                        ",".join(f"{s[2]}:{s[3]}" for s in sources).encode()
                    ).hexdigest()
                )
            if src_image is not None:
                src_hash = (
                    src_hash.split(":", 1)[0]
                    + ":"
                    + hashlib.sha256((src_image + src_hash).encode()).hexdigest()
                )
            chown_comment = f"--chown={chown} " if chown else ""
            chmod_comment = f"--chmod={chmod} " if chmod else ""
            parents_comment = "--parents " if parents else ""
            comment = (
                f"{name} {chown_comment}{chmod_comment}{parents_comment}{src_hash} in {dest_abs} "
            )
            cmd = [*self.shell(stage), "#(nop) " + comment]

            def work(root: Path) -> None:
                ident = None
                if chown:
                    ident = _resolve_chown(root, chown)
                elif src_image is None:
                    ident = (0, 0)
                if not parents:
                    self._do_copy(root, src_root, sources, dest_abs, ident, mode, add)
                    return
                for src, group in zip(srcs, per_src, strict=True):
                    for one in group:
                        sub = parent_dirs(src, one[1]) if one[0] == "path" else ""
                        to = posixpath.join(dest_abs, sub) + "/" if sub else dest_abs
                        self._do_copy(root, src_root, [one], to, ident, mode, add)

            self.commit_with_fs(stage, cmd, work, announce=False)

    def named_dir(self, name: str) -> Path | None:
        """The directory of a local named context (--build-context name=DIR)."""
        named = self.opts.named_contexts.get(name.lower())
        return named.dir if named is not None else None

    def _source_image(self, ref: str, inst: Instruction) -> str:
        named = self.opts.named_contexts.get(ref.lower())
        if named is not None and named.image:
            ref = named.image  # --build-context name=docker-image://REF
        low = ref.lower()
        for s in self.stages:
            if s.name and s.name == low:
                if s.image_id is None and s.index >= self._current_index(inst):
                    break
                if s.image_id is None:
                    raise InvalidParameter(f"invalid from flag value {ref}: stage has no image")
                return s.image_id
        if ref.isdigit():
            idx = int(ref)
            if idx < len(self.stages) and self.stages[idx].image_id:
                return self.stages[idx].image_id  # type: ignore[return-value]
            raise InvalidParameter(f"index out of bounds for --from={ref}")
        try:
            return str(self.images.resolve(ref).id)
        except NotFound:
            from dockyard.common.reference import InvalidReference, parse_normalized

            try:
                r = parse_normalized(ref, default_tag=False)
                if r.is_name_only:
                    r = r.with_tag("latest")
            except InvalidReference as exc:
                raise InvalidParameter(f"invalid from flag value {ref}: {exc}") from None
            return str(self.distribution.pull(r, self._auth_for(r), None, self.message))

    def _current_index(self, inst: Instruction) -> int:
        for s in self.stages:
            if inst in s.commands:
                return s.index
        return len(self.stages)

    @contextlib.contextmanager
    def _image_root(self, image_id: str) -> Iterator[Path]:
        """A read-only view of an image's files: a created (never started) container."""
        body = {
            "Image": image_id,
            "Cmd": ["/bin/sh"],
            "Entrypoint": [""],
            "HostConfig": {"NetworkMode": "none"},
        }
        result = self.containers.create(None, body)
        cid = result["Id"]
        self._live.append(cid)
        try:
            with self._mounted(cid) as root:
                yield root
        finally:
            with contextlib.suppress(DockyardError):
                self.containers.remove(cid, force=True, volumes=True)
            if cid in self._live:
                self._live.remove(cid)

    def _resolve_sources(
        self,
        inst: Instruction,
        srcs: list[str],
        root: Path,
        add: bool,
        name: str,
        ctx_root: Path | None = None,
    ) -> list[tuple[str, Any, str, str]]:
        """(kind of source, path or payload, hash kind, digest) per source; `ctx_root` is
        the context's files (a filtered copy with --exclude)."""
        ctx_root = ctx_root or self.ctx.root
        out: list[tuple[str, Any, str, str]] = []
        docs = {d.name: d for d in inst.heredocs}
        for src in srcs:
            if src.startswith("<<") and src.lstrip("<-").strip("'\"") in docs:
                doc = docs[src.lstrip("<-").strip("'\"")]
                content = doc.content
                if doc.expand:
                    content = self._word_keep_quotes(content, self.build_env(self._stage_of(inst)))
                data = content.encode()
                out.append(("heredoc", (doc.name, data), "file", hashlib.sha256(data).hexdigest()))
                continue
            if add and is_git_url(src):
                out.append(self._git_source(inst, src))
                continue
            if add and src.startswith(("http://", "https://")):
                fetched = self._download(src)
                digest = hashlib.sha256(fetched[1]).hexdigest()
                want = inst.flag("checksum")
                if want is not None:
                    algo, _, hexd = want.partition(":")
                    if algo != "sha256" or not hexd:
                        raise InvalidParameter(f"invalid checksum digest format: {want}")
                    if hexd.lower() != digest:
                        raise InvalidParameter(f"digest mismatch sha256:{digest}: {want}")
                out.append(("url", fetched, "file", digest))
                continue
            matches = expand_sources(root, src)
            if not matches:
                if any(c in src for c in "*?["):
                    raise InvalidParameter(f"{name} failed: no source files were specified")
                if root != ctx_root:
                    raise InvalidParameter(f"{name} failed: stat {src}: file does not exist")
                raise InvalidParameter(
                    f"{name} failed: file not found in build context or excluded by "
                    f".dockerignore: stat {src}: file does not exist"
                )
            for rel in matches:
                from dockyard.fs.rootpath import resolve_in_root

                # symlinks resolve inside the root: a link never reaches the host
                path = resolve_in_root(root, "/" + rel if rel != "." else "/")
                if not os.path.lexists(path):
                    where = (
                        "file not found in build context or excluded by .dockerignore: "
                        if root == ctx_root
                        else ""
                    )
                    raise InvalidParameter(f"{name} failed: {where}stat {src}: file does not exist")
                kind = "dir" if path.is_dir() and not path.is_symlink() else "file"
                if root == ctx_root:
                    digest = hash_path(path)
                else:
                    digest = hashlib.sha256(rel.encode()).hexdigest()
                out.append(("path", rel, kind, digest))
        return out

    def _git_source(self, inst: Instruction, src: str) -> tuple[str, Any, str, str]:
        keep = _bool_flag(inst, "keep-git-dir")
        got = checkout(src, self.ctx.dir, keep)
        want = inst.flag("checksum")
        if want is not None and not got.commit.startswith(want.removeprefix("sha1:")):
            raise InvalidParameter(f"expected checksum to match {want}, got {got.commit}")
        digest = hashlib.sha256(f"{src} {got.commit} {keep}".encode()).hexdigest()
        return ("git", got.dir, "dir", digest)

    def _stage_of(self, inst: Instruction) -> Stage:
        for s in self.stages:
            if inst in s.commands:
                return s
        return self.stages[-1]

    def _word_keep_quotes(self, text: str, env: dict[str, str]) -> str:
        """Heredoc bodies: expand variables but keep quotes and newlines."""
        out = []
        i = 0
        while i < len(text):
            if text[i] == "$":
                j = i + 1
                if j < len(text) and text[j] == "{":
                    end = text.find("}", j)
                    if end == -1:
                        out.append(text[i:])
                        break
                    out.append(self._word(text[i : end + 1], env))
                    i = end + 1
                    continue
                while j < len(text) and (text[j].isalnum() or text[j] == "_"):
                    j += 1
                if j > i + 1:
                    out.append(env.get(text[i + 1 : j], ""))
                    i = j
                    continue
            if text[i] == self.escape and i + 1 < len(text) and text[i + 1] == "$":
                out.append("$")
                i += 2
                continue
            out.append(text[i])
            i += 1
        return "".join(out)

    def _do_copy(
        self,
        root: Path,
        src_root: Path,
        sources: list[tuple[str, Any, str, str]],
        dest: str,
        ident: tuple[int, int] | None,
        mode: int | None,
        add: bool,
    ) -> None:
        from dockyard.fs.rootpath import (
            copy_between_roots,
            extract_into_root,
            mkdir_in_root,
            resolve_in_root,
        )

        dest_is_dir = dest.endswith("/")
        if not dest_is_dir:
            with contextlib.suppress(OSError):
                host = resolve_in_root(root, dest)
                if host.is_dir():
                    dest_is_dir = True
        dest_clean = posixpath.normpath(dest)
        touched: list[str] = []
        for kind, payload, hkind, _digest in sources:
            if kind in ("heredoc", "url"):
                if kind == "heredoc":
                    fname, data = payload
                    fmode = 0o644
                    mtime = int(time.time())
                else:
                    fname, data, mtime = payload
                    fmode = 0o600
                target_dir = dest_clean if dest_is_dir else posixpath.dirname(dest_clean)
                arc = fname if dest_is_dir else posixpath.basename(dest_clean)
                mkdir_in_root(root, target_dir, chown=ident)
                buf = _single_file_tar(arc, data, mode if mode is not None else fmode, mtime, ident)
                extract_into_root(root, target_dir, buf, chown=ident)
                touched.append(posixpath.join(target_dir, arc))
                continue
            if kind == "git":
                mkdir_in_root(root, dest_clean, chown=ident)
                copy_between_roots(
                    payload, "/", root, dest_clean, arcname=".", follow_link=False, chown=ident
                )
                touched.append(dest_clean)
                continue
            rel = payload
            src_host = src_root / rel if rel != "." else src_root
            if hkind == "dir":
                mkdir_in_root(root, dest_clean, chown=ident)
                copy_between_roots(
                    src_root, "/" + rel if rel != "." else "/", root, dest_clean,
                    arcname=".", follow_link=True, chown=ident,
                )  # fmt: skip
                touched.append(dest_clean)
                continue
            if add and _is_archive(src_host):
                mkdir_in_root(root, dest_clean, chown=ident)
                with open(src_host, "rb") as f:
                    extract_into_root(root, dest_clean, f, chown=ident)
                continue
            target_dir = dest_clean if dest_is_dir else posixpath.dirname(dest_clean) or "/"
            arc = posixpath.basename(rel) if dest_is_dir else posixpath.basename(dest_clean)
            mkdir_in_root(root, target_dir, chown=ident)
            copy_between_roots(
                src_root, "/" + rel, root, target_dir, arcname=arc, follow_link=True, chown=ident
            )
            touched.append(posixpath.join(target_dir, arc))
        if mode is not None:
            for path in touched:
                with contextlib.suppress(OSError):
                    _chmod_tree(resolve_in_root(root, path), mode)

    def _download(self, url: str) -> tuple[str, bytes, int]:
        parsed = urllib.parse.urlparse(url)
        name = posixpath.basename(parsed.path.rstrip("/")) or "__unnamed__"
        try:
            with urllib.request.urlopen(url, timeout=60) as resp:  # noqa: S310 - the user's URL
                buf = io.BytesIO()
                while chunk := resp.read(1 << 20):
                    buf.write(chunk)
                    if buf.tell() > _DOWNLOAD_LIMIT:
                        raise InvalidParameter(f"{url}: download too large")
                mtime = int(time.time())
                lm = resp.headers.get("Last-Modified")
                if lm:
                    from email.utils import parsedate_to_datetime

                    with contextlib.suppress(Exception):
                        mtime = int(parsedate_to_datetime(lm).timestamp())
        except OSError as exc:
            raise InvalidParameter(f"failed to GET {url}: {exc}") from None
        return name, buf.getvalue(), mtime


def _bool_flag(inst: Instruction, name: str) -> bool:
    value = inst.flag(name)
    if value is None:
        return False
    if value.lower() not in ("true", "false", "1", "0"):
        raise InvalidParameter(f"expecting boolean value for flag {name}, not: {value}")
    return value.lower() in ("true", "1")


def _single_file_tar(
    name: str, data: bytes, mode: int, mtime: int, ident: tuple[int, int] | None
) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        ti.mode = mode
        ti.mtime = mtime
        ti.uid, ti.gid = ident or (0, 0)
        tf.addfile(ti, io.BytesIO(data))
    buf.seek(0)
    return buf


def _is_archive(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError:
        return False
    if head[:2] == b"\x1f\x8b" or head[:3] == b"BZh" or head[:6] == b"\xfd7zXZ\x00":
        try:
            with tarfile.open(path, "r:*") as tf:
                return tf.next() is not None
        except (tarfile.TarError, OSError, EOFError):
            return False
    if head[:4] == b"\x28\xb5\x2f\xfd":
        return False
    return len(head) >= 262 and head[257:262] == b"ustar"


def _chmod_tree(path: Path, mode: int) -> None:
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        return
    os.chmod(path, mode)
    if stat.S_ISDIR(st.st_mode):
        for dirpath, dirnames, filenames in os.walk(path):
            for n in dirnames + filenames:
                p = os.path.join(dirpath, n)
                if not os.path.islink(p):
                    os.chmod(p, mode)


def _lookup_id(root: Path, file: str, name: str) -> int | None:
    from dockyard.fs.rootpath import resolve_in_root

    try:
        text = resolve_in_root(root, file).read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        parts = line.split(":")
        if len(parts) > 2 and parts[0] == name:
            try:
                return int(parts[2])
            except ValueError:
                return None
    return None


def _resolve_chown(root: Path, spec: str) -> tuple[int, int]:
    user, _, group = spec.partition(":")
    if user.isdigit():
        uid = int(user)
    else:
        found = _lookup_id(root, "/etc/passwd", user)
        if found is None:
            raise InvalidParameter(
                f"unable to convert uid/gid chown string to host mapping: can't find uid for "
                f"user {user}: no such user: {user}"
            )
        uid = found
    if not group:
        if user.isdigit():
            return uid, uid
        gid = None
        try:
            from dockyard.fs.rootpath import resolve_in_root

            text = resolve_in_root(root, "/etc/passwd").read_text(errors="replace")
            for line in text.splitlines():
                parts = line.split(":")
                if len(parts) > 3 and parts[0] == user:
                    gid = int(parts[3])
        except (OSError, ValueError):
            gid = None
        return uid, gid if gid is not None else uid
    if group.isdigit():
        return uid, int(group)
    found_g = _lookup_id(root, "/etc/group", group)
    if found_g is None:
        raise InvalidParameter(
            f"unable to convert uid/gid chown string to host mapping: can't find gid for "
            f"group {group}: no such group: {group}"
        )
    return uid, found_g
