"""The classic (non-BuildKit) builder: one step per instruction, real containers for RUN,
an image per step, Docker's legacy output text and per-step cache.

Every step is committed as an image whose parent is the previous step's image and whose
``container_config`` records what the step did (its Cmd holds the instruction, or the
content hash of COPY/ADD sources): a later build finds the same step among the parent's
children and reuses it (`` ---> Using cache``).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import logging
import os
import posixpath
import shutil
import stat
import tarfile
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DockyardError, InvalidParameter, NotFound
from . import instructions as ins
from .context import BuildContext, expand_sources, hash_path
from .parser import Dockerfile, Instruction, ParseError, key_values, parse, parse_json_array
from .shell import ShellError, env_map, process_word, process_words, words_used
from .syntax import DockerfileSyntaxError

if TYPE_CHECKING:
    from ..containers.service import ContainerService
    from ..distribution.service import DistributionService
    from ..images.service import ImageService

log = logging.getLogger(__name__)

DEFAULT_SHELL = ["/bin/sh", "-c"]
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Build args Docker accepts without an ARG line (proxies); never persisted in the image.
BUILTIN_ARGS = (
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
    "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
)  # fmt: skip
_CACHE_KEYS = (
    "Cmd", "Entrypoint", "Env", "Labels", "ExposedPorts", "Volumes", "WorkingDir", "User",
    "Shell", "OnBuild", "Healthcheck", "StopSignal",
)  # fmt: skip
_ALLOWED_FLAGS = {
    "from": {"platform"},
    "copy": {"from", "chown", "chmod", "link", "exclude", "parents"},
    "add": {"chown", "chmod", "link", "checksum", "keep-git-dir", "exclude"},
    "run": {"mount", "network", "security"},
    "healthcheck": {"interval", "timeout", "start-period", "start-interval", "retries"},
}
_DOWNLOAD_LIMIT = 8 << 30


class BuildError(InvalidParameter):
    """A failed step; `code` is the exit code of a failed RUN (the CLI exits with it)."""

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class BuildOptions:
    tags: list[str] = field(default_factory=list)
    dockerfile: str = "Dockerfile"
    buildargs: dict[str, str | None] = field(default_factory=dict)
    target: str = ""
    nocache: bool = False
    quiet: bool = False
    rm: bool = True
    forcerm: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    pull: bool = False
    networkmode: str = ""
    platform: str = ""
    extrahosts: list[str] = field(default_factory=list)
    memory: int = 0
    shmsize: int = 0
    cpushares: int = 0
    auth_configs: dict[str, Any] = field(default_factory=dict)
    cache_from: list[str] = field(default_factory=list)


@dataclass
class Stage:
    index: int
    name: str
    base: str  # what FROM named
    commands: list[Instruction]
    from_inst: Instruction
    image_id: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    args: dict[str, str | None] = field(default_factory=dict)
    maintainer: str = ""
    cmd_set: bool = False


def _norm(value: Any) -> Any:
    if not value:
        return None
    if isinstance(value, dict):
        return {k: _norm(v) if isinstance(v, dict) else v for k, v in sorted(value.items())}
    return value


def cache_key(cfg: dict[str, Any]) -> str:
    return json.dumps({k: _norm(cfg.get(k)) for k in _CACHE_KEYS}, sort_keys=True)


@dataclass
class BuildPeers:
    """The services a build uses: images for lookups, cache and commits, containers for
    RUN and for reading images' files, distribution for pulling base images."""

    images: ImageService
    containers: ContainerService
    distribution: DistributionService


