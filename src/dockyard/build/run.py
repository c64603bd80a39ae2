"""Steps in containers: RUN (with heredocs and #! scripts), the intermediate containers
of every step (created, removed per --rm/--force-rm) and their commits."""

from __future__ import annotations

import contextlib
import copy
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import DockyardError, InvalidParameter
from .mounts import check_network
from .parser import Instruction, ParseError
from .plan import BUILTIN_ARGS, BuildError, Stage
from .runmounts import MountPlan
from .shell import env_map


class RunSteps:
    """Builder's containers: each step runs (RUN) or is committed in one."""

    def _container_config(self, stage: Stage, cmd: list[str]) -> dict[str, Any]:
        cfg = copy.deepcopy(stage.config)
        cfg["Cmd"] = cmd
        return cfg

    def commit_nop(self, stage: Stage, comment: str) -> None:
        cc = self._container_config(stage, [*self.shell(stage), "#(nop) ", comment])
        if self._probe(stage, cc):
            return
        cid = ""
        if stage.image_id is not None:
            cid = self._create(stage, cc)
            self.out(f" ---> Running in {cid[:12]}\n")
        try:
            stage.image_id = self.images.commit(
                None,
                stage.image_id,
                self._image_config(stage),
                author=stage.maintainer,
                container_id=cid,
                container_config=cc,
                created_by=" ".join(cc["Cmd"]),
            )
        finally:
            if cid:
                self._remove(cid, failed=False, announce=True)

    def commit_with_fs(
        self, stage: Stage, cmd: list[str], work: Callable[[Path], None], announce: bool = True
    ) -> None:
        """A step that changes files without running anything from the image."""
        cc = self._container_config(stage, cmd)
        if self._probe(stage, cc):
            return
        if stage.image_id is None:
            tmp = Path(tempfile.mkdtemp(prefix="layer-", dir=self.ctx.dir))
            try:
                work(tmp)
                stage.image_id = self.images.commit(
                    tmp,
                    stage.image_id,
                    self._image_config(stage),
                    author=stage.maintainer,
                    container_config=cc,
                    created_by=" ".join(cmd),
                )
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            return
        cid = self._create(stage, cc)
        if announce:
            self.out(f" ---> Running in {cid[:12]}\n")
        ok = False
        try:
            with self._mounted(cid) as root:
                work(root)
            stage.image_id = self._commit_container(stage, cid, cc)
            ok = True
        finally:
            self._remove(cid, failed=not ok, announce=announce)

    @contextlib.contextmanager
    def _mounted(self, cid: str) -> Iterator[Path]:
        from ..containers.archive import mounted_root

        c = self.containers.get(cid)
        with mounted_root(self.containers, c) as root:
            yield root

    def _commit_container(
        self, stage: Stage, cid: str, cc: dict[str, Any], keep_out: list[str] | None = None
    ) -> str:
        from ..containers.inspect_proc import runtime_mount_points

        c = self.containers.get(cid)
        image_id: str = self.images.commit(
            self.containers.dir(cid) / "upper",
            stage.image_id,
            self._image_config(stage),
            author=stage.maintainer,
            container_id=cid,
            container_config=cc,
            created_by=" ".join(cc.get("Cmd") or []),
            exclude=[*runtime_mount_points(c), *(keep_out or [])],
        )
        return image_id

    def _image_config(self, stage: Stage) -> dict[str, Any]:
        return copy.deepcopy(stage.config)

    def _host_config(self) -> dict[str, Any]:
        hc: dict[str, Any] = {"NetworkMode": self.opts.networkmode or "default"}
        if self.opts.extrahosts:
            hc["ExtraHosts"] = list(self.opts.extrahosts)
        if self.opts.memory:
            hc["Memory"] = self.opts.memory
        if self.opts.shmsize:
            hc["ShmSize"] = self.opts.shmsize
        if self.opts.cpushares:
            hc["CpuShares"] = self.opts.cpushares
        return hc

    def _create(
        self,
        stage: Stage,
        cfg: dict[str, Any],
        env: list[str] | None = None,
        binds: list[str] | None = None,
        tmpfs: dict[str, str] | None = None,
        network: str | None = None,
    ) -> str:
        body = copy.deepcopy(cfg)
        body["Image"] = stage.image_id
        body["Entrypoint"] = [""]
        if env is not None:
            body["Env"] = env
        body["Healthcheck"] = {"Test": ["NONE"]}
        body["AttachStdout"] = True
        body["AttachStderr"] = True
        body["HostConfig"] = self._host_config()
        if binds:
            body["HostConfig"]["Binds"] = binds
        if tmpfs:
            body["HostConfig"]["Tmpfs"] = tmpfs
        if network and network != "default":
            body["HostConfig"]["NetworkMode"] = network
        result = self.containers.create(None, body)
        cid: str = result["Id"]
        self._live.append(cid)
        return cid

    _live: list[str]

    def _remove(
        self, cid: str, *, failed: bool, announce: bool, holds_secret: bool = False
    ) -> None:
        """Docker's rules: --rm removes after a successful step, --force-rm always; a
        failed step's container stays for inspection otherwise."""
        keep = not self.opts.forcerm if failed else not (self.opts.rm or self.opts.forcerm)
        if self.cancelled.is_set() or holds_secret:
            keep = False  # a cancelled build, or a secret in Env, leaves nothing behind
        if keep:
            if cid in self._live:
                self._live.remove(cid)
            self.leftover.append(cid)
            return
        try:
            self.containers.remove(cid, force=True, volumes=True)
        except DockyardError as exc:
            self.out(f"Error removing intermediate container {cid[:12]}: {exc.message}\n")
            return
        finally:
            if cid in self._live:
                self._live.remove(cid)
        if announce:
            self.out(f" ---> Removed intermediate container {cid[:12]}\n")

    def _cleanup_failed(self) -> None:
        for cid in list(getattr(self, "_live", [])):
            with contextlib.suppress(DockyardError):
                self.containers.remove(cid, force=True, volumes=True)

    # ------------------------------------------------------------------ RUN
    def do_run(self, stage: Stage, inst: Instruction) -> None:
        if inst.flag("security") is not None:
            raise InvalidParameter(
                "the --security option requires BuildKit. Refer to "
                "https://docs.docker.com/go/buildkit/ to learn how to build images with "
                "BuildKit enabled"
            )
        network = inst.flag("network")
        if network is not None:
            try:
                check_network(network)
            except InvalidParameter as exc:
                raise ParseError(inst.line, exc.message) from None
        mounts = self.parse_mounts(stage, inst)
        if stage.image_id is None:
            raise BuildError(
                "failed to create shim task: OCI runtime create failed: runc create failed: "
                'unable to start container process: exec: "/bin/sh": stat /bin/sh: no such '
                "file or directory: unknown",
                127,
            )
        if inst.heredocs and inst.json_args is None:
            cmd = self._heredoc_run(stage, inst)
        else:
            cmd = self._cmd_form(stage, inst)
        args = self.arg_values(stage)
        declared_env = env_map(stage.config.get("Env"))
        used = {k: v for k, v in args.items() if k not in declared_env}
        save_cmd = list(cmd)
        saved = sorted(
            f"{k}={v}" for k, v in used.items() if k in stage.args or k not in BUILTIN_ARGS
        )  # proxies given with --build-arg only never reach the cache key (nor the image)
        # the mounts (ids and targets, never a secret's value) and the network are part of
        # the step: they are in its cache key and history, as build args are
        flags = [m.spec() for m in mounts] + ([f"--network={network}"] if network else [])
        if saved or flags:
            save_cmd = [f"|{len(saved)}", *saved] if saved else []
            save_cmd = [*save_cmd, *flags, *cmd]
        cc = self._container_config(stage, save_cmd)
        if self._probe(stage, cc):
            return
        with self.mounted(stage, inst, mounts) as plan:
            self._run_step(stage, inst, cmd, cc, used, plan, network)

    def _run_step(
        self,
        stage: Stage,
        inst: Instruction,
        cmd: list[str],
        cc: dict[str, Any],
        used: dict[str, str],
        plan: MountPlan,
        network: str | None,
    ) -> None:
        run_env = (
            list(stage.config.get("Env") or [])
            + [f"{k}={v}" for k, v in sorted(used.items())]
            + plan.env
        )
        run_cmd, binds = cmd, list(plan.binds)
        script = self._shebang_script(stage, inst)
        if script is not None:
            run_cmd, binds = script[0], [*binds, *script[1]]
        run_cfg = self._container_config(stage, run_cmd)
        cid = self._create(
            stage, run_cfg, env=run_env, binds=binds, tmpfs=plan.tmpfs, network=network
        )
        self.out(f" ---> Running in {cid[:12]}\n")
        ok = False
        try:
            code = self._run_container(cid)
            if code != 0:
                raise BuildError(
                    f"The command '{' '.join(cmd)}' returned a non-zero code: {code}", code
                )
            keep_out = self.new_mount_dirs(
                stage.image_id, self.containers.dir(cid) / "upper", plan.targets
            )
            stage.image_id = self._commit_container(stage, cid, cc, keep_out)
            ok = True
        finally:
            self._remove(cid, failed=not ok, announce=True, holds_secret=plan.secret_env)

    def _heredoc_run(self, stage: Stage, inst: Instruction) -> list[str]:
        from .parser import heredoc_markers

        rest = inst.rest.strip()
        markers = heredoc_markers(rest)
        only = len(inst.heredocs) == 1 and rest in (
            f"<<{m}{q}{inst.heredocs[0].name}{q}" for m in ("", "-") for q in ("", "'", '"')
        )
        if only and markers:
            body = inst.heredocs[0].content
            return [*self.shell(stage), body]
        script = rest + "\n"
        for doc in inst.heredocs:
            script += doc.content + doc.name + "\n"
        return [*self.shell(stage), script]

    def _shebang_script(
        self, stage: Stage, inst: Instruction
    ) -> tuple[list[str], list[str]] | None:
        """``RUN <<EOF`` whose body starts with ``#!``: the body runs as a file, mounted
        read-only at /dev/pipes/<name> (so it never lands in the layer)."""
        if inst.json_args is not None or len(inst.heredocs) != 1:
            return None
        doc = inst.heredocs[0]
        if not doc.content.startswith("#!"):
            return None
        if inst.rest.strip().lstrip("<-").strip("'\"") != doc.name:
            return None
        host = Path(tempfile.mkdtemp(prefix="heredoc-", dir=self.ctx.dir)) / doc.name
        host.write_text(doc.content)
        host.chmod(0o755)
        target = f"/dev/pipes/{doc.name}"
        return [*self.shell(stage), target], [f"{host}:{target}:ro"]

    def _run_container(self, cid: str) -> int:
        from ..containers.logs import RecordFollower

        c = self.containers.get(cid)
        follower = RecordFollower(c.record.log_path)
        self.containers.start(cid)
        pending = b""

        def pump() -> None:
            nonlocal pending
            for _ts, _stream, partial, text in follower.read_new():
                pending += text
                if not partial:
                    pending += b"\n"
            if pending:
                self.out(pending.decode("utf-8", errors="replace"))
                pending = b""

        while True:
            exited = c.exit_event.wait(0.05)
            pump()
            if exited or not c.running:
                break
            if self.cancelled.is_set():
                with contextlib.suppress(DockyardError):
                    self.containers.kill(cid, "SIGKILL")
                c.exit_event.wait(10)
                raise BuildError("build cancelled")
        time.sleep(0.02)
        pump()
        return c.state.exit_code
