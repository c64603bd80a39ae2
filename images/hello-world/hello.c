/*
 * hello-world for dockyard: a tiny static program with no libc.
 *
 * Built by scripts/make-images with:
 *   gcc -static -nostdlib -Os -fno-asynchronous-unwind-tables -fno-stack-protector
 *       -Wl,--build-id=none -Wl,-z,noseparate-code -s -o hello hello.c
 * which gives a binary of about 1.4 KB.
 * It only needs two Linux x86-64 syscalls: write(2) and exit(2).
 */

static const char message[] =
    "\n"
    "Hello from dockyard!\n"
    "This message shows that your installation appears to be working correctly.\n"
    "\n"
    "To generate this message, dockyard took the following steps:\n"
    " 1. The dockyard client contacted the dockyard daemon.\n"
    " 2. The daemon found the \"hello-world\" image in its local store\n"
    "    (or pulled it from a registry mirror).\n"
    "    (amd64)\n"
    " 3. The daemon created a new container from that image, which runs the\n"
    "    executable that produces the output you are currently reading.\n"
    " 4. The daemon streamed that output to the dockyard client, which sent it\n"
    "    to your terminal.\n"
    "\n"
    "To try something more ambitious, you can run a Debian container with:\n"
    " $ dockyard run -it debian bash\n"
    "\n"
    "Any Docker client works too: point it at the daemon with\n"
    " $ export DOCKER_HOST=unix:///run/dockyard.sock\n"
    "\n";

static long sys_write(int fd, const void *buf, unsigned long len)
{
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(1L), "D"((long)fd), "S"(buf), "d"(len)
                     : "rcx", "r11", "memory");
    return ret;
}

static __attribute__((noreturn)) void sys_exit(int code)
{
    for (;;)
        __asm__ volatile("syscall" : : "a"(60L), "D"((long)code) : "rcx", "r11", "memory");
}

void _start(void)
{
    const char *p = message;
    unsigned long left = sizeof(message) - 1;
    while (left > 0) {
        long n = sys_write(1, p, left);
        if (n == -4) /* EINTR: try again */
            continue;
        if (n <= 0)
            sys_exit(1);
        p += n;
        left -= (unsigned long)n;
    }
    sys_exit(0);
}
