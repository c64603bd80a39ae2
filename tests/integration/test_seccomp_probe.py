"""Docker's seccomp decisions (issue 16): one syscall probe run in containers of dockyard and,
when Docker's engine can start here, of a private dockerd; the answers must agree (and match
the expected table), with and without the capabilities that open the guarded calls."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("gcc"), reason="needs root and gcc"),
]

PROBE_SRC = Path(__file__).parent / "seccomp" / "probe.c"
BUSYBOX_TAR = Path(__file__).resolve().parents[2] / "images" / "out" / "busybox.tar"

EPERM, ENOSYS = errno.EPERM, errno.ENOSYS
# What the filter leaves to the kernel answers with the probe's bad arguments.
KERNEL = {
    "mount": errno.EFAULT, "umount2": errno.EFAULT, "mount_setattr": errno.EINVAL,
    "open_tree": errno.EINVAL, "name_to_handle_at": errno.EINVAL, "setns": errno.EBADF,
    "process_vm_readv": errno.EINVAL, "process_vm_writev": errno.EINVAL,
    "process_madvise": errno.EINVAL, "pidfd_getfd": errno.EINVAL, "kcmp": errno.ESRCH,
    "mbind": errno.EINVAL, "set_mempolicy": errno.EINVAL, "get_mempolicy": errno.EINVAL,
    "set_mempolicy_home_node": errno.EINVAL, "clone3": errno.EINVAL,
    "unshare_user": 0, "unshare_ns": 0, "clone_newuser": 0,
}  # fmt: skip
SYS_ADMIN = ("mount", "umount2", "mount_setattr", "open_tree", "name_to_handle_at", "setns",
             "clone3", "unshare_user", "unshare_ns", "clone_newuser")  # fmt: skip
SYS_PTRACE = ("process_vm_readv", "process_vm_writev", "process_madvise", "pidfd_getfd", "kcmp")
SYS_NICE = ("mbind", "set_mempolicy", "get_mempolicy", "set_mempolicy_home_node")

# Docker's default profile with the default capabilities.
DEFAULT = {
    "read": errno.EBADF, "ptrace": errno.ESRCH, "chroot": errno.EFAULT,
    "pidfd_open": errno.EINVAL, "personality_query": 0, "clone_plain": 0,
    "keyctl": EPERM, "add_key": EPERM, "request_key": EPERM, "userfaultfd": EPERM,
    "clock_settime": EPERM, "iopl": EPERM, "personality_other": EPERM,
    "io_uring_setup": EPERM,
    **{name: EPERM for name in (*SYS_ADMIN, *SYS_PTRACE, *SYS_NICE)},
    "clone3": ENOSYS,
}  # fmt: skip
VARIANTS = {
    "default": ((), DEFAULT),
    "sys_admin": (("--cap-add", "SYS_ADMIN"), {**DEFAULT, **{n: KERNEL[n] for n in SYS_ADMIN}}),
    "ptrace_nice": (
        ("--cap-add", "SYS_PTRACE", "--cap-add", "SYS_NICE"),
        {**DEFAULT, **{n: KERNEL[n] for n in (*SYS_PTRACE, *SYS_NICE)}},
    ),
}
# Calls whose decision changed between Docker releases, ignored against an older dockerd:
# io_uring was allowed until Docker 25, set_mempolicy_home_node is unknown to 20.10's
# profile (runc answers ENOSYS for it).
NEWER_THAN_20_10 = {"io_uring_setup", "set_mempolicy_home_node"}


def parse(out: str) -> dict[str, int]:
    return {name: int(code) for name, code in re.findall(r"^(\w+) (-?\d+)$", out, re.M)}


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("probe") / "probe"
    subprocess.run(["gcc", "-static", "-O2", "-o", str(path), str(PROBE_SRC)], check=True)
    return path


def run_probe(tool: list[str], env: dict[str, str], probe: Path, *flags: str) -> dict[str, int]:
    proc = subprocess.run(
        [*tool, "run", "--rm", "--network", "none", *flags,
         "-v", f"{probe}:/probe:ro", "busybox", "/probe"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return parse(proc.stdout)


def dockyard_probe(daemon, probe: Path, *flags: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from daemon_harness import VENV_BIN

    return run_probe([str(VENV_BIN / "dockyard")], daemon.env, probe, *flags)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_default_profile_decides_as_docker(daemon, probe: Path, variant: str) -> None:  # type: ignore[no-untyped-def]
    flags, expected = VARIANTS[variant]
    got = dockyard_probe(daemon, probe, *flags)
    wrong = {k: (got.get(k), v) for k, v in expected.items() if got.get(k) != v}
    assert not wrong, f"(got, expected) per call: {wrong}"


@pytest.mark.parametrize("tool", ["dockyard", "docker"])
def test_unconfined_and_custom_profiles(daemon, probe: Path, tmp_path: Path, tool: str) -> None:  # type: ignore[no-untyped-def]
    """Both CLIs send a profile file's content in SecurityOpt; the daemon applies it."""
    from daemon_harness import VENV_BIN

    if tool == "docker" and not shutil.which("docker"):
        pytest.skip("needs the docker CLI")
    argv = [str(VENV_BIN / "dockyard")] if tool == "dockyard" else ["docker"]
    free = run_probe(argv, daemon.env, probe, "--security-opt", "seccomp=unconfined")
    assert free["keyctl"] != EPERM and free["unshare_user"] == 0 and free["clone3"] == errno.EINVAL
    profile = tmp_path / "deny-chroot.json"
    profile.write_text(json.dumps({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["chroot"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.EACCES}],
    }))  # fmt: skip
    custom = run_probe(argv, daemon.env, probe, "--security-opt", f"seccomp={profile}")
    assert custom["chroot"] == errno.EACCES and custom["keyctl"] != EPERM


