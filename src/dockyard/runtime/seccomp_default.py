"""dockyard's default seccomp profile, generated in Docker's profile format.

The decisions are Docker's (moby's default profile): deny with EPERM unless a rule allows;
namespace, mount, keyring and module calls only with the capability that guards them in
the kernel; clone without CAP_SYS_ADMIN only without CLONE_NEW* flags, and clone3 (whose
flags live in memory the filter cannot read) answered with ENOSYS so libcs fall back to
clone. Where Docker's releases disagree we keep the stricter decision:
name_to_handle_at needs CAP_SYS_ADMIN and process_vm_readv/writev need CAP_SYS_PTRACE
(Docker 20.10), io_uring and AF_ALG/AF_VSOCK sockets are denied (Docker 25+).

The profile is produced as Docker-format JSON (with `includes`/`excludes` conditions) so
`seccomp.convert_profile` resolves it exactly like a user's `--security-opt seccomp=file`.
"""

from __future__ import annotations

import errno
import json
from functools import cache

# Calls every container may make: file, memory, signal, time, socket-level and IPC
# primitives that act only on the caller's own resources.
_ALWAYS = """
accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown
chown32 clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime
clock_gettime64 clock_nanosleep clock_nanosleep_time64 close close_range connect
copy_file_range creat dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old
epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit
exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir
fchmod fchmodat fchmodat2 fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr
flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64
fsync ftruncate ftruncate64 futex futex_requeue futex_time64 futex_wait futex_waitv
futex_wake futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid
geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp
getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32
getrlimit get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid
gettimeofday getuid getuid32 getxattr getxattrat inotify_add_watch inotify_init
inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents
io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit ipc kill landlock_add_rule
landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link linkat
listen listmount listxattr listxattrat llistxattr _llseek lremovexattr lseek lsetxattr
lstat lstat64 madvise map_shadow_stack membarrier memfd_create memfd_secret mincore
mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr
mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend
mq_timedsend_time64 mq_unlink mremap mseal msgctl msgget msgrcv msgsnd msync munlock
munlockall munmap nanosleep newfstatat _newselect open openat openat2 pause pidfd_open
pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64
prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6 pselect6_time64
pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv recvfrom
recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr removexattrat rename
renameat renameat2 restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask
rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64
rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam sched_get_priority_max
sched_get_priority_min sched_getscheduler sched_rr_get_interval
sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam
sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop
semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32
setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority
setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32
setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address setuid
setuid32 setxattr setxattrat shmat shmctl shmdt shmget shutdown sigaltstack signalfd
signalfd4 sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs statfs64
statmount statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time
timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime
timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime
timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat
uretprobe utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid
write writev
"""

# Calls the kernel guards with a capability: allowed when the container holds it.
_BY_CAPABILITY: tuple[tuple[str, str], ...] = (
    (
        "CAP_SYS_ADMIN",
        "bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie "
        "lsm_get_self_attr lsm_list_modules lsm_set_self_attr mount mount_setattr "
        "move_mount name_to_handle_at open_tree perf_event_open quotactl quotactl_fd "
        "setdomainname sethostname setns syslog umount umount2 unshare",
    ),
    ("CAP_DAC_READ_SEARCH", "open_by_handle_at"),
    ("CAP_SYS_BOOT", "reboot"),
    ("CAP_SYS_CHROOT", "chroot"),
    ("CAP_SYS_MODULE", "delete_module init_module finit_module"),
    ("CAP_SYS_PACCT", "acct"),
    (
        "CAP_SYS_PTRACE",
        "kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace",
    ),
    ("CAP_SYS_RAWIO", "iopl ioperm"),
    ("CAP_SYS_TIME", "settimeofday stime clock_settime clock_settime64"),
    ("CAP_SYS_TTY_CONFIG", "vhangup"),
    ("CAP_SYS_NICE", "get_mempolicy mbind set_mempolicy set_mempolicy_home_node"),
    ("CAP_SYSLOG", "syslog"),
    ("CAP_BPF", "bpf"),
    ("CAP_PERFMON", "perf_event_open"),
)

# Architecture-specific calls (Go GOARCH names, as the profile format uses).
_BY_ARCH: tuple[tuple[tuple[str, ...], str], ...] = (
    (("amd64", "x32"), "arch_prctl"),
    (("amd64", "x32", "x86"), "modify_ldt"),
    (
        ("arm", "arm64"),
        "arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls",
    ),
    (("ppc64le",), "sync_file_range2 swapcontext"),
    (("s390", "s390x"), "s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr"),
    (("riscv64",), "riscv_flush_icache riscv_hwprobe"),
)

