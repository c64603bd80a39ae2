"""Docker-format seccomp profiles (our default, or a user's file) to OCI form.

The profile's per-syscall `includes`/`excludes` conditions (capabilities, architectures,
minimum kernel) are resolved against the container's capability set and this host, the
way Docker does, so the OCI spec carries only the rules that apply. Conversions are
cached by (profile text, capability set): a daemon starting many containers pays once.
"""

from __future__ import annotations

import json
import platform
from functools import lru_cache

from .errors import SpecError
from .seccomp_check import check_profile
from .seccomp_default import default_profile_text

# Go's GOARCH names, which the profile's `arches` conditions use.
_GOARCH = {
    "x86_64": "amd64",
    "aarch64": "arm64",
    "armv7l": "arm",
    "i686": "386",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}
# libseccomp names of the native architecture, to pick its archMap entry.
_SCMP_ARCH = {
    "x86_64": "SCMP_ARCH_X86_64",
    "aarch64": "SCMP_ARCH_AARCH64",
    "armv7l": "SCMP_ARCH_ARM",
    "i686": "SCMP_ARCH_X86",
    "ppc64le": "SCMP_ARCH_PPC64LE",
    "s390x": "SCMP_ARCH_S390X",
    "riscv64": "SCMP_ARCH_RISCV64",
}


def _kernel_version() -> tuple[int, ...]:
    parts = []
    for piece in platform.release().split("-")[0].split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:2] if p.isdigit())


def _applies(rule: dict, caps: frozenset[str], goarch: str, kernel: tuple[int, ...]) -> bool:
    inc = rule.get("includes") or {}
    exc = rule.get("excludes") or {}
    if inc.get("arches") and goarch not in inc["arches"]:
        return False
    if exc.get("arches") and goarch in exc["arches"]:
        return False
    if inc.get("caps") and not all(c in caps for c in inc["caps"]):
        return False
    if exc.get("caps") and any(c in caps for c in exc["caps"]):
        return False
    if inc.get("minKernel") and kernel < _version_tuple(inc["minKernel"]):
        return False
    if exc.get("minKernel") and kernel >= _version_tuple(exc["minKernel"]):
        return False
    return True


def _convert_rule(rule: dict) -> dict:
    names = list(rule.get("names") or [])
    if rule.get("name"):
        names.append(rule["name"])
    out: dict = {"names": names, "action": rule["action"]}
    if rule.get("errnoRet") is not None:
        out["errnoRet"] = rule["errnoRet"]
    args = [
        {
            "index": a.get("index", 0),
            "value": a.get("value", 0),
            "valueTwo": a.get("valueTwo", 0),
            "op": a["op"],
        }
        for a in rule.get("args") or []
    ]
    if args:
        out["args"] = args
    return out


@lru_cache(maxsize=64)
def _convert_cached(profile_text: str, caps: frozenset[str], machine: str) -> str:
    try:
        profile = json.loads(profile_text)
    except ValueError as exc:
        raise SpecError(f"Decoding seccomp profile failed: {exc}") from None
    check_profile(profile)
    if not profile.get("defaultAction"):
        return "null"  # neither a default action nor rules: no filter, as dockerd reads it
    goarch = _GOARCH.get(machine, machine)
    native = _SCMP_ARCH.get(machine)
    arches: list[str] = []
    for entry in profile.get("archMap") or []:
        if entry.get("architecture") == native:
            arches = [native, *entry.get("subArchitectures", [])]
    if not arches:
        arches = list(profile.get("architectures") or [])
    kernel = _kernel_version()
    syscalls = [
        _convert_rule(rule)
        for rule in profile.get("syscalls") or []
        if _applies(rule, caps, goarch, kernel)
    ]
    oci: dict = {"defaultAction": profile["defaultAction"], "architectures": arches}
    if profile.get("defaultErrnoRet") is not None:
        oci["defaultErrnoRet"] = profile["defaultErrnoRet"]
    oci["syscalls"] = syscalls
    return json.dumps(oci)


def convert_profile(profile_text: str, capabilities: list[str]) -> dict | None:
    """Return the OCI `linux.seccomp` object for a Docker-format profile (None: no filter).

    Raises SpecError for a profile that is not JSON or not a valid profile."""
    text = _convert_cached(profile_text, frozenset(capabilities), platform.machine())
    return json.loads(text)  # a fresh copy: callers may mutate their spec


def default_profile(capabilities: list[str]) -> dict:
    """dockyard's default profile (Docker's decisions) resolved for `capabilities`."""
    profile = convert_profile(default_profile_text(), capabilities)
    assert profile is not None  # it has a default action
    return profile
