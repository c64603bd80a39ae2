"""`compose config`: the normalised model, or one of its lists."""

from __future__ import annotations

import argparse
import sys

from .. import render
from ..errors import ComposeError
from ..options import load_project


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    add = parser.add_argument
    add("services_args", nargs="*", metavar="SERVICE")
    add("-q", "--quiet", action="store_true")
    add("--services", action="store_true")
    add("--volumes", action="store_true")
    add("--networks", action="store_true")
    add("--images", action="store_true")
    add("--profiles", dest="list_profiles", action="store_true")
    add("--hash", default=None)
    add("--format", choices=["yaml", "json"], default=None)
    add("--no-interpolate", action="store_true")
    add("--no-normalize", action="store_true")
    add("--no-path-resolution", action="store_true")
    add("--no-consistency", action="store_true")
    add("--resolve-image-digests", action="store_true")
    add("-o", "--output", default=None)


def run(opts: argparse.Namespace) -> int:
    if opts.no_interpolate and not (opts.services or opts.volumes or opts.images or opts.quiet):
        from ..loader import load_model
        from ..options import load_options

        doc = load_model(load_options(opts, interpolate=False))
        text = render.raw_model_json(doc) if opts.format == "json" else render.raw_model_yaml(doc)
        return _output(opts, text)
    project = load_project(opts, interpolate=not opts.no_interpolate)
    if opts.services_args:
        missing = [s for s in opts.services_args if s not in project.services]
        if missing:
            raise ComposeError(f"no such service: {missing[0]}")
    if opts.quiet:
        return 0
    if opts.services:
        from ..graph import order

        deps = {n: list(s.get("depends_on") or {}) for n, s in project.services.items()}
        print("\n".join(order(deps)))
        return 0
    if opts.volumes:
        print("\n".join(project.volumes), end="\n" if project.volumes else "")
        return 0
    if opts.networks:
        print("\n".join(project.networks), end="\n" if project.networks else "")
        return 0
    if opts.images:
        for name in project.services:
            print(project.image_name(name))
        return 0
    if opts.list_profiles:
        profiles = sorted(
            {
                p
                for s in {**project.services, **project.disabled}.values()
                for p in s.get("profiles") or []
            }
        )
        print("\n".join(profiles), end="\n" if profiles else "")
        return 0
    if opts.hash is not None:
        from ..confighash import config_hash

        names = list(project.services) if opts.hash == "*" else opts.hash.split(",")
        for name in names:
            print(f"{name} {config_hash(project.service(name))}")
        return 0
    if opts.format == "json":
        text = render.to_json(project)
    else:
        text = render.to_yaml(project)
    return _output(opts, text)


def _output(opts: argparse.Namespace, text: str) -> int:
    if opts.output:
        with open(opts.output, "w", encoding="utf-8") as f:
            f.write(text)
        return 0
    sys.stdout.write(text)
    return 0