def test_no_new_privileges(daemon) -> None:  # type: ignore[no-untyped-def]
    status = daemon.cli("run", "--rm", "--network", "none", "--security-opt", "no-new-privileges",
                        "busybox", "grep", "NoNewPrivs", "/proc/self/status")  # fmt: skip
    assert status.returncode == 0 and status.stdout.split() == ["NoNewPrivs:", "1"], status
    plain = daemon.cli("run", "--rm", "--network", "none", "busybox",
                       "grep", "NoNewPrivs", "/proc/self/status")  # fmt: skip
    assert plain.stdout.split() == ["NoNewPrivs:", "0"], plain


@pytest.fixture(scope="module")
def dockerd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A private dockerd (own roots and socket, no bridge, no iptables) with busybox loaded."""
    if not shutil.which("dockerd") or not shutil.which("docker") or not BUSYBOX_TAR.exists():
        pytest.skip("needs dockerd, the docker CLI and images/out/busybox.tar")
    base = Path(tmp_path_factory.mktemp("dockerd"))
    exec_root = Path(f"/run/dysec-{os.getpid()}")
    sock = base / "docker.sock"
    env = {**os.environ, "DOCKER_HOST": f"unix://{sock}"}
    proc = subprocess.Popen(
        ["dockerd", "--data-root", str(base / "data"), "--exec-root", str(exec_root),
         "-H", f"unix://{sock}", "--pidfile", str(base / "docker.pid"), "--bridge", "none",
         "--iptables=false", "--ip6tables=false"],
        stdout=subprocess.DEVNULL, stderr=open(base / "dockerd.log", "wb"), start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while subprocess.run(["docker", "version"], env=env, capture_output=True).returncode:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.skip(f"dockerd did not start: {(base / 'dockerd.log').read_text()[-500:]}")
            time.sleep(0.5)
        subprocess.run(["docker", "load", "-i", str(BUSYBOX_TAR)], env=env, check=True,
                       capture_output=True)  # fmt: skip
        yield env
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for sub in (exec_root, base / "data"):
            subprocess.run(["umount", "-R", str(sub)], capture_output=True)
        shutil.rmtree(exec_root, ignore_errors=True)
        shutil.rmtree(base, ignore_errors=True)


def docker_major(env: dict[str, str]) -> int:
    out = subprocess.run(["docker", "version", "-f", "{{.Server.Version}}"], env=env,
                         capture_output=True, text=True).stdout  # fmt: skip
    return int(out.split(".")[0] or 0)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_same_answers_as_docker(daemon, dockerd: dict[str, str], probe: Path, variant: str) -> None:  # type: ignore[no-untyped-def]
    flags, _ = VARIANTS[variant]
    theirs = run_probe(["docker"], dockerd, probe, *flags)
    ours = dockyard_probe(daemon, probe, *flags)
    ignored = NEWER_THAN_20_10 if docker_major(dockerd) < 25 else set()
    assert set(ours) == set(theirs)
    differ = {k: (ours[k], theirs[k]) for k in ours if k not in ignored and ours[k] != theirs[k]}
    assert not differ, f"(dockyard, docker) per call: {differ}"
