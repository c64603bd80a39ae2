"""`compose run`: a one-off container of a service (`<project>-<service>-run-<id>`)."""

from __future__ import annotations

import argparse
import secrets
import shlex
import sys

from .. import canonical
from .. import labels as L
from ..containerspec import Overrides, create_body
from ..convergence import UpOptions, converge_all, targets
from ..images import ensure_images
from ..resources import ensure_networks, ensure_volumes
from .common import backend, cli


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    add = parser.add_argument
    add("-d", "--detach", action="store_true")
    add("--rm", action="store_true")
    add("--no-deps", action="store_true")
    add("-e", "--env", action="append", default=[])
    add("-l", "--label", action="append", default=[])
    add("-p", "--publish", action="append", default=[])
    add("--service-ports", action="store_true")
    add("--use-aliases", action="store_true")
    add("--entrypoint", default=None)
    add("-v", "--volume", action="append", default=[])
    add("-u", "--user", default=None)
    add("-w", "--workdir", default=None)
    add("--name", default=None)
    add("-T", "--no-TTY", dest="no_tty", action="store_true")
    add("-i", "--interactive", action="store_true", default=True)
    add("--build", action="store_true")
    add("--pull", default=None)
    add("--remove-orphans", action="store_true")
    add("--quiet-pull", action="store_true")
    add("--cap-add", action="append", default=[])
    add("--cap-drop", action="append", default=[])
    add("service")
    add("cmd", nargs=argparse.REMAINDER)


def run(opts: argparse.Namespace) -> int:
    b = backend(opts)
    b.check_services([opts.service])
    deps = (
        [] if opts.no_deps else [s for s in targets(b, [opts.service], False) if s != opts.service]
    )
    images = ensure_images(b, [*deps, opts.service], build=opts.build, pull=opts.pull)
    svc = b.project.services[opts.service]
    ensure_networks(
        b,
        set(svc.get("networks") or {})
        | {n for d in deps for n in b.project.services[d].get("networks") or {}},
    )
    ensure_volumes(b)
    if deps:
        converge_all(b, deps, UpOptions(services=deps, no_recreate=True), images)
    tty = not opts.no_tty and sys.stdin.isatty() and not opts.detach
    env = {}
    for item in opts.env:
        key, sep, value = item.partition("=")
        env[key] = value if sep else None
    ports = None
    if opts.publish:
        ports = canonical.ports(opts.publish)
    elif not opts.service_ports:
        ports = []
    overrides = Overrides(
        command=opts.cmd or None,
        entrypoint=shlex.split(opts.entrypoint) if opts.entrypoint is not None else None,
        environment=env,
        ports=ports,
        volumes=canonical.volumes(opts.volume),
        user=opts.user,
        workdir=opts.workdir,
        tty=tty,
        stdin_open=not opts.detach,
        labels={k: v for k, _, v in (x.partition("=") for x in opts.label)},
    )
    slug = secrets.token_hex(6)
    name = opts.name or f"{b.name}-{opts.service}-run-{slug}"
    body = create_body(
        b.project,
        opts.service,
        1,
        images[opts.service],
        b.container_of,
        oneoff=True,
        overrides=overrides,
    )
    body["Labels"][L.SLUG] = slug
    del body["Labels"][L.CONTAINER_NUMBER]
    body["HostConfig"]["AutoRemove"] = bool(opts.rm and opts.detach)
    if body["NetworkingConfig"]["EndpointsConfig"] and not opts.use_aliases:
        for ep in body["NetworkingConfig"]["EndpointsConfig"].values():
            ep["Aliases"] = None
    if opts.detach:
        created = b.api(lambda: b.engine.containers.create(body, name=name), "create")
        b.api(lambda: b.engine.containers.start(created["Id"]), f"start {name}")
        print(name)
        return 0
    body["AttachStdin"] = body["OpenStdin"] = body["StdinOnce"] = True
    body["AttachStdout"] = body["AttachStderr"] = True
    created = b.api(lambda: b.engine.containers.create(body, name=name), "create")
    try:
        code = cli(["start", "-a", "-i", created["Id"]])
    finally:
        if opts.rm:
            try:
                b.engine.containers.remove(created["Id"], force=True, volumes=True)
            except Exception:  # noqa: BLE001 - gone already is fine
                pass
    return code
