"""A profile's shape and names are checked before conversion, with dockerd's and runc's
wording, so nothing reaches runc that it would refuse."""

from __future__ import annotations

import json

import pytest

from dockyard.runtime.errors import SpecError
from dockyard.runtime.seccomp import convert_profile, default_profile
from dockyard.runtime.seccomp_check import check_profile
from dockyard.runtime.seccomp_default import default_profile_text

ALLOW = "SCMP_ACT_ALLOW"


def rule(**kw: object) -> dict:
    return {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", **kw}


def profile(*rules: dict, **kw: object) -> dict:
    return {"defaultAction": ALLOW, "syscalls": list(rules), **kw}


@pytest.mark.parametrize(
    "doc",
    [
        {},
        {"syscalls": None, "defaultAction": None},
        profile(),
        profile(rule(), rule(name="chmod", names=None)),
        profile(
            rule(errnoRet=1, comment="x", args=[{"index": 1, "value": 2, "op": "SCMP_CMP_EQ"}])
        ),
        profile(
            rule(includes={"caps": ["CAP_SYS_ADMIN"], "arches": ["amd64"], "minKernel": "4.8"})
        ),
        profile(architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], defaultErrnoRet=1),
        profile(
            archMap=[{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X32"]}]
        ),
        profile(unknownKey=[1, 2]),  # ignored, as Go's decoder does
        json.loads(default_profile_text()),
    ],
)
def test_valid_profiles(doc: dict) -> None:
    check_profile(doc)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "Decoding seccomp profile failed: the profile must be a JSON object"),
        ({"syscalls": [rule()]}, "Decoding seccomp profile failed: missing defaultAction"),
        (
            profile(defaultAction=1),
            "Decoding seccomp profile failed: defaultAction: expected a string",
        ),
        (profile(defaultAction="ALLOW"), "string ALLOW is not a valid action for seccomp"),
        (profile(defaultErrnoRet=-1), "defaultErrnoRet: expected a number"),
        (profile(syscalls={}), "Decoding seccomp profile failed: syscalls: expected a list"),
        (profile("mkdir"), "Decoding seccomp profile failed: syscalls[0]: expected an object"),
        (profile(rule(action=None)), "string  is not a valid action for seccomp"),
        (profile(rule(action="SCMP_ACT_NOPE")), "string SCMP_ACT_NOPE is not a valid action"),
        (profile(rule(names="mkdir")), "syscalls[0].names: expected a list"),
        (profile(rule(names=[1])), "syscalls[0].names[0]: expected a string"),
        (profile(rule(name="chmod")), "both 'name' and 'names' are specified"),
        (profile(rule(errnoRet=True)), "syscalls[0].errnoRet: expected a number"),
        (profile(rule(args=[{"index": 0}])), "string  is not a valid operator for seccomp"),
        (profile(rule(args=[{"index": "0", "op": "SCMP_CMP_EQ"}])), "args[0].index: expected"),
        (profile(rule(args=[{"op": "EQ"}])), "string EQ is not a valid operator for seccomp"),
        (profile(rule(includes=["caps"])), "syscalls[0].includes: expected an object"),
        (profile(rule(excludes={"caps": "CAP_X"})), "syscalls[0].excludes.caps: expected a list"),
        (profile(rule(includes={"minKernel": "4"})), 'invalid kernel version: "4"'),
        (profile(rule(includes={"minKernel": "0.0"})), 'invalid kernel version: "0.0"'),
        (profile(architectures=["x86_64"]), "string x86_64 is not a valid arch for seccomp"),
        (
            profile(architectures=["SCMP_ARCH_X86"], archMap=[{"architecture": "SCMP_ARCH_X86"}]),
            "both 'architectures' and 'archMap' are specified",
        ),
        (profile(archMap=[{"architecture": "SCMP_ARCH_NOPE"}]), "string SCMP_ARCH_NOPE is not"),
        (
            profile(archMap=[{"architecture": "SCMP_ARCH_X86", "subArchitectures": ["arm"]}]),
            "string arm is not a valid arch",
        ),
    ],
)
def test_invalid_profiles(doc: object, message: str) -> None:
    with pytest.raises(SpecError) as err:
        check_profile(doc)
    assert message in str(err.value)


def test_conversion_checks_first() -> None:
    with pytest.raises(SpecError, match="not a valid action"):
        convert_profile(json.dumps(profile(defaultAction="NOPE")), [])
    with pytest.raises(SpecError, match="Decoding seccomp profile failed"):
        convert_profile("{nope", [])
    assert convert_profile("{}", []) is None
    assert default_profile([])["defaultAction"] == "SCMP_ACT_ERRNO"


def test_missing_arg_index_is_zero_and_excludes_min_kernel_applies() -> None:
    """Go's zero value for an absent index; a rule excluded from kernel 3.0 on is gone here."""
    doc = profile(
        rule(args=[{"op": "SCMP_CMP_EQ", "value": 1}]),
        rule(names=["chmod"], excludes={"minKernel": "3.0"}),
    )
    oci = convert_profile(json.dumps(doc), [])
    assert oci is not None
    assert oci["syscalls"] == [
        {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO",
         "args": [{"index": 0, "value": 1, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
    ]  # fmt: skip
