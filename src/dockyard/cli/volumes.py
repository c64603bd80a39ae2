"""volume create, ls, rm, prune (inspect lives in inspect.py)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import APIError, CLIError, Context, parser
from .inspect import human_size, natural_key, print_list
from .shared import confirm, for_each, parse_filters, print_deleted


def volume_row(v: dict[str, Any]) -> dict[str, Any]:
    labels = v.get("Labels") or {}
    usage = v.get("UsageData") or {}
    size = usage.get("Size", -1)
    links = usage.get("RefCount", -1)
    return {
        "Availability": "N/A",
        "Driver": v.get("Driver", ""),
        "Group": "N/A",
        "Labels": ",".join(f"{k}={val}" for k, val in labels.items()),
        "Links": "N/A" if links is None or links < 0 else str(links),
        "Mountpoint": v.get("Mountpoint", ""),
        "Name": v.get("Name", ""),
        "Scope": v.get("Scope", ""),
        "Size": "N/A" if size is None or size < 0 else human_size(size),
        "Status": "N/A",
        "Label": lambda key: labels.get(key, ""),
    }


def ls(ctx: Context, argv: list[str]) -> int:
    p = parser("volume ls", usage="dockyard volume ls [OPTIONS]")
    p.add_argument("--cluster", action="store_true")
    p.add_argument("-f", "--filter", action="append", default=[])
    p.add_argument("--format")
    p.add_argument("-q", "--quiet", action="store_true")
    args = p.parse_args(argv)
    doc = ctx.api.volumes.list(parse_filters(args.filter))
    for warning in doc.get("Warnings") or []:
        print(warning, file=sys.stderr)
    vols = sorted(doc.get("Volumes") or [], key=lambda v: natural_key(v.get("Name", "")))
    if args.quiet:
        for v in vols:
            print(v["Name"])
        return 0
    print_list([volume_row(v) for v in vols], args.format, "volume")
    return 0


def create_body(driver: str, opts: list[str], labels: list[str], name: str) -> dict[str, Any]:
    """POST /volumes/create body from the flags (-o k=v, --label k=v)."""
    from dockyard.client.volumes import create_body as body

    return body(name, driver, *_maps(opts, labels))


def _maps(opts: list[str], labels: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    driver_opts = {k: v for k, _, v in (o.partition("=") for o in opts)}
    return driver_opts, {k: v for k, _, v in (x.partition("=") for x in labels)}


def create(ctx: Context, argv: list[str]) -> int:
    p = parser("volume create", usage="dockyard volume create [OPTIONS] [VOLUME]")
    p.add_argument("-d", "--driver", default="local")
    p.add_argument("--label", action="append", default=[])
    p.add_argument("--name", default="", help=argparse.SUPPRESS)  # hidden in Docker too
    p.add_argument("-o", "--opt", action="append", default=[])
    p.add_argument("volume", nargs="?")
    args = p.parse_args(argv)
    if args.name and args.volume and args.name != args.volume:
        raise CLIError(
            "conflicting options: cannot specify a volume-name through both --name and as a "
            "positional arg",
            1,
        )
    name = args.volume or args.name
    doc = ctx.api.volumes.create(name, args.driver, *_maps(args.opt, args.label))
    print(doc.get("Name", ""))
    return 0


def rm(ctx: Context, argv: list[str]) -> int:
    p = parser("volume rm", usage="dockyard volume rm [OPTIONS] VOLUME [VOLUME...]")
    p.add_argument("-f", "--force", action="store_true")
    p.add_argument("volumes", nargs="+")
    args = p.parse_args(argv)
    return for_each(ctx, args.volumes, lambda name: ctx.api.volumes.remove(name, args.force))


def prune(ctx: Context, argv: list[str]) -> int:
    p = parser("volume prune")
    p.add_argument("-a", "--all", action="store_true")
    p.add_argument("-f", "--force", action="store_true")
    p.add_argument("--filter", action="append", default=[])
    args = p.parse_args(argv)
    what = "all local volumes" if args.all else "all anonymous local volumes"
    if not args.force and not confirm(
        f"WARNING! This will remove {what} not used by at least one container.\n"
        "Are you sure you want to continue?"
    ):
        return 0
    filters = parse_filters(args.filter) or {}
    if args.all:
        filters["all"] = {"true": True}
    try:
        doc = ctx.api.volumes.prune(filters)
    except APIError as exc:
        raise CLIError(f"Error response from daemon: {exc.message}", 1) from None
    print_deleted("Volumes", doc.get("VolumesDeleted") or [], doc.get("SpaceReclaimed") or 0)
    return 0
