"""What a build is made of, and the first pass over a Dockerfile: build options, stages,
the instructions' flags and argument counts checked before anything runs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidParameter
from .parser import Dockerfile, Instruction, ParseError, key_values, parse_json_array

DEFAULT_SHELL = ["/bin/sh", "-c"]
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Build args Docker accepts without an ARG line (proxies); never persisted in the image.
BUILTIN_ARGS = (
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
    "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
)  # fmt: skip
_ALLOWED_FLAGS = {
    "from": {"platform"},
    "copy": {"from", "chown", "chmod", "link", "exclude", "parents"},
    "add": {"chown", "chmod", "link", "checksum", "keep-git-dir", "exclude"},
    "run": {"mount", "network", "security"},
    "healthcheck": {"interval", "timeout", "start-period", "start-interval", "retries"},
}


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
    cache_from: list[str] = field(default_factory=list)  # image names or cache specs
    cache_to: list[str] = field(default_factory=list)  # `cacheto`: cache specs (dockyard's)
    # --secret values by id and --ssh agent sockets by id: never logged nor stored
    secrets: dict[str, bytes] = field(default_factory=dict, repr=False)
    ssh: dict[str, str] = field(default_factory=dict, repr=False)
    check: bool = False  # lint the Dockerfile, build nothing
    build_contexts: dict[str, str] = field(default_factory=dict)  # name: local|docker-image://
    named_contexts: dict[str, Any] = field(default_factory=dict)  # name: NamedContext


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
    skipped: bool = False  # not needed by the target


class Planning:
    """Builder's first pass: stages, flags and Docker's parse-time checks."""

    stages: list[Stage]
    opts: BuildOptions

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


def _valid_stage_name(name: str) -> bool:
    import re

    return re.fullmatch(r"[a-z][a-z0-9-_.]*", name) is not None
