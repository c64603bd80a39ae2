"""The classic (non-BuildKit) builder: one step per instruction, real containers for RUN,
an image per step, Docker's legacy output text and per-step cache.

Every step is committed as an image whose parent is the previous step's image and whose
``container_config`` records what the step did (its Cmd holds the instruction, or the
content hash of COPY/ADD sources): a later build finds the same step among the parent's
children and reuses it (`` ---> Using cache``).
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidParameter, NotFound
from .cache import Cache, cache_key
from .context import BuildContext
from .copyadd import CopySteps
from .directives import check_syntax, parse_check
from .parallel import ParallelStages
from .parser import Instruction, ParseError, parse
from .plan import (
    BUILTIN_ARGS,
    DEFAULT_PATH,
    DEFAULT_SHELL,
    BuildError,
    BuildOptions,
    Planning,
    Stage,
)
from .platforms import platform_args
from .remotecache import RemoteCaches
from .run import RunSteps
from .runmounts import MountSteps
from .shell import ShellError, env_map, process_word, process_words, words_used
from .stagegraph import needed_stages, stage_deps
from .steps import ConfigSteps
from .syntax import DockerfileSyntaxError

if TYPE_CHECKING:
    from ..containers.service import ContainerService
    from ..distribution.service import DistributionService
    from ..images.service import ImageService
    from .cachemounts import CacheMounts

__all__ = ["BuildError", "BuildOptions", "BuildPeers", "Builder", "cache_key", "new_builder"]

log = logging.getLogger(__name__)


@dataclass
class BuildPeers:
    """The services a build uses: images for lookups, cache and commits, containers for
    RUN and for reading images' files, distribution for pulling base images, the
    daemon's RUN --mount=type=cache directories."""

    images: ImageService
    containers: ContainerService
    distribution: DistributionService
    cache_mounts: CacheMounts


