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

IMAGE_USE = Scenario(
    "image-use",
    (
        cmd("image tag busybox {p}img:u", setup=True),
        cmd("create --name {p}-u {p}img:u true", setup=True),
        cmd("commit {p}-u {p}img:only", setup=True),
        cmd("create --name {p}-o {p}img:only true", setup=True),
        cmd("rmi {p}img:only"),
        cmd("image rm {p}img:u"),
        cmd("image history --format '{{.CreatedBy}}' {p}img:only", "lines"),
        cmd("image save -o {tmp}/only.tar {p}img:only"),
        cmd("rm {p}-o"),
        cmd("rmi {p}img:only"),
        cmd("image load -q -i {tmp}/only.tar"),
        cmd("image inspect --format '{{.RepoTags}}' {p}img:only"),
        cmd("rmi {p}img:only", "lines"),
        cmd("image ls -a --filter reference={p}img", "table"),
        cmd("image pull --platform bogus busybox"),
        cmd("image prune -a -f --filter label={p}=none"),
    ),
    (cmd("rm -f {p}-u {p}-o"), cmd("rmi -f {p}img:u {p}img:only")),
)

SCENARIOS = (IMAGES, IMAGE_USE)
