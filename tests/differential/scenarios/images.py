"""Images: images, tag, rmi, inspect, history, save, load, image prune."""

from __future__ import annotations

from model import Scenario, cmd

IMAGES = Scenario(
    "images",
    (
        cmd("images busybox", "table"),
        cmd("images --format {{.Repository}}:{{.Tag}} busybox"),
        cmd("images --format json busybox", "jsonl"),
        cmd("images --digests busybox", "table"),
        cmd("images -q busybox", "lines"),
        cmd("tag busybox {p}img:v1"),
        cmd("tag busybox {p}img:bad:tag"),
        cmd("tag busybox {p}IMG"),
        cmd("tag {p}nosuch {p}img:v2"),
        cmd("images --filter reference={p}img", "table"),
        cmd("image inspect busybox", "json"),
        cmd("image inspect --format '{{.Os}}/{{.Architecture}} {{.Config.Cmd}}' busybox"),
        cmd("inspect --type image busybox", "json"),
        cmd("image inspect {p}nosuch"),
        cmd("history busybox", "table"),
        cmd("history --no-trunc --format '{{json .}}' busybox", "jsonl"),
        cmd("save -o {tmp}/img.tar {p}img:v1"),
        cmd("rmi {p}img:v1"),
        cmd("load -i {tmp}/img.tar"),
        cmd("load -i {tmp}/nosuch.tar"),
        cmd("images --filter reference={p}img --format '{{.Repository}}:{{.Tag}}'"),
        cmd("save {p}nosuch -o {tmp}/x.tar"),
        cmd("rmi {p}img:v1"),
        cmd("rmi {p}img:v1"),
        cmd("rmi -f {p}img:v1"),
        cmd("run --rm --name {p}-keep busybox true"),
        cmd("image prune -f --filter label={p}=none"),
        cmd("images --filter dangling=true --filter label={p}=none", "table"),
    ),
    (cmd("rmi -f {p}img:v1 {p}img:v2"),),
)

SCENARIOS = (IMAGES,)
