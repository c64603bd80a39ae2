"""The mounts of one `RUN --mount=...` step turned into host paths for its container:
binds (context, stage, image; rw binds write into a throwaway copy), persistent cache
directories, tmpfs, secrets and the SSH agent socket. Nothing mounted reaches the layer."""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DockyardError, InvalidParameter
from .cachemounts import CacheRequest
from .mounts import Mount, parse_mount
from .parser import Instruction, ParseError
from .plan import Stage


@dataclass
class MountPlan:
    """What the step's container gets: HostConfig.Binds/Tmpfs, Env additions (secrets'
    env= values, SSH_AUTH_SOCK), and the container paths to keep out of the layer."""

    specs: list[str] = field(default_factory=list)  # for the cache key, never a secret
    binds: list[str] = field(default_factory=list)
    tmpfs: dict[str, str] = field(default_factory=dict)
    env: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    secret_env: bool = False  # a secret is in `env`: its container never outlives the step


class MountSteps:
    """Builder's RUN mounts."""

    def parse_mounts(self, stage: Stage, inst: Instruction) -> list[Mount]:
        env = self.build_env(stage)
        wd = stage.config.get("WorkingDir") or "/"
        out = []
        for name, value in inst.flag_list:
            if name != "mount":
                continue
            try:
                m = parse_mount(value or "", lambda v: self._word(v, env))
            except InvalidParameter as exc:
                raise ParseError(inst.line, exc.message) from None
            if m.target:
                m.target = posixpath.normpath(posixpath.join("/", wd, m.target))
            out.append(m)
        return out

    @contextlib.contextmanager
    def mounted(self, stage: Stage, inst: Instruction, mounts: list[Mount]) -> Iterator[MountPlan]:
        plan = MountPlan()
        with contextlib.ExitStack() as stack:
            scratch = Path(tempfile.mkdtemp(prefix="mounts-", dir=self.ctx.dir))
            stack.callback(shutil.rmtree, scratch, True)
            for i, m in enumerate(mounts):
                plan.specs.append(m.spec())
                host = self._mount_source(stack, stage, inst, m, scratch / str(i))
                if host is None:
                    continue
                if m.type == "tmpfs":
                    plan.tmpfs[m.target] = f"size={m.size}" if m.size else ""
                elif host:
                    plan.binds.append(f"{host}:{m.target}:{'ro' if m.readonly else 'rw'}")
                if m.type == "secret" and m.env:
                    plan.secret_env = True
                    plan.env.append(f"{m.env}={self.opts.secrets[m.id].decode(errors='replace')}")
                if m.type == "ssh" and not any(e.startswith("SSH_AUTH_SOCK=") for e in plan.env):
                    plan.env.append(f"SSH_AUTH_SOCK={m.target}")
                if m.target:
                    plan.targets.append(m.target)
            yield plan

    def _mount_source(
        self, stack: contextlib.ExitStack, stage: Stage, inst: Instruction, m: Mount, tmp: Path
    ) -> str | None:
        """The host path to bind ("" for tmpfs or an env-only secret), None to skip."""
        if m.type == "tmpfs":
            return ""
        if m.type == "secret":
            return self._secret_file(m, tmp)
        if m.type == "ssh":
            sock = self.opts.ssh.get(m.id)
            if sock is None:
                if m.required:
                    raise InvalidParameter(f'no SSH key "{m.id}" forwarded from the client')
                return None
            return sock
        if m.type == "cache":
            req = CacheRequest(
                id=m.id or m.target,
                sharing=m.sharing,
                description=f"cached mount {m.target} from exec {inst.rest} with id "
                f'"{m.id or m.target}"',
                mode=m.mode,
                uid=m.uid,
                gid=m.gid,
            )
            seed = None
            if m.from_:
                root = self._from_root(stack, m.from_, inst)

                def seed(data: Path) -> None:
                    _copy_tree(root, m.source or "/", data)

            return str(stack.enter_context(self.cache_mounts.use(req, seed)))
        # bind: the context by default, else a stage or an image
        root = self._from_root(stack, m.from_, inst) if m.from_ else self.ctx.root
        from dockyard.fs.rootpath import resolve_in_root

        src = resolve_in_root(root, "/" + m.source.lstrip("/"))
        if not os.path.lexists(src):
            where = m.from_ or "context"
            raise InvalidParameter(
                f'failed to compute cache key: "/{m.source.strip("/")}" not found in {where}'
            )
        if m.readonly:
            return str(src)
        tmp.mkdir(parents=True)  # writes are discarded: they go to a copy
        copy = tmp / "rw"
        if src.is_dir():
            shutil.copytree(src, copy, symlinks=True)
        else:
            shutil.copy2(src, copy)
        return str(copy)

    def _from_root(self, stack: contextlib.ExitStack, ref: str, inst: Instruction) -> Path:
        named = self.named_dir(ref)
        if named is not None:
            return named
        try:
            image_id = self._source_image(ref, inst)
        except DockyardError as exc:
            if isinstance(exc, InvalidParameter) and "from flag" in exc.message:
                raise
            from dockyard.common.reference import InvalidReference, parse_normalized

            try:
                name = parse_normalized(ref, default_tag=True).canonical()
            except InvalidReference:
                name = ref
            raise InvalidParameter(
                f"failed to resolve source metadata for {name}: {exc.message}"
            ) from None
        return Path(stack.enter_context(self._image_root(image_id)))

    def _secret_file(self, m: Mount, tmp: Path) -> str | None:
        value = self.opts.secrets.get(m.id)
        if value is None:
            if m.required:
                raise InvalidParameter(f"secret {m.id}: not found")
            return None
        if not m.target:
            return ""  # env= only
        tmp.mkdir(parents=True, mode=0o700)
        path = tmp / "secret"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(value)
        os.chown(path, m.uid or 0, m.gid or 0)
        os.chmod(path, m.mode if m.mode is not None else 0o400)
        return str(path)

    def new_mount_dirs(self, image_id: str | None, upper: Path, targets: list[str]) -> list[str]:
        """Mount points and the directories the runtime made only to hold them (absent
        from the image, holding nothing else): left out of the layer as BuildKit does."""
        lowers = self.images.lowerdirs(image_id) if image_id else []
        out = list(targets)
        for target in targets:
            child = target
            parent = posixpath.dirname(target)
            while parent != "/":
                rel = parent.lstrip("/")
                if any(os.path.lexists(low / rel) for low in lowers):
                    break
                try:
                    names = os.listdir(upper / rel)
                except OSError:
                    break
                if set(names) - {posixpath.basename(child)}:
                    break
                out.append(parent)
                child, parent = parent, posixpath.dirname(parent)
        return out


def _copy_tree(root: Path, source: str, dest: Path) -> None:
    from dockyard.fs.rootpath import resolve_in_root

    src = resolve_in_root(root, "/" + source.lstrip("/"))
    if src.is_dir():
        shutil.copytree(src, dest, symlinks=True, dirs_exist_ok=True)
    elif src.exists():
        shutil.copy2(src, dest / src.name)
