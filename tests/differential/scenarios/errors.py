"""Bad input on the everyday commands: missing objects, bad flags, bad templates, bad time
values, conflicts, too few arguments, no TTY. Docker's texts and exit codes."""

from __future__ import annotations

from model import Scenario, cmd

MISSING = "{p}-nosuch"
ERRORS = Scenario(
    "errors",
    (
        *(cmd(f"{verb} {MISSING}") for verb in (
            "start", "stop", "restart", "kill", "pause", "unpause", "rm", "logs", "top", "port",
            "diff", "wait", "inspect", "container inspect", "update --memory 64m", "commit",
            "history", "rmi", "exec", "stats --no-stream", "attach",
        )),  # fmt: skip
        cmd(f"exec {MISSING} true"),
        cmd(f"rename {MISSING} {{p}}-x"),
        cmd(f"cp {MISSING}:/etc/hostname {{tmp}}/h"),
        cmd(f"rm -f {MISSING}"),
        cmd(f"rmi -f {MISSING}"),
        cmd(f"network rm {MISSING}"),
        cmd(f"volume rm {MISSING}"),
        cmd(f"create --pull never {MISSING}"),
        cmd(f"run --pull never {MISSING}"),
        cmd("run"),
        cmd("create"),
        cmd("exec x"),
        cmd("tag busybox"),
        cmd("logs a b"),
        cmd("rename onlyone"),
        cmd("cp a b"),
        cmd("ps --bogus"),
        cmd("run --bogus busybox"),
        cmd("ps -n x"),
        cmd("run -m nonsense busybox"),
        cmd("run --restart nonsense busybox"),
        cmd("run -p 99999:80 busybox"),
        cmd("run -it busybox true"),
        cmd("run --rm busybox /nosuchbinary", "none"),
        cmd("run --rm busybox sh -c 'exit 42'"),
        cmd("ps --format '{{.Nope}}'"),
        cmd("ps --format {{.Names"),
        cmd("ps --filter nosuch=1"),
        cmd("ps --filter exited=abc"),
        cmd("images --filter nosuch=1"),
        cmd("events --since xyz"),
        cmd("events --until xyz"),
        cmd("logs --since xyz {p}-nosuch"),
        cmd("stop -t x {p}-nosuch"),
        cmd("network create"),
        cmd("volume create a b"),
        cmd("nosuchcommand"),
    ),
)

SCENARIOS = (ERRORS,)
