"""`compose images`: the images the project's containers use."""

from __future__ import annotations

import argparse
import json

from ...common.humanize import human_size
from ...common.reference import parse_normalized
from ..backend import display_name
from .common import add_services, backend
from .ps import print_table


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    add_services(parser)
    parser.add_argument("-q", "--quiet", action="store_true")
    parser.add_argument("--format", default="table")


def run(opts: argparse.Namespace) -> int:
    b = backend(opts)
    b.check_services(opts.services)
    rows = []
    for c in b.containers(opts.services or None):
        info = b.api(lambda c=c: b.engine.images.inspect(c["ImageID"]), c["Image"])
        tags = info.get("RepoTags") or [c["Image"]]
        ref = parse_normalized(tags[0]) if tags else None
        rows.append(
            {
                "ID": info["Id"],
                "ContainerName": display_name(c),
                "Repository": ref.familiar_name if ref else "<none>",
                "Tag": (ref.tag if ref else None) or "<none>",
                "Size": info.get("Size", 0),
            }
        )
    if opts.quiet:
        for r in rows:
            print(r["ID"])
        return 0
    if opts.format == "json":
        print(json.dumps(rows, separators=(",", ":")))
        return 0
    table = [["CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"]]
    table += [
        [
            r["ContainerName"],
            r["Repository"],
            r["Tag"],
            r["ID"].split(":")[-1][:12],
            human_size(r["Size"]),
        ]
        for r in rows
    ]
    print_table(table)
    return 0
