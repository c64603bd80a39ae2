"""The instructions that change the image config: ENV, LABEL, MAINTAINER, ARG, CMD,
ENTRYPOINT, SHELL, USER, STOPSIGNAL, EXPOSE, VOLUME, ONBUILD, HEALTHCHECK, WORKDIR."""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from dockyard.common.ports import parse_expose
from dockyard.common.timefmt import format_go_duration

from ..errors import InvalidParameter
from . import instructions as ins
from .parser import Instruction, key_values, parse_json_array
from .plan import Stage


class ConfigSteps:
    """Builder's instructions that change only the image config (and WORKDIR's mkdir)."""

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
            if default is None and (key in self.meta_args or key in self.platform_args):
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
        ports = parse_expose(words, dockerfile=True)
        stage.config["ExposedPorts"] = {**(stage.config.get("ExposedPorts") or {}), **ports}
        # the words as written (expanded), as Docker's history shows them: `EXPOSE 80`
        self.commit_nop(stage, "EXPOSE " + " ".join(words))

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
            text += f' "{format_go_duration(hc.get(key, 0))}"'
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
