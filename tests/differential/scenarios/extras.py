"""More of the everyday commands: ps filters, logs options, export, top options, system
prune with a filter, the command aliases, and where dockyard does better than Docker (see
the allow-list): `join` in templates, `network ls --filter dangling`, offline `search`."""

from __future__ import annotations

from model import Scenario, cmd, next_second

FILTERS = Scenario(
    "filters",
    (
        cmd("run -d --name {p}-f1 --label {p}=1 -p {port}:80 busybox sleep 300", setup=True),
        cmd("run --name {p}-f2 --label {p}=1 busybox sh -c 'echo out; echo err >&2; exit 3'"),
        cmd("container ls -a --filter label={p}=1 --format '{{.Names}}'"),
        cmd("ps -a --filter label={p}=1 --filter ancestor=busybox --format '{{.Names}}'"),
        cmd("ps -a --filter label={p}=1 --filter ancestor=busybox:latest --format '{{.Names}}'"),
        cmd("ps -a --filter label={p}=1 --filter exited=3 --format '{{.Names}}'"),
        cmd("ps -a --filter label={p}=1 --filter publish={port} --format '{{.Names}}'"),
        cmd("ps -a --filter label={p}=1 --filter before={p}-f2 --format '{{.Names}}'"),
        cmd("ps -a --filter label={p}=1 --filter since={p}-f1 --format '{{.Names}}'"),
        cmd("ps -a --filter label={p}=1 --filter status=running --format '{{.Names}} {{.Ports}}'"),
        cmd("ps -a --filter label={p}=1 --filter status=bogus"),
        cmd("ps -a --filter label={p}=1 --filter before={p}-nosuch"),
        cmd("ps -a --filter label={p}=1 -n 1 --format '{{.Names}}'"),
        cmd("ps -a --filter label={p}=1 -s", "table"),
        cmd("logs {p}-f2"),
        cmd("logs --details {p}-f2"),
        cmd("logs --tail 0 {p}-f2"),
        next_second(),  # --until 0s is a whole second: the lines are before it
        cmd("logs --since 1h --until 0s {p}-f2"),
        cmd("logs -f {p}-f2"),
        cmd("top {p}-f1 -o pid,comm", "table"),
        cmd("top {p}-f2"),
        cmd("exec -d {p}-f1 sleep 1"),
        cmd("exec {p}-f2 true"),
        cmd("export -o {tmp}/f1.tar {p}-f1"),
        cmd("export {p}-nosuch"),
        cmd("wait {p}-f2"),
        cmd("restart -t 0 {p}-f2"),
        cmd("wait {p}-f2"),
        cmd("inspect --format '{{join .Config.Cmd \" \"}}|{{join .Config.Env \",\"}}' {p}-f1"),
        cmd("inspect --format '{{.State.Status}}' {p}-f1 {p}-nosuch"),
        cmd("inspect --type volume {p}-f1"),
        cmd("kill -s NOSUCHSIG {p}-f1"),
        cmd("kill -s USR1 {p}-f1"),
        cmd("stop -t 0 {p}-f1"),
        next_second(),
        cmd("system prune -f --filter label={p}=1", "lines"),
        cmd("ps -a --filter label={p}=1 -q", "lines"),
        cmd("image ls --filter reference=busybox --format '{{.Repository}}:{{.Tag}}'"),
    ),
    (cmd("rm -f {p}-f1 {p}-f2"),),
)

BETTER = Scenario(
    "better",
    (
        cmd("network create {p}-dn", setup=True),
        cmd("run -d --name {p}-dc --network {p}-dn busybox sleep 300", setup=True),
        cmd("network ls --filter dangling=true --filter name={p}-dn --format '{{.Name}}'"),
        cmd("search --limit 1 busybox", "none"),
    ),
    (cmd("rm -f {p}-dc"), cmd("network rm {p}-dn")),
)

SCENARIOS = (FILTERS, BETTER)