class Builder:
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

    def cancel(self) -> None:
        """The client went away: stop at the next step (a running RUN is killed)."""
        self.cancelled.set()

    # ------------------------------------------------------------------ output
    def out(self, text: str) -> None:
        if self.opts.quiet:
            self.quiet_output.append(text)  # shown only when the build fails, as Docker does
        else:
            self._emit({"stream": text})

    def step_line(self, inst: Instruction) -> None:
        if self.cancelled.is_set():
            raise BuildError("build cancelled")
        self.step += 1
        self.out(f"Step {self.step}/{self.total} : {inst.original}\n")

    # ------------------------------------------------------------------ plan
    def plan(self, df: Dockerfile) -> None:
        self.escape = df.escape
        stage: Stage | None = None
        meta: list[Instruction] = []
        for inst in df.instructions:
            self._check_flags(inst)
            if inst.cmd == "from":
                words = inst.rest.split()
                if len(words) not in (1, 3) or (len(words) == 3 and words[1].lower() != "as"):
                    raise ParseError(inst.line, "FROM requires either one or three arguments")
                name = words[2].lower() if len(words) == 3 else ""
                if name:
                    if not _valid_stage_name(name):
                        raise ParseError(
                            inst.line,
                            f"invalid name for build stage: {json.dumps(name)}, name can't start "
                            "with a number or contain symbols",
                        )
                    if any(s.name == name for s in self.stages):
                        raise ParseError(inst.line, f"duplicate name {name}")
                stage = Stage(len(self.stages), name, words[0], [], inst)
                self.stages.append(stage)
                continue
            if stage is None:
                if inst.cmd == "arg":
                    meta.append(inst)
                    continue
                raise ParseError(inst.line, "no build stage in current context")
            self._validate(inst)
            stage.commands.append(inst)
        if not self.stages:
            raise InvalidParameter(
                f"the Dockerfile ({self.opts.dockerfile}) cannot be empty"
                if not df.instructions
                else "no build stage in current context"
            )
        if self.opts.target:
            idx = next((s.index for s in self.stages if s.name == self.opts.target.lower()), None)
            if idx is None:
                raise InvalidParameter(
                    f"failed to reach build target {self.opts.target} in Dockerfile"
                )
            self.stages = self.stages[: idx + 1]
        if self.opts.labels:
            text = " ".join(
                f"{json.dumps(k)}={json.dumps(v)}" for k, v in sorted(self.opts.labels.items())
            )
            last = self.stages[-1]
            last.commands.append(
                Instruction("label", "LABEL " + text, text, line=0, keyword="LABEL")
            )
        self.total = len(meta) + sum(1 + len(s.commands) for s in self.stages)
        self._meta = meta

    def _check_flags(self, inst: Instruction) -> None:
        allowed = _ALLOWED_FLAGS.get(inst.cmd, set())
        for name, _ in inst.flag_list:
            if name not in allowed:
                raise ParseError(inst.line, f"unknown flag: {name}")

    def _validate(self, inst: Instruction) -> None:
        """Argument-count checks Docker makes while parsing (before anything runs)."""
        name = inst.cmd.upper()
        rest = inst.rest
        if inst.cmd in ("env", "label"):
            key_values(inst, self.escape)
        elif inst.cmd in ("run", "cmd", "entrypoint"):
            if not rest and not inst.heredocs and inst.cmd == "run":
                raise ParseError(inst.line, f"{name} requires at least one argument")
        elif inst.cmd in ("copy", "add"):
            args = inst.json_args
            count = len(args) if args is not None else len(rest.split())
            if count == 0:
                raise ParseError(inst.line, f"{name} requires at least two arguments")
            if count < 2:
                raise ParseError(
                    inst.line,
                    f"{name} requires at least two arguments, but only one was provided. "
                    "Destination could not be determined",
                )
        elif inst.cmd in ("workdir", "user", "stopsignal", "maintainer"):
            if not rest:
                raise ParseError(inst.line, f"{name} requires exactly one argument")
            if inst.cmd in ("user", "stopsignal") and len(rest.split()) > 1:
                raise ParseError(inst.line, f"{name} requires exactly one argument")
        elif inst.cmd in ("expose", "volume", "arg", "onbuild", "healthcheck"):
            if not rest:
                raise ParseError(inst.line, f"{name} requires at least one argument")
            if inst.cmd == "onbuild":
                trigger = rest.split()[0].upper()
                if trigger == "ONBUILD":
                    raise ParseError(
                        inst.line, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"
                    )
                if trigger in ("MAINTAINER", "FROM"):
                    raise ParseError(inst.line, f"{trigger} isn't allowed as an ONBUILD trigger")
            if inst.cmd == "healthcheck":
                first = rest.split()[0].upper()
                if first not in ("NONE", "CMD"):
                    raise ParseError(inst.line, f"Unknown type {first} in HEALTHCHECK (try CMD)")
                if first == "NONE" and len(rest.split()) > 1:
                    raise ParseError(inst.line, "HEALTHCHECK NONE takes no arguments")
        elif inst.cmd == "shell":
            if parse_json_array(rest) is None:
                raise ParseError(inst.line, "SHELL requires the arguments to be in JSON form")

    # ------------------------------------------------------------------ run
    def build(self, dockerfile: bytes) -> str:
        if not dockerfile:
            raise InvalidParameter(f"the Dockerfile ({self.opts.dockerfile}) cannot be empty")
        try:
            df = parse(dockerfile)
        except DockerfileSyntaxError as exc:
            raise exc.for_file(self.opts.dockerfile) from None
        self.plan(df)
        if df.warnings:
            for w in df.warnings:
                self.out(w + "\n")
            self.out(
                "[WARNING]: Empty continuation lines will become errors in a future release.\n"
            )
        for inst in self._meta:
            self.step_line(inst)
            for key, default in self._arg_pairs(inst, self._meta_env()):
                self.meta_args[key] = default
        try:
            for stage in self.stages:
                self.run_stage(stage)
        except BaseException:
            self._cleanup_failed()
            raise
        final = self.stages[-1]
        if final.image_id is None:
            raise InvalidParameter("No image was generated. Is your Dockerfile empty?")
        unused = sorted(
            k
            for k in self.opts.buildargs
            if k not in self.used_args and k not in BUILTIN_ARGS and k not in self.meta_args
        )
        if unused:
            self.out(f"[Warning] One or more build-args [{' '.join(unused)}] were not consumed\n")
        return final.image_id

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
        env: dict[str, str] = {}
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
                ref, self._auth_for(ref), platform or None, self._emit
            )
            image = self.images.get(image_id)
        stage.image_id = image.id
        stage.config = copy.deepcopy(image.config)

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

    def _cmd_form(self, stage: Stage, inst: Instruction) -> list[str]:
        args = inst.json_args
        if args is not None:
            return args
        return [*self.shell(stage), inst.rest]

    def do_env(self, stage: Stage, inst: Instruction) -> None:
        env = self.build_env(stage)
        pairs = [(self._word(k, env), self._word(v, env)) for k, v in key_values(inst, self.escape)]
        current = list(stage.config.get("Env") or [])
        for key, value in pairs:
            if not key:
                raise InvalidParameter("ENV names can not be blank")
            current = [e for e in current if e.partition("=")[0] != key] + [f"{key}={value}"]
        stage.config["Env"] = current
        self.commit_nop(stage, "ENV " + " ".join(f"{k}={v}" for k, v in pairs))

    def do_label(self, stage: Stage, inst: Instruction) -> None:
        env = self.build_env(stage)
        pairs = [(self._word(k, env), self._word(v, env)) for k, v in key_values(inst, self.escape)]
        labels = dict(stage.config.get("Labels") or {})
        for key, value in pairs:
            labels[key] = value
        stage.config["Labels"] = labels
        self.commit_nop(stage, "LABEL " + " ".join(f"{k}={v}" for k, v in pairs))

    def do_maintainer(self, stage: Stage, inst: Instruction) -> None:
        stage.maintainer = inst.rest
        self.commit_nop(stage, "MAINTAINER " + inst.rest)

    def do_arg(self, stage: Stage, inst: Instruction) -> None:
        env = self.build_env(stage)
        pairs = self._arg_pairs(inst, env)
        parts = []
        for key, default in pairs:
            parts.append(key if default is None else f"{key}={default}")
            if default is None and key in self.meta_args:
                default = self._meta_env().get(key)  # a global ARG's value comes back
            stage.args[key] = default
            self.used_args.add(key)
        self.commit_nop(stage, "ARG " + " ".join(parts))

    def do_cmd(self, stage: Stage, inst: Instruction) -> None:
        cmd = self._cmd_form(stage, inst)
        stage.config["Cmd"] = cmd
        stage.cmd_set = True
        self.commit_nop(stage, "CMD " + ins.go_quote_list(cmd))

    def do_entrypoint(self, stage: Stage, inst: Instruction) -> None:
        args = inst.json_args
        if args is not None:
            entry: list[str] | None = args
        elif inst.rest:
            entry = [*self.shell(stage), inst.rest]
        else:
            entry = None
        stage.config["Entrypoint"] = entry
        if not stage.cmd_set:
            stage.config["Cmd"] = None
        self.commit_nop(stage, "ENTRYPOINT " + ins.go_quote_list(entry))

    def do_shell(self, stage: Stage, inst: Instruction) -> None:
        args = inst.json_args or []
        if not args:
            raise InvalidParameter("SHELL requires at least one argument")
        stage.config["Shell"] = args
        self.commit_nop(stage, "SHELL " + ins.go_quote_list(args))

    def do_user(self, stage: Stage, inst: Instruction) -> None:
        user = self._word(inst.rest, self.build_env(stage))
        stage.config["User"] = user
        self.commit_nop(stage, "USER " + user)

    def do_stopsignal(self, stage: Stage, inst: Instruction) -> None:
        sig = self._word(inst.rest, self.build_env(stage))
        ins.check_signal(sig)
        stage.config["StopSignal"] = sig
        self.commit_nop(stage, "STOPSIGNAL " + sig)

    def do_expose(self, stage: Stage, inst: Instruction) -> None:
        words = self._words(inst.rest, self.build_env(stage))
        ports = ins.parse_ports(words)
        exposed = dict(stage.config.get("ExposedPorts") or {})
        for p in ports:
            exposed[p] = {}
        stage.config["ExposedPorts"] = exposed
        self.commit_nop(stage, "EXPOSE " + " ".join(sorted(set(ports))))

    def do_volume(self, stage: Stage, inst: Instruction) -> None:
        env = self.build_env(stage)
        args = inst.json_args
        paths = (
            [self._word(a, env) for a in args] if args is not None else self._words(inst.rest, env)
        )
        vols = dict(stage.config.get("Volumes") or {})
        for p in paths:
            p = p.strip()
            if not p:
                raise InvalidParameter("VOLUME specified can not be an empty string")
            vols[p] = {}
        stage.config["Volumes"] = vols
        self.commit_nop(stage, "VOLUME " + ins.go_list(paths))

    def do_onbuild(self, stage: Stage, inst: Instruction) -> None:
        trigger = inst.rest.strip()  # kept as written, like Docker
        stage.config["OnBuild"] = [*(stage.config.get("OnBuild") or []), trigger]
        self.commit_nop(stage, "ONBUILD " + trigger)

    def do_healthcheck(self, stage: Stage, inst: Instruction) -> None:
        first, _, rest = inst.rest.partition(" ")
        if first.upper() == "NONE":
            hc: dict[str, Any] = {"Test": ["NONE"]}
        else:
            rest = rest.strip()
            if not rest:
                raise InvalidParameter("Missing command after HEALTHCHECK CMD")
            args = parse_json_array(rest)
            test = ["CMD", *args] if args is not None else ["CMD-SHELL", rest]
            hc = {"Test": test}
            for flag, key in (
                ("interval", "Interval"),
                ("timeout", "Timeout"),
                ("start-period", "StartPeriod"),
                ("start-interval", "StartInterval"),
            ):
                value = inst.flag(flag)
                if value is not None:
                    ns = ins.parse_duration(value, flag)
                    if 0 < ns < 10**6 or ns < 0:
                        raise InvalidParameter(f'Interval "{flag}" cannot be less than 1ms')
                    hc[key] = ns
            retries = inst.flag("retries")
            if retries is not None:
                try:
                    hc["Retries"] = int(retries)
                except ValueError:
                    raise InvalidParameter(
                        f'strconv.ParseInt: parsing "{retries}": invalid syntax'
                    ) from None
                if hc["Retries"] < 1:
                    raise InvalidParameter(f"--retries must be at least 1 (not {hc['Retries']})")
            old = (stage.config.get("Healthcheck") or {}).get("Test") or []
            if old and old[0] != "NONE":
                self.out(f"Note: overriding previous HEALTHCHECK: {ins.go_list(old)}\n")
        stage.config["Healthcheck"] = hc
        text = "&{" + ins.go_quote_list(hc["Test"])
        for key in ("Interval", "Timeout", "StartPeriod", "StartInterval"):
            text += f' "{ins.go_duration(hc.get(key, 0))}"'
        text += f" '\\x{hc.get('Retries', 0):02x}'" + "}"
        self.commit_nop(stage, "HEALTHCHECK " + text)

    def do_workdir(self, stage: Stage, inst: Instruction) -> None:
        path = self._word(inst.rest, self.build_env(stage))
        if not path:
            raise InvalidParameter("WORKDIR requires exactly one argument")
        if not path.startswith("/"):
            path = posixpath.join("/", stage.config.get("WorkingDir") or "/", path)
        path = posixpath.normpath(path)
        stage.config["WorkingDir"] = path
        comment = [*self.shell(stage), "#(nop) WORKDIR " + path]
        self.commit_with_fs(stage, comment, lambda root: self._mkdir(root, path, stage))

    def _mkdir(self, root: Path, path: str, stage: Stage) -> None:
        from dockyard.fs.rootpath import mkdir_in_root

        mkdir_in_root(root, path)

    # ------------------------------------------------------------------ commits
    def _probe(self, stage: Stage, container_config: dict[str, Any]) -> bool:
        if self.opts.nocache:
            return False
        want = cache_key(container_config)
        candidates = []
        for rec in self.images.all():
            if (rec.parent or None) != (stage.image_id or None):
                continue
            if stage.image_id is None and rec.parent:
                continue
            cc = rec.image_config.get("container_config")
            if not isinstance(cc, dict) or cache_key(cc) != want:
                continue
            if cache_key(rec.config) != cache_key(self._image_config(stage)):
                continue
            if (rec.image_config.get("author") or "") != (stage.maintainer or ""):
                continue
            candidates.append(rec)
        if candidates:
            found: str | None = max(candidates, key=lambda r: r.created).id
        else:
            found = self._probe_cache_from(stage, container_config)
        if found is None:
            return False
        self.out(" ---> Using cache\n")
        stage.image_id = found
        return True

    def _probe_cache_from(self, stage: Stage, cc: dict[str, Any]) -> str | None:
        """--cache-from: images whose history continues the current image with this very
        step (pulled images have no intermediate images: the step's image is rebuilt from
        the history entry and the layer it names)."""
        if self.cache_sources is None:
            self.cache_sources = []
            for name in self.opts.cache_from:
                with contextlib.suppress(DockyardError):
                    self.cache_sources.append(self.images.resolve(name))
        if not self.cache_sources:
            return None
        parent = self.images.get(stage.image_id) if stage.image_id else None
        p_hist = list(parent.image_config.get("history") or []) if parent else []
        p_diffs = (
            list((parent.image_config.get("rootfs") or {}).get("diff_ids") or []) if parent else []
        )
        n = len(p_hist)
        want = " ".join(cc.get("Cmd") or [])
        for target in self.cache_sources:
            t_hist = list(target.image_config.get("history") or [])
            t_diffs = list((target.image_config.get("rootfs") or {}).get("diff_ids") or [])
            if n >= len(t_hist) or len(p_diffs) > len(t_diffs):
                continue
            if t_hist[:n] != p_hist or t_diffs[: len(p_diffs)] != p_diffs:
                continue
            if (t_hist[n].get("created_by") or "") != want:
                continue
            if n == len(t_hist) - 1:
                return target.id
            self.cache_sources = [target]
            return self._restore_from_history(stage, target, n, p_hist, p_diffs)
        self.cache_sources = []
        return None

    def _restore_from_history(
        self, stage: Stage, target: Any, n: int, hist: list[Any], diffs: list[str]
    ) -> str:
        from ..images.config import host_platform
        from ..images.ingest import Ingest

        entry = target.image_config["history"][n]
        layers = len(diffs)
        t_diffs = target.image_config["rootfs"]["diff_ids"]
        if not entry.get("empty_layer"):
            layers = sum(1 for h in target.image_config["history"][:n] if not h.get("empty_layer"))
            diffs = [*diffs, t_diffs[layers]]
            layers += 1
        os_, arch = host_platform()
        doc = {
            "architecture": target.image_config.get("architecture") or arch,
            "author": stage.maintainer or None,
            "config": self._image_config(stage),
            "created": entry.get("created"),
            "docker_version": target.image_config.get("docker_version"),
            "history": [*hist, entry],
            "os": target.image_config.get("os") or os_,
            "rootfs": {"type": "layers", "diff_ids": diffs},
        }
        doc = {k: v for k, v in doc.items() if v is not None}
        with self.images.lock.shared():
            ingest = Ingest(self.images)
            try:
                image_id: str = ingest.image(
                    json.dumps(doc, separators=(",", ":")).encode(),
                    list(target.chain[:layers]),
                    [],
                    parent=stage.image_id or "",
                )
                ingest.commit()
            except BaseException:
                ingest.abort()
                raise
        return image_id

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

    def _commit_container(self, stage: Stage, cid: str, cc: dict[str, Any]) -> str:
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
            exclude=runtime_mount_points(c),
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
        result = self.containers.create(None, body)
        cid: str = result["Id"]
        self._live.append(cid)
        return cid

    _live: list[str]

    def _remove(self, cid: str, *, failed: bool, announce: bool) -> None:
        """Docker's rules: --rm removes after a successful step, --force-rm always; a
        failed step's container stays for inspection otherwise."""
        keep = not self.opts.forcerm if failed else not (self.opts.rm or self.opts.forcerm)
        if self.cancelled.is_set():
            keep = False  # a cancelled build leaves nothing behind
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
        for flag in ("mount", "network", "security"):
            if inst.flag(flag) is not None:
                raise InvalidParameter(
                    f"the --{flag} option requires BuildKit. Refer to "
                    "https://docs.docker.com/go/buildkit/ to learn how to build images with "
                    "BuildKit enabled"
                )
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
        if saved:
            save_cmd = [f"|{len(saved)}", *saved, *cmd]
        cc = self._container_config(stage, save_cmd)
        if self._probe(stage, cc):
            return
        run_env = list(stage.config.get("Env") or []) + [
            f"{k}={v}" for k, v in sorted(used.items())
        ]
        run_cmd, binds = cmd, None
        script = self._shebang_script(stage, inst)
        if script is not None:
            run_cmd, binds = script
        run_cfg = self._container_config(stage, run_cmd)
        cid = self._create(stage, run_cfg, env=run_env, binds=binds)
        self.out(f" ---> Running in {cid[:12]}\n")
        ok = False
        try:
            code = self._run_container(cid)
            if code != 0:
                raise BuildError(
                    f"The command '{' '.join(cmd)}' returned a non-zero code: {code}", code
                )
            stage.image_id = self._commit_container(stage, cid, cc)
            ok = True
        finally:
            self._remove(cid, failed=not ok, announce=True)

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
        follower = RecordFollower(c.doc["LogPath"])
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
        return int(c.state.get("ExitCode") or 0)

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
        for flag in ("parents", "exclude"):
            if inst.flag(flag) is not None:
                raise InvalidParameter(
                    f"the --{flag} option requires BuildKit. Refer to "
                    "https://docs.docker.com/go/buildkit/ to learn how to build images with "
                    "BuildKit enabled"
                )
        if inst.flag("checksum") is not None and not all(
            w.startswith(("http://", "https://")) for w in srcs
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
        if from_ is not None:
            src_image = self._source_image(self._word(from_, env), inst)
        wd = stage.config.get("WorkingDir") or "/"
        dest_abs = dest if dest.startswith("/") else posixpath.join("/", wd, dest)
        if dest.endswith("/") and not dest_abs.endswith("/"):
            dest_abs += "/"
        with contextlib.ExitStack() as stack:
            if src_image is not None:
                src_root = stack.enter_context(self._image_root(src_image))
            sources = self._resolve_sources(inst, srcs, src_root, add, name)
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
            comment = f"{name} {chown_comment}{chmod_comment}{src_hash} in {dest_abs} "
            cmd = [*self.shell(stage), "#(nop) " + comment]

            def work(root: Path) -> None:
                ident = None
                if chown:
                    ident = _resolve_chown(root, chown)
                elif src_image is None:
                    ident = (0, 0)
                self._do_copy(root, src_root, sources, dest_abs, ident, mode, add)

            self.commit_with_fs(stage, cmd, work, announce=False)

    def _source_image(self, ref: str, inst: Instruction) -> str:
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
            return str(self.distribution.pull(r, self._auth_for(r), None, self._emit))

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
        self, inst: Instruction, srcs: list[str], root: Path, add: bool, name: str
    ) -> list[tuple[str, Any, str, str]]:
        """(kind of source, path or payload, hash kind, digest) per source."""
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
            if add and src.startswith("git@"):
                raise InvalidParameter("ADD of git repositories requires BuildKit")
            matches = expand_sources(root, src)
            if not matches:
                if any(c in src for c in "*?["):
                    raise InvalidParameter(f"{name} failed: no source files were specified")
                if root != self.ctx.root:
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
                        if root == self.ctx.root
                        else ""
                    )
                    raise InvalidParameter(f"{name} failed: {where}stat {src}: file does not exist")
                kind = "dir" if path.is_dir() and not path.is_symlink() else "file"
                if root == self.ctx.root:
                    digest = hash_path(path)
                else:
                    digest = hashlib.sha256(rel.encode()).hexdigest()
                out.append(("path", rel, kind, digest))
        return out

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


# ---------------------------------------------------------------------- helpers


def _valid_stage_name(name: str) -> bool:
    import re

    return re.fullmatch(r"[a-z][a-z0-9-_.]*", name) is not None


def _split_args(text: str, escape: str) -> list[str]:
    from .parser import split_words_keep_quotes

    return split_words_keep_quotes(text, escape)


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


def new_builder(
    peers: BuildPeers,
    opts: BuildOptions,
    emit: Callable[[dict[str, Any]], None],
    context: BuildContext,
) -> Builder:
    b = Builder(peers, opts, emit, context)
    b._live = []
    return b
