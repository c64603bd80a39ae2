"""`build --check`: BuildKit's Dockerfile lint rules (their names, texts and links), run
on the parsed Dockerfile without building; warnings carry the line they are about."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .directives import CheckConfig
from .parser import Dockerfile, Instruction, split_words_keep_quotes
from .platforms import platform_args

_URL = "https://docs.docker.com/go/dockerfile/rule/{}/"
_SECRET = re.compile(
    r"(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)",
    re.I,
)
_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


@dataclass
class Warning_:
    rule: str
    message: str
    line: int


def _kebab(rule: str) -> str:
    """JSONArgsRecommended -> json-args-recommended."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", rule).lower()


def lint(df: Dockerfile, cfg: CheckConfig) -> list[Warning_]:
    found = [w for w in _rules(df) if w.rule not in cfg.skip and "all" not in cfg.skip]
    return sorted(found, key=lambda w: w.line)


def _rules(df: Dockerfile) -> Iterator[Warning_]:
    insts = df.instructions
    upper = sum(1 for i in insts if i.keyword.isupper())
    lower = sum(1 for i in insts if i.keyword.islower())
    majority = "uppercase" if upper >= lower else "lowercase"
    declared = set(platform_args(""))
    stage_seen: set[str] = set()
    per_stage: dict[str, int] = {}
    abs_workdir = False
    for inst in insts:
        kw = inst.keyword
        if (majority == "uppercase" and not kw.isupper()) or (
            majority == "lowercase" and not kw.islower()
        ):
            yield Warning_(
                "ConsistentInstructionCasing",
                f"Command '{kw}' should match the case of the command majority ({majority})",
                inst.line,
            )
        if inst.cmd == "from":
            per_stage = {}
            abs_workdir = False
            yield from _from_rules(inst, declared, stage_seen)
        elif inst.cmd == "arg" and not stage_seen:
            for word in split_words_keep_quotes(inst.rest, df.escape):
                declared.add(word.partition("=")[0])
        if inst.cmd in ("cmd", "entrypoint") and inst.json_args is None and inst.rest:
            yield Warning_(
                "JSONArgsRecommended",
                f"JSON arguments recommended for {inst.cmd.upper()} to prevent unintended "
                "behavior related to OS signals",
                inst.line,
            )
        if inst.cmd in ("cmd", "entrypoint", "healthcheck"):
            if inst.cmd in per_stage:
                yield Warning_(
                    "MultipleInstructionsDisallowed",
                    f"Multiple {inst.cmd.upper()} instructions should not be used in the same "
                    "stage because only the last one will be used",
                    per_stage[inst.cmd],
                )
            per_stage[inst.cmd] = inst.line
        if inst.cmd == "maintainer":
            yield Warning_(
                "MaintainerDeprecated",
                "Maintainer instruction is deprecated in favor of using label",
                inst.line,
            )
        if inst.cmd in ("env", "label") and inst.rest:
            first = split_words_keep_quotes(inst.rest, df.escape)[0]
            if "=" not in first:
                name = inst.cmd.upper()
                yield Warning_(
                    "LegacyKeyValueFormat",
                    f'"{name} key=value" should be used instead of legacy "{name} key value" '
                    "format",
                    inst.line,
                )
        if inst.cmd in ("arg", "env"):
            yield from _secret_rules(inst, df.escape)
        if inst.cmd == "workdir":
            if inst.rest.startswith("/") or inst.rest.startswith("$"):
                abs_workdir = True
            elif not abs_workdir:
                yield Warning_(
                    "WorkdirRelativePath",
                    f'Relative workdir "{inst.rest}" can have unexpected results if the base '
                    "image changes",
                    inst.line,
                )
    for text in df.warnings:
        line = _continuation_line(df, text)
        yield Warning_("NoEmptyContinuation", "Empty continuation line", line)


def _from_rules(inst: Instruction, declared: set[str], seen: set[str]) -> Iterator[Warning_]:
    words = inst.rest.split()
    if len(words) == 3:
        as_kw, name = words[1], words[2]
        if (inst.keyword.isupper() and not as_kw.isupper()) or (
            inst.keyword.islower() and not as_kw.islower()
        ):
            yield Warning_(
                "FromAsCasing",
                f"'{as_kw}' and '{inst.keyword}' keywords' casing do not match",
                inst.line,
            )
        if name != name.lower():
            yield Warning_("StageNameCasing", f"Stage name '{name}' should be lowercase", inst.line)
        if name.lower() in seen:
            yield Warning_(
                "DuplicateStageName",
                f'Duplicate stage name "{name.lower()}", stage names should be unique',
                inst.line,
            )
        seen.add(name.lower())
    else:
        seen.add(f"#{len(seen)}")
    for var in _VAR.findall(words[0] if words else ""):
        if var not in declared:
            yield Warning_(
                "UndefinedArgInFrom", f"FROM argument '{var}' is not declared", inst.line
            )
    platform = inst.flag("platform")
    if platform is not None:
        if platform in ("$TARGETPLATFORM", "${TARGETPLATFORM}"):
            yield Warning_(
                "RedundantTargetPlatform",
                f"Setting platform to predefined {platform} in FROM is redundant as this is "
                "the default behavior",
                inst.line,
            )
        elif "$" not in platform:
            yield Warning_(
                "FromPlatformFlagConstDisallowed",
                f'FROM --platform flag should not use constant value "{platform}"',
                inst.line,
            )


def _secret_rules(inst: Instruction, escape: str) -> Iterator[Warning_]:
    words = split_words_keep_quotes(inst.rest, escape)
    keys = [words[0]] if inst.cmd == "env" and words and "=" not in words[0] else words
    for word in keys:
        key = word.partition("=")[0]
        if _SECRET.search(key):
            yield Warning_(
                "SecretsUsedInArgOrEnv",
                f'Do not use ARG or ENV instructions for sensitive data ({inst.cmd.upper()} "{key}")',
                inst.line,
            )


def _continuation_line(df: Dockerfile, text: str) -> int:
    joined = text.split("\n", 1)[-1].strip()
    for inst in df.instructions:
        if inst.original.strip() == joined:
            return inst.line
    return 0


def report(warnings: list[Warning_], source: str, filename: str) -> str:
    """BuildKit's `--check` text: a count, then each rule with its link, message and the
    Dockerfile lines around it."""
    if not warnings:
        return "Check complete, no warnings found.\n"
    n = len(warnings)
    out = [f"Check complete, {n} warning{'s have' if n > 1 else ' has'} been found!\n"]
    lines = source.replace("\r\n", "\n").split("\n")
    for w in warnings:
        out.append(f"\nWARNING: {w.rule} - {_URL.format(_kebab(w.rule))}\n{w.message}\n")
        if w.line <= 0:
            continue
        out.append(f"{filename}:{w.line}\n--------------------\n")
        for i in range(max(1, w.line - 2), min(len(lines), w.line + 2) + 1):
            mark = ">>>" if i == w.line else "   "
            out.append(f"{i:>4} | {mark} {lines[i - 1]}".rstrip() + "\n")
        out.append("--------------------\n")
    return "".join(out)
