"""The generated default profile: Docker's decisions, resolved per capability set."""

from __future__ import annotations

import errno

from dockyard.runtime import seccomp
from dockyard.runtime.capabilities import DEFAULT_CAPABILITIES


def allowed(caps: list[str]) -> set[str]:
    profile = seccomp.default_profile(caps)
    return {
        n
        for r in profile["syscalls"]
        if r["action"] == "SCMP_ACT_ALLOW" and not r.get("args")
        for n in r["names"]
    }


def test_denied_without_their_capability():
    names = allowed(list(DEFAULT_CAPABILITIES))
    for call in ("keyctl", "add_key", "mount", "umount2", "mount_setattr", "open_tree",
                 "name_to_handle_at", "setns", "unshare", "process_vm_readv", "pidfd_getfd",
                 "mbind", "set_mempolicy", "get_mempolicy", "io_uring_setup", "userfaultfd",
                 "bpf", "init_module", "reboot", "clock_settime"):  # fmt: skip
        assert call not in names, call
    assert {"read", "openat", "ptrace", "chroot", "pidfd_open", "arch_prctl"} <= names


def test_capabilities_open_their_calls():
    admin = allowed([*DEFAULT_CAPABILITIES, "CAP_SYS_ADMIN"])
    assert {"mount", "umount2", "setns", "unshare", "clone", "clone3", "name_to_handle_at"} <= admin
    ptrace = allowed([*DEFAULT_CAPABILITIES, "CAP_SYS_PTRACE"])
    assert {"process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp"} <= ptrace
    nice = allowed([*DEFAULT_CAPABILITIES, "CAP_SYS_NICE"])
    assert {"mbind", "set_mempolicy", "get_mempolicy"} <= nice
    assert "chroot" not in allowed(["CAP_CHOWN"])


def test_clone3_enosys_and_clone_without_namespaces():
    rules = seccomp.default_profile(list(DEFAULT_CAPABILITIES))["syscalls"]
    (clone3,) = [r for r in rules if r["names"] == ["clone3"]]
    assert clone3["action"] == "SCMP_ACT_ERRNO" and clone3["errnoRet"] == errno.ENOSYS
    (clone,) = [r for r in rules if r["names"] == ["clone"]]
    (arg,) = clone["args"]
    assert arg["op"] == "SCMP_CMP_MASKED_EQ" and arg["valueTwo"] == 0
    assert arg["value"] & 0x10000000  # CLONE_NEWUSER is in the mask
    admin = seccomp.default_profile([*DEFAULT_CAPABILITIES, "CAP_SYS_ADMIN"])["syscalls"]
    assert not [r for r in admin if r["action"] == "SCMP_ACT_ERRNO"]


def test_default_action_and_sockets():
    profile = seccomp.default_profile(list(DEFAULT_CAPABILITIES))
    assert profile["defaultAction"] == "SCMP_ACT_ERRNO"
    assert profile["defaultErrnoRet"] == errno.EPERM
    sockets = [r["args"][0] for r in profile["syscalls"] if r["names"] == ["socket"]]
    # every family but AF_ALG (38) and AF_VSOCK (40)
    admitted = {
        fam
        for fam in range(64)
        for a in sockets
        if {
            "SCMP_CMP_LT": fam < a["value"],
            "SCMP_CMP_EQ": fam == a["value"],
            "SCMP_CMP_GT": fam > a["value"],
        }[a["op"]]  # fmt: skip
    }
    assert admitted == set(range(64)) - {38, 40}
