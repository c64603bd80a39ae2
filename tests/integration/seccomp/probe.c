/* Syscall probe: calls each syscall with arguments the kernel rejects cheaply (a bad
 * flag, fd or pointer), so an errno other than the filter's EPERM/ENOSYS shows the call
 * reached the kernel. Prints "name errno" per line (0 when the call succeeded). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_process_madvise
#define SYS_process_madvise 440
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif
#ifndef SYS_set_mempolicy_home_node
#define SYS_set_mempolicy_home_node 450
#endif

#define BAD ((long)1) /* an unmapped user address: EFAULT once the kernel reads it */

static void report(const char *name, long rc) { printf("%s %d\n", name, rc < 0 ? errno : 0); }
#define PROBE(name, ...) report(name, syscall(__VA_ARGS__))

/* Runs fn in a child so a call that succeeds (a new namespace) cannot change the probe. */
static void in_child(const char *name, long nr, long a0) {
    int fds[2], err = 0;
    if (pipe(fds) != 0) return;
    pid_t pid = fork();
    if (pid == 0) {
        err = syscall(nr, a0) < 0 ? errno : 0;
        (void)!write(fds[1], &err, sizeof err);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    (void)!read(fds[0], &err, sizeof err);
    printf("%s %d\n", name, err);
}

static void clone_child(const char *name, long flags) {
    long rc = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
    if (rc == 0) _exit(0);
    if (rc > 0) waitpid((pid_t)rc, NULL, 0);
    report(name, rc);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    PROBE("read", SYS_read, -1, 0, 0);
    PROBE("keyctl", SYS_keyctl, 0x7fff, 0, 0, 0, 0);
    PROBE("add_key", SYS_add_key, BAD, BAD, 0, 0, 0);
    PROBE("request_key", SYS_request_key, BAD, BAD, 0, 0);
    PROBE("mount", SYS_mount, 0, BAD, 0, 0, 0);
    PROBE("umount2", SYS_umount2, BAD, 0);
    PROBE("mount_setattr", SYS_mount_setattr, -1, 0, 0, 0, 0);
    PROBE("open_tree", SYS_open_tree, -1, 0, -1);
    PROBE("name_to_handle_at", SYS_name_to_handle_at, -1, 0, 0, 0, -1);
    PROBE("setns", SYS_setns, -1, 0);
    PROBE("process_vm_readv", SYS_process_vm_readv, 0, 0, 0, 0, 0, 1);
    PROBE("process_vm_writev", SYS_process_vm_writev, 0, 0, 0, 0, 0, 1);
    PROBE("process_madvise", SYS_process_madvise, -1, 0, 0, 0, -1);
    PROBE("pidfd_getfd", SYS_pidfd_getfd, -1, 0, 1);
    PROBE("kcmp", SYS_kcmp, 0, 0, 99, 0, 0);
    PROBE("ptrace", SYS_ptrace, -1, 0, 0, 0);
    PROBE("mbind", SYS_mbind, 0, 0, 0, 0, 0, -1);
    PROBE("set_mempolicy", SYS_set_mempolicy, 99, 0, 0);
    PROBE("get_mempolicy", SYS_get_mempolicy, 0, 0, 0, 0, -1);
    PROBE("set_mempolicy_home_node", SYS_set_mempolicy_home_node, 0, 0, 0, 1);
    PROBE("clone3", SYS_clone3, 0, 0);
    PROBE("userfaultfd", SYS_userfaultfd, -1);
    PROBE("chroot", SYS_chroot, BAD);
    PROBE("clock_settime", SYS_clock_settime, 0, BAD);
    PROBE("iopl", SYS_iopl, 99);
    in_child("personality_query", SYS_personality, 0xffffffff);
    in_child("personality_other", SYS_personality, 0x1234);
    PROBE("io_uring_setup", SYS_io_uring_setup, 0, 0);
    PROBE("pidfd_open", SYS_pidfd_open, getpid(), -1);
    in_child("unshare_user", SYS_unshare, CLONE_NEWUSER);
    in_child("unshare_ns", SYS_unshare, CLONE_NEWNS);
    clone_child("clone_newuser", CLONE_NEWUSER);
    clone_child("clone_plain", 0);
    return 0;
}
