"""`compose up` and `compose create`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from typing import Any

from .. import labels as L
from ..backend import Backend, display_name
from ..convergence import (
    UpOptions,
    check_ports,
    converge_all,
    handle_orphans,
    targets,
    wake_at,
)
from ..errors import ComposeError
from ..images import ensure_images
from ..logstream import LogPrinter, service_label, stream_logs
from ..resources import ensure_networks, ensure_volumes
from .common import add_services, add_timeout, backend, use_colour


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    add = parser.add_argument
    add_services(parser)
    add("--build", action="store_true")
    add("--no-build", action="store_true")
    add("--pull", choices=["always", "missing", "never", "build"], default=None)
    add("--force-recreate", action="store_true")
    add("--no-recreate", action="store_true")
    add("--remove-orphans", action="store_true")
    add("--quiet-pull", action="store_true")
    add("-y", "--yes", action="store_true")
    add("--scale", action="append", default=[])
    if command == "create":
        return
    add("-d", "--detach", action="store_true")
    add("--no-deps", action="store_true")
    add("--wait", action="store_true")
    add("--wait-timeout", type=int, default=None)
    add("--abort-on-container-exit", action="store_true")
    add("--abort-on-container-failure", action="store_true")
    add("--exit-code-from", default=None)
    add("--attach", action="append", default=[])
    add("--no-attach", action="append", default=[])
    add("--attach-dependencies", action="store_true")
    add("--no-log-prefix", action="store_true")
    add("--no-color", action="store_true")
    add("--no-start", action="store_true")
    add("--timestamps", action="store_true")
    add("--always-recreate-deps", action="store_true")
    add("-V", "--renew-anon-volumes", action="store_true")
    add("--menu", action="store_true")
    add("-w", "--watch", action="store_true")
    add_timeout(parser)


def _scale(values: list[str]) -> dict[str, int]:
    out = {}
    for item in values:
        name, sep, count = item.partition("=")
        if not sep or not count.isdigit():
            raise ComposeError(f"invalid --scale value {item!r}: expected SERVICE=NUM")
        out[name] = int(count)
    return out


def run(opts: argparse.Namespace) -> int:
    b = backend(opts)
    create_only = opts.command == "create" or getattr(opts, "no_start", False)
    detach = getattr(opts, "detach", False)
    if opts.build and opts.no_build:
        raise ComposeError("--build and --no-build are incompatible")
    if opts.force_recreate and opts.no_recreate:
        raise ComposeError("--force-recreate and --no-recreate are incompatible")
    exit_from = getattr(opts, "exit_code_from", None)
    abort = getattr(opts, "abort_on_container_exit", False) or bool(exit_from)
    if detach and abort:
        raise ComposeError('"--abort-on-container-exit" and "-d" cannot be combined.')
    up = UpOptions(
        services=opts.services,
        no_deps=getattr(opts, "no_deps", False),
        force_recreate=opts.force_recreate,
        no_recreate=opts.no_recreate,
        scale=_scale(opts.scale),
        remove_orphans=opts.remove_orphans,
        timeout=getattr(opts, "timeout", None),
        start=not create_only,
        wait_timeout=getattr(opts, "wait_timeout", None),
    )
    for name in up.scale:
        b.check_services([name])
    if exit_from:
        b.check_services([exit_from])
    services = targets(b, opts.services, up.no_deps)
    check_ports(b, services, up)
    images = ensure_images(b, services, build=opts.build, no_build=opts.no_build, pull=opts.pull)
    existing = b.containers()  # one list for the orphans and the convergence
    handle_orphans(b, opts.remove_orphans, up.timeout, existing)
    nets = {n for s in services for n in (b.project.services[s].get("networks") or {})}
    vols = {
        v["source"]
        for s in services
        for v in b.project.services[s].get("volumes") or []
        if v.get("type") == "volume" and v.get("source")
    }
    ensure_networks(b, nets)
    ensure_volumes(b, vols)
    started = converge_all(b, services, up, images, existing)
    if create_only:
        return 0
    if getattr(opts, "wait", False):
        return _wait_running(b, started, up.wait_timeout)
    if detach:
        return 0
    attach = opts.attach or [s for s in (opts.services or services) if s not in opts.no_attach]
    return _foreground(b, opts, attach, abort, exit_from)


def _wait_running(b: Backend, started: dict[str, list[str]], timeout: int | None) -> int:
    deadline = None if timeout is None else time.time() + timeout
    pending = {cid: svc for svc, ids in started.items() for cid in ids}
    while pending:
        since = time.time()
        for cid, svc in list(pending.items()):
            info = b.engine.containers.inspect(cid)
            state = info["State"]
            name = info["Name"].lstrip("/")
            health = (state.get("Health") or {}).get("Status")
            if state.get("Running") and health in (None, "healthy"):
                b.progress.container(name, "Healthy" if health else "Running")
                del pending[cid]
            elif health == "unhealthy":
                raise ComposeError(f"container {name} is unhealthy")
            elif not state.get("Running") and state.get("Status") in ("exited", "dead"):
                restart = b.project.services[svc].get("restart") in (None, "no")
                if state.get("ExitCode", 0) == 0 and restart:
                    del pending[cid]
                    continue
                raise ComposeError(f"container {name} exited ({state.get('ExitCode')})")
        if pending and deadline is not None and time.time() > deadline:
            raise ComposeError("timeout waiting for services to be running/healthy")
        if pending:
            b.next_event(pending, since, wake_at(deadline))
    return 0


def _foreground(
    b: Backend, opts: argparse.Namespace, attach: list[str], abort: bool, exit_from: str | None
) -> int:
    containers = b.containers(attach)
    labels = [service_label(c, b.name) for c in containers]
    printer = LogPrinter(labels, use_colour(opts), prefix=not opts.no_log_prefix)
    names = ", ".join(display_name(c) for c in containers)
    sys.stdout.write(f"Attaching to {names}\n")
    ended = threading.Event()
    exits: dict[str, int] = {}
    lock = threading.Lock()
    # Containers done before we attach (a dependency that had to complete) show their
    # output but end nothing.
    remaining = {c["Id"] for c in containers if c.get("State") == "running"}

    def on_end(c: dict[str, Any]) -> None:
        if c["Id"] not in remaining:
            return
        try:
            code = int(b.engine.containers.wait(c["Id"]).get("StatusCode", 0))
        except Exception:  # noqa: BLE001 - a vanished container ended too
            code = 0
        sys.stdout.write(f"{service_label(c, b.name)} exited with code {code}\n")
        with lock:
            exits[c["Labels"].get(L.SERVICE, "")] = code
            remaining.discard(c["Id"])
            if abort or not remaining:
                ended.set()

    if not remaining:
        ended.set()
    stream_logs(b, containers, printer, follow=True, timestamps=opts.timestamps, on_end=on_end)
    interrupted = False
    previous = signal.getsignal(signal.SIGINT)
    try:
        while not ended.wait(0.2):
            pass
    except KeyboardInterrupt:
        interrupted = True
        sys.stderr.write("Gracefully stopping... (press Ctrl+C again to force)\n")
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted or abort:
        if abort and not interrupted:
            sys.stderr.write("Aborting on container exit...\n")
        b.each(
            b.containers(all=False),
            lambda c: _stop(b, c, opts.timeout),
        )
    if interrupted:
        return 130
    if exit_from:
        return exits.get(exit_from, 0)
    if abort:
        return next(iter(exits.values()), 0)
    return 0


def _stop(b: Backend, c: dict[str, Any], timeout: int | None) -> None:
    name = display_name(c)
    b.progress.container(name, "Stopping")
    b.engine.containers.stop(c["Id"], timeout=timeout)
    b.progress.container(name, "Stopped")
