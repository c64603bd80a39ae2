"""`compose down`: stop and remove the project's containers, then its networks, and with
-v its volumes, with --rmi its images."""

from __future__ import annotations

import argparse
import os

from ...client.api import APIError
from .. import graph
from .. import labels as L
from ..backend import Backend
from ..convergence import handle_orphans, stop_and_remove
from ..errors import ComposeError
from ..options import load_project
from ..progress import Progress
from ..project import Project, check_name, normalize_name
from ..resources import remove_networks, remove_volumes
from .common import add_services, add_timeout


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    add_services(parser)
    add = parser.add_argument
    add("--rmi", choices=["local", "all"], default=None)
    add("-v", "--volumes", action="store_true")
    add("--remove-orphans", action="store_true")
    add_timeout(parser)


def project_or_name(opts: argparse.Namespace) -> Project:
    """The project; without a compose file, the one named by -p (Compose allows that)."""
    try:
        return load_project(opts)
    except ComposeError as exc:
        name = opts.project_name or os.environ.get("COMPOSE_PROJECT_NAME")
        if not str(exc).startswith("no configuration file provided"):
            raise
        if not name:
            name = normalize_name(os.path.basename(os.getcwd()))
        return Project(name=check_name(name), working_dir=os.getcwd(), services={})


def run(opts: argparse.Namespace) -> int:
    project = project_or_name(opts)
    b = Backend(project, Progress(quiet=opts.progress == "quiet"), parallel=opts.parallel)
    containers = all_containers = b.containers(opts.services or None, oneoff=None)
    known = set(project.services) | set(project.disabled)
    if not opts.services and not opts.remove_orphans:
        containers = [
            c
            for c in containers
            if c["Labels"].get(L.SERVICE) in known
            or c["Labels"].get(L.ONEOFF) == "True"
            or not project.services
        ]
        if project.services:  # the list has them all: no second one for the orphans
            handle_orphans(b, False, opts.timeout, all_containers)
    deps = {n: list(s.get("depends_on") or {}) for n, s in project.services.items()}
    by_service: dict[str, list] = {}
    for c in containers:
        by_service.setdefault(c["Labels"].get(L.SERVICE, ""), []).append(c)
    # dependents first; services of one level (and orphans, last) in parallel
    levels = list(reversed(graph.levels(deps))) if deps else []
    levels.append([s for s in by_service if s not in deps])
    for level in levels:
        batch = [c for s in level for c in by_service.get(s, [])]
        b.each(batch, lambda c: stop_and_remove(b, c, opts.timeout, volumes=opts.volumes))
    if opts.services:
        return 0
    remove_networks(b)
    if opts.volumes:
        remove_volumes(b)
    if opts.rmi:
        _remove_images(b, opts.rmi)
    return 0


def _remove_images(b: Backend, mode: str) -> None:
    names = []
    for name, svc in b.project.services.items():
        if mode == "all" or (svc.get("build") and not svc.get("image")):
            names.append(b.project.image_name(name))
    for name in dict.fromkeys(names):
        try:
            b.engine.images.remove(name)
        except APIError as exc:
            if exc.status != 404:
                b.progress.event("Image", name, f"Error: {exc.message}")
            continue
        b.progress.event("Image", name, "Removed")