class Builder(
    Planning, ParallelStages, Cache, RemoteCaches, ConfigSteps, RunSteps, MountSteps, CopySteps
):
    """One build: the stages in order, each instruction dispatched to its step."""

    def __init__(
        self,
        peers: BuildPeers,
        opts: BuildOptions,
        emit: Callable[[dict[str, Any]], None],
        context: BuildContext,
    ) -> None:
        self.images = peers.images
        self.containers = peers.containers
        self.distribution = peers.distribution
        self.cache_mounts = peers.cache_mounts
        self.opts = opts
        self._emit = emit
        self.ctx = context
        self.escape = "\\"
        self.meta_args: dict[str, str | None] = {}
        self.used_args: set[str] = set()
        self.stages: list[Stage] = []
        self.step = 0
        self.total = 0
        self.leftover: list[str] = []  # containers kept after a failure (rm without forcerm)
        self.quiet_output: list[str] = []
        self.cancelled = threading.Event()
        self.cache_sources: list[Any] | None = None
        self.platform_args = platform_args(opts.platform)
        self.deps: dict[int, set[int]] = {}
        self._tl = threading.local()  # per stage thread: its output sink and step number

    def cancel(self) -> None:
        """The client went away: stop at the next step (a running RUN is killed)."""
        self.cancelled.set()

    # ------------------------------------------------------------------ output
    def out(self, text: str) -> None:
        self.message({"stream": text})

    def message(self, msg: dict[str, Any]) -> None:
        """One progress message; a stage running beside earlier ones holds its own until
        they are done (the stream reads as if stages ran in order)."""
        sink = getattr(self._tl, "sink", None)
        if sink is not None:
            sink(msg)
        else:
            self.write_message(msg)

    def write_message(self, msg: dict[str, Any]) -> None:
        if self.opts.quiet and "stream" in msg:
            self.quiet_output.append(msg["stream"])  # shown only when the build fails
        else:
            self._emit(msg)

    def step_line(self, inst: Instruction) -> None:
        if self.cancelled.is_set():
            raise BuildError("build cancelled")
        step = getattr(self._tl, "step", None)
        if step is None:
            self.step += 1
            step = self.step
        else:
            self._tl.step = step = step + 1  # a stage in a thread counts from its offset
        self.out(f"Step {step}/{self.total} : {inst.original}\n")

    # ------------------------------------------------------------------ run
    def build(self, dockerfile: bytes) -> str:
        if not dockerfile:
            raise InvalidParameter(f"the Dockerfile ({self.opts.dockerfile}) cannot be empty")
        try:
            df = parse(dockerfile)
        except DockerfileSyntaxError as exc:
            raise exc.for_file(self.opts.dockerfile) from None
        check_syntax(df.syntax)
        self.check_config = parse_check(df.check)
        cache_imports, cache_exports = self.cache_specs()
        self.plan(df)
        if df.warnings:
            for w in df.warnings:
                self.out(w + "\n")
            self.out(
                "[WARNING]: Empty continuation lines will become errors in a future release.\n"
            )
        self._skip_unneeded()
        self.import_caches(cache_imports)
        for inst in self._meta:
            self.step_line(inst)
            for key, default in self._arg_pairs(inst, self._meta_env()):
                self.meta_args[key] = default
        try:
            self.run_stages()
        except BaseException:
            self._cleanup_failed()
            raise
        final = self.stages[-1]
        if final.image_id is None:
            raise InvalidParameter("No image was generated. Is your Dockerfile empty?")
        self.export_caches(cache_exports, final.image_id)
        unused = sorted(
            k
            for k in self.opts.buildargs
            if k not in self.used_args
            and k not in BUILTIN_ARGS
            and k not in self.meta_args
            and k not in self.platform_args
        )
        if unused:
            self.out(f"[Warning] One or more build-args [{' '.join(unused)}] were not consumed\n")
        return final.image_id

    def check(self, dockerfile: bytes) -> None:
        """`build --check`: BuildKit's lint rules; with `# check=error=true` a warning
        fails the build."""
        from .checks import lint, report

        try:
            df = parse(dockerfile)
        except DockerfileSyntaxError as exc:
            raise exc.for_file(self.opts.dockerfile) from None
        check_syntax(df.syntax)
        cfg = parse_check(df.check)
        found = lint(df, cfg)
        self._emit(
            {"stream": report(found, dockerfile.decode(errors="replace"), self.opts.dockerfile)}
        )
        if found and cfg.error:
            rules = ", ".join(dict.fromkeys(w.rule for w in found))
            raise InvalidParameter(f"lint violation found for rules: {rules}")

    def _skip_unneeded(self) -> None:
        """BuildKit's rule: only the stages the target needs are built."""
        env = self._meta_env()
        for inst in self._meta:
            for key, default in self._arg_pairs(inst, env):
                value = self.opts.buildargs.get(key)
                if value is None:
                    value = default
                if value is not None:
                    env[key] = value

        def expand(text: str) -> str:
            try:
                return process_word(text, env, self.escape)
            except ShellError:
                return text

        self.deps = stage_deps(self.stages, expand, frozenset(self.opts.named_contexts))
        need = needed_stages(self.deps, self.stages[-1].index)
        for stage in self.stages:
            if stage.index not in need:
                stage.skipped = True
                self.total -= 1 + len(stage.commands)

    def _arg_pairs(self, inst: Instruction, env: dict[str, str]) -> list[tuple[str, str | None]]:
        out: list[tuple[str, str | None]] = []
        for word in _split_args(inst.rest, self.escape):
            key, eq, value = word.partition("=")
            if not key:
                raise ParseError(inst.line, "ARG names can not be blank")
            out.append((key, self._word(value, env) if eq else None))
        return out

    def _word(self, text: str, env: dict[str, str]) -> str:
        try:
            return process_word(text, env, self.escape)
        except ShellError as exc:
            raise InvalidParameter(exc.message) from None

    def _words(self, text: str, env: dict[str, str]) -> list[str]:
        try:
            return process_words(text, env, self.escape)
        except ShellError as exc:
            raise InvalidParameter(exc.message) from None

    def _meta_env(self) -> dict[str, str]:
        env: dict[str, str] = dict(self.platform_args)
        for key, default in self.meta_args.items():
            value = self.opts.buildargs.get(key) if key in self.opts.buildargs else None
            if value is None:
                value = default
            if value is not None:
                env[key] = value
        return env

    @staticmethod
    def _ensure_path(stage: Stage) -> None:
        env = list(stage.config.get("Env") or [])
        if not any(e.partition("=")[0] == "PATH" for e in env):
            stage.config["Env"] = [*env, DEFAULT_PATH]

    def run_stage(self, stage: Stage) -> None:
        inst = stage.from_inst
        self.step_line(inst)
        meta_env = self._meta_env()
        base = self._word(stage.base, meta_env)
        if not base:
            raise InvalidParameter("base name (${...}) should not be blank")
        self.used_args.update(words_used(stage.base, meta_env, self.escape))
        platform = inst.flag("platform")
        if platform is not None:
            platform = self._word(platform, meta_env)  # e.g. $BUILDPLATFORM
        self.from_image(stage, base, platform)
        self._ensure_path(stage)
        triggers = list(stage.config.get("OnBuild") or [])
        if triggers:
            stage.config["OnBuild"] = None
            self.out(
                f"# Executing {len(triggers)} build trigger{'s' if len(triggers) > 1 else ''}\n"
            )
            from .parser import parse as parse_df

            for trig in triggers:
                sub = parse_df(trig.encode()).instructions
                for t in sub:
                    self._check_flags(t)
                    self._validate(t)
                    self.dispatch(stage, t)
        self.out(f" ---> {(stage.image_id or '').removeprefix('sha256:')[:12]}\n")
        for cmd in stage.commands:
            self.step_line(cmd)
            self.dispatch(stage, cmd)
            self.out(f" ---> {(stage.image_id or '').removeprefix('sha256:')[:12]}\n")

    def from_image(self, stage: Stage, base: str, platform: str | None) -> None:
        named = self.opts.named_contexts.get(base.lower())
        if named is not None and named.dir is not None:
            self._from_dir(stage, named.dir)
            return
        if named is not None:
            base = named.image  # --build-context name=docker-image://REF
        low = base.lower()
        for prev in self.stages[: stage.index]:
            if prev.name and prev.name == low:
                stage.image_id = prev.image_id
                stage.config = copy.deepcopy(prev.config)
                return
        if low == "scratch":
            stage.image_id = None
            stage.config = {}
            return
        image = None
        if not self.opts.pull:
            try:
                image = self.images.resolve(base)
            except NotFound:
                image = None
        if image is None:
            from dockyard.common.reference import InvalidReference, parse_normalized

            try:
                ref = parse_normalized(base, default_tag=False)
                if ref.is_name_only:
                    ref = ref.with_tag("latest")
            except InvalidReference as exc:
                raise InvalidParameter(str(exc)) from None
            image_id = self.distribution.pull(
                ref, self._auth_for(ref), platform or None, self.message
            )
            image = self.images.get(image_id)
        stage.image_id = image.id
        stage.config = copy.deepcopy(image.config)

    def _from_dir(self, stage: Stage, path: Path) -> None:
        """FROM a local named context: its files are the stage's first layer."""
        from dockyard.fs.rootpath import copy_between_roots

        from .context import hash_path

        stage.image_id = None
        stage.config = {}
        comment = f"COPY dir:{hash_path(path)} in / "

        def work(root: Path) -> None:
            copy_between_roots(path, "/", root, "/", arcname=".", follow_link=False)

        self.commit_with_fs(stage, [*DEFAULT_SHELL, "#(nop) " + comment], work, announce=False)

    def _auth_for(self, ref: Any) -> dict[str, Any] | None:
        domain = getattr(ref, "domain", "")
        for key, value in self.opts.auth_configs.items():
            host = key.split("://", 1)[-1].split("/", 1)[0]
            if host == domain or (domain == "docker.io" and "docker.io" in host):
                return value if isinstance(value, dict) else None
        return None

    # ------------------------------------------------------------------ env helpers
    def build_env(self, stage: Stage) -> dict[str, str]:
        """Variables for substitution: declared ARGs, overridden by ENV."""
        env: dict[str, str] = {}
        for key, value in self.arg_values(stage).items():
            env[key] = value
        env.update(env_map(stage.config.get("Env")))
        return env

    def arg_values(self, stage: Stage) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, default in stage.args.items():
            value = self.opts.buildargs.get(key) if key in self.opts.buildargs else None
            if value is None:
                value = default
            if value is not None:
                out[key] = value
        for key in BUILTIN_ARGS:
            if self.opts.buildargs.get(key) is not None:
                out.setdefault(key, self.opts.buildargs[key])  # type: ignore[arg-type]
        return out

    def shell(self, stage: Stage) -> list[str]:
        return list(stage.config.get("Shell") or DEFAULT_SHELL)

    # ------------------------------------------------------------------ dispatch
    def dispatch(self, stage: Stage, inst: Instruction) -> None:
        handler = getattr(self, "do_" + inst.cmd)
        handler(stage, inst)


def _split_args(text: str, escape: str) -> list[str]:
    from .parser import split_words_keep_quotes

    return split_words_keep_quotes(text, escape)


def new_builder(
    peers: BuildPeers,
    opts: BuildOptions,
    emit: Callable[[dict[str, Any]], None],
    context: BuildContext,
) -> Builder:
    b = Builder(peers, opts, emit, context)
    b._live = []
    return b
