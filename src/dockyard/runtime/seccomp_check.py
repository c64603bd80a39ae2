"""The shape of a Docker-format seccomp profile, checked before it is converted.

A profile that passes converts without error and hands runc only names it knows (actions,
operators, architectures), so a daemon's `seccomp-profile` accepted at start never fails a
container's start later. Type errors read as dockerd's ("Decoding seccomp profile failed:
..."), unknown names as runc's ("string X is not a valid action for seccomp"). Like Go's
decoder, unknown keys are ignored and null stands for an absent value.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import SpecError

ACTIONS = frozenset(
    "SCMP_ACT_" + a
    for a in ("KILL", "KILL_PROCESS", "KILL_THREAD", "TRAP", "ERRNO", "TRACE", "ALLOW", "LOG",
              "NOTIFY")
)  # fmt: skip
OPERATORS = frozenset("SCMP_CMP_" + op for op in ("NE", "LT", "LE", "EQ", "GE", "GT", "MASKED_EQ"))
ARCHES = frozenset(
    "SCMP_ARCH_" + a
    for a in ("X86", "X86_64", "X32", "ARM", "AARCH64", "MIPS", "MIPS64", "MIPS64N32", "MIPSEL",
              "MIPSEL64", "MIPSEL64N32", "PPC", "PPC64", "PPC64LE", "S390", "S390X", "PARISC",
              "PARISC64", "RISCV64", "LOONGARCH64", "M68K", "SH", "SHEB")
)  # fmt: skip
_KERNEL = re.compile(r"(\d+)\.(\d+)")
_NAMES = {dict: "an object", list: "a list", str: "a string", int: "a number"}


def _decode_error(where: str, kind: type) -> SpecError:
    return SpecError(f"Decoding seccomp profile failed: {where}: expected {_NAMES[kind]}")


def _get(obj: dict[str, Any], key: str, kind: type, where: str) -> Any:
    """obj[key] if it is of `kind` (a natural number for int), None if absent or null."""
    value = obj.get(key)
    if value is None:
        return None
    here = f"{where}.{key}" if where else key
    if not isinstance(value, kind) or (kind is int and (isinstance(value, bool) or value < 0)):
        raise _decode_error(here, kind)
    return value


def _strings(obj: dict[str, Any], key: str, where: str) -> list[str]:
    items = _get(obj, key, list, where) or []
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise _decode_error(f"{where + '.' if where else ''}{key}[{i}]", str)
    return items


def _known(name: str, known: frozenset[str], what: str) -> None:
    if name not in known:
        raise SpecError(f"string {name} is not a valid {what} for seccomp")


def _check_filter(rule: dict[str, Any], key: str, where: str) -> None:
    cond = _get(rule, key, dict, where)
    if cond is None:
        return
    here = f"{where}.{key}"
    _strings(cond, "caps", here)
    _strings(cond, "arches", here)
    kernel = _get(cond, "minKernel", str, here)
    if kernel and not ((m := _KERNEL.fullmatch(kernel)) and m.groups() != ("0", "0")):
        raise SpecError(
            f'Decoding seccomp profile failed: invalid kernel version: "{kernel}", '
            'expected "<kernel>.<major>"'
        )


def _check_rule(rule: Any, where: str) -> None:
    if not isinstance(rule, dict):
        raise _decode_error(where, dict)
    names = _strings(rule, "names", where)
    if _get(rule, "name", str, where) and names:
        raise SpecError(
            "both 'name' and 'names' are specified in the seccomp profile, "
            "use either 'name' or 'names'"
        )
    _known(_get(rule, "action", str, where) or "", ACTIONS, "action")
    _get(rule, "errnoRet", int, where)
    for i, arg in enumerate(_get(rule, "args", list, where) or []):
        here = f"{where}.args[{i}]"
        if not isinstance(arg, dict):
            raise _decode_error(here, dict)
        for key in ("index", "value", "valueTwo"):
            _get(arg, key, int, here)
        _known(_get(arg, "op", str, here) or "", OPERATORS, "operator")
    _check_filter(rule, "includes", where)
    _check_filter(rule, "excludes", where)


def check_profile(profile: Any) -> None:
    """Raise SpecError naming the first thing wrong in `profile` (the decoded JSON)."""
    if not isinstance(profile, dict):
        raise SpecError("Decoding seccomp profile failed: the profile must be a JSON object")
    default = _get(profile, "defaultAction", str, "")
    syscalls = _get(profile, "syscalls", list, "") or []
    if not default and not syscalls:
        return  # no filter at all, as dockerd reads it
    if not default:
        raise SpecError("Decoding seccomp profile failed: missing defaultAction")
    _known(default, ACTIONS, "action")
    _get(profile, "defaultErrnoRet", int, "")
    arches = _strings(profile, "architectures", "")
    arch_map = _get(profile, "archMap", list, "") or []
    if arches and arch_map:
        raise SpecError(
            "both 'architectures' and 'archMap' are specified in the seccomp profile, "
            "use either 'architectures' or 'archMap'"
        )
    for i, entry in enumerate(arch_map):
        here = f"archMap[{i}]"
        if not isinstance(entry, dict):
            raise _decode_error(here, dict)
        arches = [*arches, _get(entry, "architecture", str, here) or "",
                  *_strings(entry, "subArchitectures", here)]  # fmt: skip
    for arch in arches:
        _known(arch, ARCHES, "arch")
    for i, rule in enumerate(syscalls):
        _check_rule(rule, f"syscalls[{i}]")
