"""Container life cycle: run/create/start/stop/restart/kill/pause/unpause/rm, ps, logs, exec,
top, stats, port, diff, cp, rename, update, wait, inspect, commit, events."""

from __future__ import annotations

from model import Scenario, cmd, http_get, next_second

LIFECYCLE = Scenario(
    "lifecycle",
    (
        cmd("run --name {p}-once busybox echo hello"),
        cmd("logs {p}-once"),
        cmd("logs --tail 1 -t {p}-once", "lines"),
        cmd("create --name {p}-c --label {p}=1 busybox sleep 300", setup=True),
        cmd("start {p}-c", setup=True),
        cmd("ps --filter name={p}-c", "table"),
        cmd("ps -a --filter label={p}=1 --format '{{json .}}'", "jsonl"),
        cmd("ps -a --filter name={p}- --format 'table {{.Names}}\\t{{.Image}}\\t{{.Command}}'", "table"),
        cmd("ps -q --no-trunc --filter name={p}-c", "lines"),
        cmd("pause {p}-c"),
        cmd("ps --filter name={p}-c --format '{{.Status}}'", "none"),
        cmd("pause {p}-c"),
        cmd("unpause {p}-c"),
        cmd("unpause {p}-c"),
        cmd("top {p}-c", "table"),
        cmd("exec {p}-c echo hi"),
        cmd("exec {p}-c sh -c 'exit 3'"),
        cmd("exec -u nosuchuser {p}-c true"),
        cmd("exec -w /nosuchdir {p}-c true", "none"),
        cmd("exec {p}-c /nosuchbinary", "none"),
        cmd("exec -it {p}-c true"),
        cmd("exec -e A=1 {p}-c sh -c 'echo $A'"),
        cmd("exec {p}-c touch /tmp/made"),
        cmd("diff {p}-c"),
        cmd("stats --no-stream {p}-c", "table"),
        cmd("stats --no-stream --format '{{json .}}' {p}-c", "jsonl"),
        cmd("cp {p}-c:/etc/hostname {tmp}/hostname"),
        cmd("cp {tmp}/hostname {p}-c:/tmp/copied"),
        cmd("exec {p}-c ls /tmp"),
        cmd("cp {p}-c:/nosuch {tmp}/nosuch"),
        cmd("cp {tmp}/nosuch {p}-c:/tmp/"),
        cmd("rename {p}-c {p}-c2"),
        cmd("rename {p}-c2 {p}-c"),
        cmd("rename {p}-c {p}-c"),
        cmd("update --memory 64m --memory-swap 128m {p}-c"),
        cmd("update --memory 64m --memory-swap 32m {p}-c"),
        cmd("inspect {p}-c", "json"),
        cmd("container inspect --size {p}-c", "json"),
        cmd("inspect --format '{{.State.Status}} {{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}' {p}-c"),
        cmd("inspect --format '{{json .Config}}' {p}-c", "json"),
        cmd("inspect --format '{{json .NetworkSettings}}' {p}-c", "json"),
        cmd("inspect --format '{{.Nope}}' {p}-c"),
        cmd("inspect --format {{.State.Status {p}-c"),
        cmd("rm {p}-c"),
        cmd("commit {p}-c {p}img:1"),
        cmd("history {p}img:1", "table"),
        cmd("restart -t 1 {p}-c"),
        cmd("kill {p}-c"),
        cmd("kill {p}-c"),
        cmd("wait {p}-c"),
        cmd("start -a {p}-once"),
        cmd("stop {p}-once"),
        cmd("ps -a --filter name={p}- --filter status=exited --format '{{.Names}} {{.Status}}'", "lines"),
        cmd("rm {p}-c {p}-once"),
        cmd("ps -a --filter name={p}-", "table"),
    ),
    (cmd("rm -f {p}-c {p}-c2 {p}-once"), cmd("rmi -f {p}img:1")),
)