# personality(2) values a container may set: Linux, with ADDR_NO_RANDOMIZE, the
# 32-bit variants, and the query value.
_PERSONALITIES = (0x0, 0x8, 0x20000, 0x20008, 0xFFFFFFFF)

# Address families kept from socket(2): AF_ALG (kernel crypto) and AF_VSOCK (the
# hypervisor channel) reach host-side code no container needs.
_AF_ALG = 38
_AF_VSOCK = 40

_CLONE_NAMESPACE_FLAGS = (
    0x00020000  # CLONE_NEWNS
    | 0x04000000  # CLONE_NEWUTS
    | 0x08000000  # CLONE_NEWIPC
    | 0x10000000  # CLONE_NEWUSER
    | 0x20000000  # CLONE_NEWPID
    | 0x40000000  # CLONE_NEWNET
    | 0x02000000  # CLONE_NEWCGROUP
)

# The native architecture and the ones its kernel also runs (compat syscall tables).
_ARCH_MAP = (
    ("SCMP_ARCH_X86_64", ("SCMP_ARCH_X86", "SCMP_ARCH_X32")),
    ("SCMP_ARCH_AARCH64", ("SCMP_ARCH_ARM",)),
    ("SCMP_ARCH_MIPS64", ("SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32")),
    ("SCMP_ARCH_MIPS64N32", ("SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64")),
    ("SCMP_ARCH_MIPSEL64", ("SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32")),
    ("SCMP_ARCH_MIPSEL64N32", ("SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64")),
    ("SCMP_ARCH_S390X", ("SCMP_ARCH_S390",)),
    ("SCMP_ARCH_RISCV64", ()),
)

_ALLOW = "SCMP_ACT_ALLOW"


def _allow(names: str, **extra: object) -> dict:
    return {"names": names.split(), "action": _ALLOW, **extra}


def _arg(index: int, op: str, value: int) -> dict:
    return {"index": index, "value": value, "valueTwo": 0, "op": op}


def _clone_rules() -> list[dict]:
    # clone's flags are its first argument, except on s390 where they are the second;
    # SCMP_CMP_MASKED_EQ tests (arg & value) == valueTwo, so no namespace flag may be set.
    no_ns = _CLONE_NAMESPACE_FLAGS
    return [
        _allow(
            "clone",
            args=[_arg(0, "SCMP_CMP_MASKED_EQ", no_ns)],
            excludes={"caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"]},
        ),
        _allow(
            "clone",
            args=[_arg(1, "SCMP_CMP_MASKED_EQ", no_ns)],
            includes={"arches": ["s390", "s390x"]},
            excludes={"caps": ["CAP_SYS_ADMIN"]},
        ),
        {
            "names": ["clone3"],
            "action": "SCMP_ACT_ERRNO",
            "errnoRet": errno.ENOSYS,
            "excludes": {"caps": ["CAP_SYS_ADMIN"]},
        },
    ]


def _socket_rules() -> list[dict]:
    return [
        _allow("socket", args=[_arg(0, "SCMP_CMP_LT", _AF_ALG)]),
        _allow("socket", args=[_arg(0, "SCMP_CMP_EQ", _AF_ALG + 1)]),
        _allow("socket", args=[_arg(0, "SCMP_CMP_GT", _AF_VSOCK)]),
    ]


def default_profile() -> dict:
    """The default profile as a Docker-format dict (with includes/excludes)."""
    syscalls: list[dict] = [_allow(_ALWAYS)]
    syscalls += _socket_rules()
    syscalls += [_allow("personality", args=[_arg(0, "SCMP_CMP_EQ", v)]) for v in _PERSONALITIES]
    syscalls += [_allow(names, includes={"arches": list(arches)}) for arches, names in _BY_ARCH]
    syscalls += _clone_rules()
    # ptrace is safe without CAP_SYS_PTRACE since 4.8 closed the seccomp bypass through it.
    syscalls.append(_allow("ptrace", includes={"minKernel": "4.8"}))
    syscalls += [_allow(names, includes={"caps": [cap]}) for cap, names in _BY_CAPABILITY]
    return {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": errno.EPERM,
        "archMap": [
            {"architecture": arch, "subArchitectures": list(subs)} for arch, subs in _ARCH_MAP
        ],
        "syscalls": syscalls,
    }


@cache
def default_profile_text() -> str:
    """The default profile as JSON text (what `docker info`-style dumps and caches key on)."""
    return json.dumps(default_profile(), indent=1)
