"""Networks and volumes: create, ls, inspect, connect, disconnect, rm, prune."""

from __future__ import annotations

from model import Scenario, cmd

NETWORKS = Scenario(
    "networks",
    (
        cmd("network create --label {p}=1 {p}-net", setup=True),
        cmd("network create {p}-net"),
        cmd("network ls --filter name={p}-net", "table"),
        cmd("network ls --filter label={p}=1 --format '{{.Name}} {{.Driver}} {{.Scope}}'"),
        cmd("network ls --filter name={p}-net --format json", "jsonl"),
        cmd("network inspect {p}-net", "json"),
        cmd("network inspect --format '{{.Name}} {{.Driver}} {{.Internal}}' {p}-net"),
        cmd("network inspect {p}-nosuch"),
        cmd("run -d --name {p}-n busybox sleep 300", setup=True),
        cmd("network connect {p}-net {p}-n"),
        cmd("network connect {p}-net {p}-n"),
        cmd("network connect {p}-nosuch {p}-n"),
        cmd("network connect {p}-net {p}-nosuch"),
        cmd("inspect --format '{{json .NetworkSettings.Networks}}' {p}-n", "json"),
        cmd("network rm {p}-net"),
        cmd("network disconnect {p}-net {p}-n"),
        cmd("network disconnect {p}-net {p}-n"),
        cmd("network rm {p}-net"),
        cmd("network rm {p}-net"),
        cmd("network create --label {p}=2 {p}-unused", setup=True),
        cmd("network prune -f --filter label={p}=2"),
        cmd("network ls --filter label={p}=2 -q", "lines"),
        cmd("network create --subnet 10.0.0.0/33 {p}-bad"),
        cmd("network create --driver nosuchdriver {p}-bad"),
    ),
    (cmd("rm -f {p}-n"), cmd("network rm {p}-net {p}-unused {p}-bad")),
)

VOLUMES = Scenario(
    "volumes",
    (
        cmd("volume create --label {p}=1 {p}-vol"),
        cmd("volume ls --filter name={p}-vol", "table"),
        cmd("volume ls --filter label={p}=1 --format '{{.Name}} {{.Driver}}'"),
        cmd("volume ls --filter name={p}-vol --format json", "jsonl"),
        cmd("volume inspect {p}-vol", "json"),
        cmd("volume inspect --format '{{.Name}} {{.Driver}} {{.Labels}}' {p}-vol"),
        cmd("volume inspect {p}-nosuch"),
        cmd("run --name {p}-v -v {p}-vol:/data busybox sh -c 'echo x > /data/f'", setup=True),
        cmd("volume rm {p}-vol"),
        cmd("rm {p}-v"),
        cmd("volume rm {p}-vol"),
        cmd("volume rm {p}-vol"),
        cmd("volume create --label {p}=2 {p}-spare", setup=True),
        cmd("volume prune -f --filter label={p}=2", "none"),
        cmd("volume create --driver nosuchdriver {p}-bad"),
    ),
    (cmd("rm -f {p}-v"), cmd("volume rm -f {p}-vol {p}-spare {p}-bad")),
)

SCENARIOS = (NETWORKS, VOLUMES)