PORTS = Scenario(
    "ports",
    (
        cmd("run -d --name {p}-web -p {port}:80 busybox httpd -f -p 80", setup=True),
        cmd("port {p}-web"),
        http_get("127.0.0.1:{port}"),
        http_get("[::1]:{port}"),
        cmd("port {p}-web 80"),
        cmd("port {p}-web 80/tcp"),
        cmd("port {p}-web 81"),
        cmd("ps --filter name={p}-web --format '{{.Ports}}'"),
        cmd("inspect --format '{{json .NetworkSettings.Ports}}' {p}-web", "json"),
        cmd("inspect --format '{{json .HostConfig.PortBindings}}' {p}-web", "json"),
        cmd("run -d --name {p}-web2 -p {port}:80 busybox true", "none"),
        cmd("run -d --name {p}-lo -p 127.0.0.1::80 busybox httpd -f -p 80", setup=True),
        cmd("port {p}-lo", "lines"),
        cmd("stop -t 1 {p}-web"),
        cmd("port {p}-web"),
    ),
    (cmd("rm -f {p}-web {p}-web2 {p}-lo"),),
)

EVENTS = Scenario(
    "events",
    (
        cmd("run --name {p}-ev busybox true", setup=True),
        cmd("rm {p}-ev", setup=True),
        next_second(),
        cmd("events --since 30s --until 0s --filter container={p}-ev --format '{{.Type}} {{.Action}}'"),
        cmd("events --since 30s --until 0s --filter container={p}-ev --format '{{json .}}'", "jsonl"),
        cmd("events --since 30s --until 0s --filter container={p}-ev", "lines"),
        cmd("events --since 30s --until 0s --filter container={p}-ev --format '{{.Nope}}'"),
    ),
    (cmd("rm -f {p}-ev"),),
)

STOP = Scenario(
    "stop",
    (
        cmd("run -d --name {p}-st busybox sleep 300", setup=True),
        cmd("stop -t 1 {p}-st"),
        next_second(),
        cmd("events --since 30s --until 0s --filter container={p}-st --format '{{.Action}} {{.Actor.Attributes.signal}}'"),
        cmd("inspect --format '{{.State.ExitCode}}' {p}-st"),
        cmd("run -d --name {p}-tt busybox sh -c 'trap \"exit 7\" TERM; sleep 300 & wait'", setup=True),
        next_second(),  # the shell has set its trap
        cmd("stop {p}-tt"),
        cmd("inspect --format '{{.State.ExitCode}}' {p}-tt"),
        next_second(),
        cmd("events --since 30s --until 0s --filter container={p}-tt --format '{{.Action}} {{.Actor.Attributes.signal}}'"),
        cmd("run -d --name {p}-rs busybox sleep 300", setup=True),
        cmd("restart -t 1 {p}-rs"),
        next_second(),
        cmd("events --since 30s --until 0s --filter container={p}-rs --format '{{.Action}} {{.Actor.Attributes.signal}}'"),
    ),
    (cmd("rm -f {p}-st {p}-tt {p}-rs"),),
)

ADDRESSES = Scenario(
    "addresses",
    (
        cmd("network create {p}-an", setup=True),
        *(cmd(f"run -d --name {{p}}-a{i} --network {{p}}-an busybox sleep 300", setup=True) for i in (1, 2, 3)),
        cmd("rm -f {p}-a1", setup=True),
        cmd("run -d --name {p}-a4 --network {p}-an busybox sleep 300", setup=True),
        # the last octet of each address: the lowest free one is handed out again
        *(cmd("inspect --format '{{index (split (index .NetworkSettings.Networks \"{p}-an\").IPAddress \".\") 3}}' "
              f"{{p}}-a{i}")
          for i in (2, 3, 4)),
    ),
    (cmd("rm -f {p}-a1 {p}-a2 {p}-a3 {p}-a4"), cmd("network rm {p}-an")),
)

SCENARIOS = (LIFECYCLE, PORTS, EVENTS, STOP, ADDRESSES)
