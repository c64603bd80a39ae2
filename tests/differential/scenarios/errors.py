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

CONFLICTS = Scenario(
    "conflicts",
    (
        cmd("create --name {p}-x --label {p}=1 busybox sleep 300", setup=True),
        cmd("create --name {p}-y busybox", setup=True),
        cmd("rename {p}-x {p}-y"),
        cmd("attach {p}-x"),
        cmd("exec {p}-x"),
        cmd("top {p}-x"),
        cmd("port {p}-x 80"),
        cmd("port {p}-x 80/bogus"),
        cmd("start {p}-x {p}-nosuch"),
        cmd("top {p}-x -o nosuchfield"),
        cmd("update --cpus 0.5 --memory 1k {p}-x"),
        cmd("update --restart always {p}-x"),
        cmd("update --cpus nonsense {p}-x"),
        cmd("commit {p}-x 'Bad:Ref'"),
        cmd("cp {tmp}/nosuch {p}-x:/"),
        cmd("cp {p}-x:/etc/hostname {tmp}/nodir/sub/h"),
        cmd("run --name {p}-x busybox"),
        cmd("run --name 'bad name' busybox"),
        cmd("network create --internal --subnet 10.255.254.0/24 {p}-ov1", "none"),
        cmd("network create --subnet 10.255.254.0/24 {p}-ov2"),
        cmd("volume rm -f {p}-nosuch"),
        cmd("container prune -f --filter label={p}=1", "lines"),
        cmd("images --format '{{.Nope}}'"),
        cmd("history --format json busybox", "jsonl"),
        cmd("ps -a --filter name={p}- --format json", "jsonl"),
        cmd("events --since 1s --until 0s --filter type=bogus"),
        cmd("events --since 1s --until 0s --filter bogus=1", "none"),
        cmd("events --since 2s --until 1s --format json", "none"),
        cmd("version --format json", "json"),
        cmd("info --format json", "json"),
        cmd("inspect --size --type container --format '{{.SizeRw}} {{.SizeRootFs}}' {p}-y", "lines"),
        cmd("wait {p}-y {p}-nosuch"),
        cmd("kill --signal 0 {p}-y"),
        cmd("logs --since 1h --until 0s --timestamps --tail all {p}-y"),
        cmd("rm {p}-x {p}-nosuch"),
    ),
    (cmd("rm -f {p}-x {p}-y"), cmd("network rm {p}-ov1 {p}-ov2")),
)

SCENARIOS = (ERRORS, CONFLICTS)
