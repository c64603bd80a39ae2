"""`up`/`create`: bring each service's containers to what the file asks, in dependency order.

A container whose config hash (and image) still matches is kept; a changed one is
recreated, keeping its anonymous volumes; `--scale`/`replicas` add or remove the highest
numbers. Independent services converge in parallel; a service starts once its
dependencies meet their `depends_on` condition. When a step fails, what this run created
and left unusable is removed again, and the failing service is named.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from typing import Any

from ..client.api import APIError
from . import graph
from . import labels as L
from .backend import Backend, display_name
from .confighash import config_hash
from .containerspec import container_name, create_body, endpoint, network_order
from .errors import ComposeError

_ANON = re.compile(r"^[0-9a-f]{64}$")


class UpOptions:
    def __init__(
        self,
        services: list[str] | None = None,
        no_deps: bool = False,
        force_recreate: bool = False,
        no_recreate: bool = False,
        scale: dict[str, int] | None = None,
        remove_orphans: bool = False,
        timeout: int | None = None,
        start: bool = True,
        wait_timeout: float | None = None,
    ) -> None:
        self.services = services if services is not None else []
        self.no_deps = no_deps
        self.force_recreate = force_recreate
        self.no_recreate = no_recreate
        self.scale = scale if scale is not None else {}
        self.remove_orphans = remove_orphans
        self.timeout = timeout
        self.start = start
        self.wait_timeout = wait_timeout


class Created:
    """What this run made, to undo it if the run fails."""

    def __init__(self) -> None:
        self.containers: list[str] = []
        self.names: dict[str, str] = {}
        self.lock = threading.Lock()

    def add(self, container_id: str, name: str) -> None:
        with self.lock:
            self.containers.append(container_id)
            self.names[container_id] = name


def dependencies(b: Backend) -> dict[str, list[str]]:
    return {n: list(s.get("depends_on") or {}) for n, s in b.project.services.items()}


def targets(b: Backend, services: list[str], no_deps: bool) -> list[str]:
    """The services an `up SERVICE...` touches: those named and what they depend on."""
    b.check_services(services)
    if not services:
        return list(b.project.services)
    if no_deps:
        return services
    return sorted(graph.with_dependencies(dependencies(b), services))


def scale_of(b: Backend, service: str, opts: UpOptions) -> int:
    if service in opts.scale:
        return opts.scale[service]
    svc = b.project.services[service]
    if svc.get("scale") is not None:
        return int(svc["scale"])
    replicas = (svc.get("deploy") or {}).get("replicas")
    return int(replicas) if replicas is not None else 1


def check_ports(b: Backend, services: list[str], opts: UpOptions) -> None:
    """Two services of the project publishing the same host port: refused up front."""
    seen: dict[tuple[str, str, str], str] = {}
    for name in services:
        for port in b.project.services[name].get("ports") or []:
            published = str(port.get("published") or "")
            if not published or "-" in published:
                continue
            key = (port.get("host_ip") or "0.0.0.0", published, port.get("protocol", "tcp"))
            if scale_of(b, name, opts) > 1:
                raise ComposeError(
                    f'service "{name}" publishes host port {published} and cannot be scaled '
                    "beyond one container"
                )
            if key in seen and seen[key] != name:
                raise ComposeError(
                    f"port is already allocated: services {seen[key]!r} and {name!r} both "
                    f"publish {key[0]}:{published}/{key[2]}"
                )
            seen[key] = name


def orphans(b: Backend, containers: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The project's containers of services the file no longer has (one-offs aside);
    `containers`, the project's list when the caller has it, saves a round trip."""
    known = set(b.project.services) | set(b.project.disabled)
    if containers is None:
        containers = b.containers()
    return [
        c
        for c in containers
        if c["Labels"].get(L.SERVICE) not in known and c["Labels"].get(L.ONEOFF) == "False"
    ]


def handle_orphans(
    b: Backend,
    remove: bool,
    timeout: int | None,
    containers: list[dict[str, Any]] | None = None,
) -> None:
    found = orphans(b, containers)
    if not found:
        return
    if remove:
        for c in found:
            stop_and_remove(b, c, timeout, volumes=False)
        return
    names = ", ".join(display_name(c) for c in found)
    b.progress.warn(
        f"Found orphan containers ([{names}]) for this project. If you removed or renamed "
        "this service in your compose file, you can run this command with the "
        "--remove-orphans flag to clean it up."
    )


def stop_and_remove(
    b: Backend, c: dict[str, Any], timeout: int | None, volumes: bool = False
) -> None:
    name = display_name(c)
    anonymous = anonymous_volumes(b, c["Id"]) if volumes else {}
    if c.get("State") in ("running", "paused", "restarting"):
        b.progress.container(name, "Stopping")
        b.api(lambda: b.engine.containers.stop(c["Id"], timeout=timeout), f"stop {name}")
        b.progress.container(name, "Stopped")
    b.progress.container(name, "Removing")
    try:
        b.engine.containers.remove(c["Id"], force=True, volumes=volumes)
    except APIError as exc:
        if exc.status != 404:
            raise ComposeError(f"remove {name}: {exc.message}") from None
    remove_volumes_named(b, anonymous.values())
    b.progress.container(name, "Removed")


def anonymous_volumes(b: Backend, container_id: str) -> dict[str, str]:
    """Target -> name of the container's anonymous volumes (64 hex digits, no name given)."""
    try:
        info = b.engine.containers.inspect(container_id)
    except APIError:
        return {}
    return {
        m["Destination"]: m["Name"]
        for m in info.get("Mounts") or []
        if m.get("Type") == "volume" and _ANON.match(m.get("Name", ""))
    }


def remove_volumes_named(b: Backend, names: Iterable[str]) -> None:
    """Anonymous volumes a recreated container took over are named in its Mounts, so the
    daemon's `rm -v` keeps them: remove them explicitly (one still in use stays)."""
    for name in names:
        try:
            b.engine.volumes.remove(name)
        except APIError:
            pass


class Converger:
    def __init__(
        self,
        b: Backend,
        opts: UpOptions,
        images: dict[str, str],
        created: Created,
        containers: list[dict[str, Any]] | None = None,
    ) -> None:
        self.b = b
        self.opts = opts
        self.images = images
        self.created = created
        self.first: dict[str, str] = {}  # service -> its first container's name, once converged
        # one list call for the whole run instead of one per service (the caller's, if given)
        self.existing: dict[str, list[dict[str, Any]]] = {}
        for c in b.containers() if containers is None else containers:
            self.existing.setdefault(c["Labels"].get(L.SERVICE, ""), []).append(c)

    # --- one service ------------------------------------------------------------------------

    def converge(self, service: str) -> list[str]:
        """Create/recreate/remove containers of `service`; returns the IDs it should run."""
        b, opts = self.b, self.opts
        svc = b.project.services[service]
        want = scale_of(b, service, opts)
        if svc.get("container_name") and want > 1:
            raise ComposeError(
                f'service "{service}" has container_name and cannot be scaled beyond one container'
            )
        existing = self.existing.get(service, [])
        expected = config_hash(svc)
        keep: list[str] = []
        used: set[int] = set()
        named: list[tuple[int, str]] = []
        for c in existing[want:]:
            stop_and_remove(b, c, opts.timeout)
        for c in existing[:want]:
            number = L.container_number(c) or self._free_number(used)
            used.add(number)
            stale = (
                c["Labels"].get(L.CONFIG_HASH) != expected
                or c["Labels"].get(L.IMAGE, self.images[service]) != self.images[service]
            )
            if opts.force_recreate or (stale and not opts.no_recreate):
                keep.append(self.recreate(service, c, number))
                named.append((number, container_name(b.project, service, number)))
            else:
                keep.append(c["Id"])
                named.append((number, display_name(c)))
                if c.get("State") == "running":
                    b.progress.container(display_name(c), "Running")
        while len(keep) < want:
            number = self._free_number(used)
            used.add(number)
            keep.append(self.create(service, number))
            named.append((number, container_name(b.project, service, number)))
        if named:
            self.first[service] = min(named)[1]
        return keep

    def container_of(self, service: str) -> str:
        """A container of `service` for links & co.: the first one this run converged, else
        the daemon's list."""
        return self.first.get(service) or self.b.container_of(service)

    @staticmethod
    def _free_number(used: set[int]) -> int:
        n = 1
        while n in used:
            n += 1
        return n

    def create(self, service: str, number: int, anonymous: dict[str, str] | None = None) -> str:
        b = self.b
        name = container_name(b.project, service, number)
        b.progress.container(name, "Creating")
        body = create_body(
            b.project, service, number, self.images[service], self.container_of, anonymous=anonymous
        )
        result = b.api(
            lambda: b.engine.containers.create(body, name=name),
            f'Error response from daemon: service "{service}"',
        )
        cid = result["Id"]
        self.created.add(cid, name)
        svc = b.project.services[service]
        if not svc.get("network_mode"):
            for net in network_order(svc)[1:]:
                full = b.project.networks[net]["name"]
                b.api(
                    lambda full=full, net=net: b.engine.networks.connect(
                        full, cid, endpoint(b.project, service, net, [])
                    ),
                    f'service "{service}": connect to network {full}',
                )
        b.progress.container(name, "Created")
        return cid

    def recreate(self, service: str, old: dict[str, Any], number: int) -> str:
        b = self.b
        old_name = display_name(old)
        b.progress.container(old_name, "Recreate")
        anonymous = anonymous_volumes(b, old["Id"])
        if old.get("State") in ("running", "paused", "restarting"):
            b.api(
                lambda: b.engine.containers.stop(old["Id"], timeout=self.opts.timeout),
                f"stop {old_name}",
            )
        b.api(lambda: b.engine.containers.remove(old["Id"], force=True), f"remove {old_name}")
        cid = self.create(service, number, anonymous)
        b.progress.container(old_name, "Recreated")
        return cid

    def start(self, service: str, ids: list[str]) -> None:
        b = self.b
        for cid in ids:
            name = self.created.names.get(cid, "")
            if not name:  # not made by this run: it may be running already
                info = b.api(lambda cid=cid: b.engine.containers.inspect(cid), f"inspect {cid}")
                name = info["Name"].lstrip("/")
                if info["State"].get("Running"):
                    continue
            b.progress.container(name, "Starting")
            b.api(
                lambda cid=cid: b.engine.containers.start(cid),
                f'Error response from daemon: failed to start service "{service}" ({name})',
            )
            b.progress.container(name, "Started")

    # --- waiting on dependencies ----------------------------------------------------------

    def wait_for(self, service: str) -> None:
        deps = self.b.project.services[service].get("depends_on") or {}
        for dep, spec in deps.items():
            if dep not in self.b.project.services:
                continue
            condition = spec.get("condition", "service_started")
            if condition == "service_healthy":
                self.wait_healthy(dep, spec.get("required", True))
            elif condition == "service_completed_successfully":
                self.wait_completed(dep, spec.get("required", True))

    def wait_healthy(self, service: str, required: bool = True) -> None:
        b = self.b
        deadline = None if self.opts.wait_timeout is None else time.time() + self.opts.wait_timeout
        for c in b.service_containers(service):
            name = display_name(c)
            b.progress.container(name, "Waiting")
            while True:
                since = time.time()
                state = b.api(lambda c=c: b.engine.containers.inspect(c["Id"]), name)["State"]
                health = (state.get("Health") or {}).get("Status")
                if health is None:
                    raise ComposeError(f"container {name} has no healthcheck configured")
                if health == "healthy":
                    break
                if health == "unhealthy" or not state.get("Running"):
                    if not required:
                        break
                    raise ComposeError(f"dependency failed to start: container {name} is unhealthy")
                if deadline is not None and time.time() > deadline:
                    raise ComposeError(f"timeout waiting for {name} to be healthy")
                b.next_event([c["Id"]], since, wake_at(deadline))
            b.progress.container(name, "Healthy")

    def wait_completed(self, service: str, required: bool = True) -> None:
        b = self.b
        for c in b.service_containers(service):
            name = display_name(c)
            b.progress.container(name, "Waiting")
            result = b.api(lambda c=c: b.engine.containers.wait(c["Id"]), name)
            code = int(result.get("StatusCode", 0))
            if code != 0 and required:
                raise ComposeError(
                    f'service "{service}" didn\'t complete successfully: exit {code}'
                )
            b.progress.container(name, "Exited")


def wake_at(deadline: float | None) -> float:
    """When a wait for an event looks at the state again anyway: the deadline, or a few
    seconds from now (a missed event costs that much, never a hang)."""
    soon = time.time() + 5
    return soon if deadline is None else min(deadline, soon)


def converge_all(
    b: Backend,
    services: list[str],
    opts: UpOptions,
    images: dict[str, str],
    containers: list[dict[str, Any]] | None = None,
) -> dict[str, list[str]]:
    """Converge (and start, unless opts.start is False) `services`: each one as soon as its
    own dependencies allow, independent ones in parallel. `containers`: the project's
    (non one-off) containers, when the caller listed them already."""
    created = Created()
    conv = Converger(b, opts, images, created, containers)
    deps = dependencies(b)
    scoped = {n: [d for d in deps[n] if d in services] for n in services}
    made = {n: threading.Event() for n in services}
    ready = {n: threading.Event() for n in services}
    failed: list[ServiceFailed] = []
    result: dict[str, list[str]] = {}

    def one(service: str) -> None:
        # As Compose v2: a service's containers are created once its dependencies' are (links
        # and volumes_from name them), and started once theirs have started and met their
        # condition; so creating never waits for another service's start.
        try:
            for dep in scoped[service]:
                made[dep].wait()
            if failed:
                return
            ids = conv.converge(service)
            made[service].set()
            if opts.start:
                for dep in scoped[service]:
                    ready[dep].wait()
                if failed:
                    return
                conv.wait_for(service)
                conv.start(service, ids)
            result[service] = ids
        except ComposeError as exc:
            failed.append(ServiceFailed(service, str(exc)))
        finally:
            made[service].set()
            ready[service].set()

    # dependencies first in the submission order, so a worker that waits never blocks the
    # one it waits for
    b.each(graph.order(scoped), one)
    if failed:
        rollback(b, created)
        raise ComposeError(failed[0].message)
    return result


class ServiceFailed(Exception):
    def __init__(self, service: str, message: str) -> None:
        super().__init__(message)
        self.service = service
        self.message = message if service in message else f"service {service!r}: {message}"


def rollback(b: Backend, created: Created) -> None:
    """Remove containers this run created that are not running (with their anonymous
    volumes); then, if the project has no container left, its networks."""
    for cid in created.containers:
        try:
            info = b.engine.containers.inspect(cid)
        except APIError:
            continue
        if not info["State"].get("Running"):
            anonymous = anonymous_volumes(b, cid)
            try:
                b.engine.containers.remove(cid, force=True, volumes=True)
            except APIError:
                pass
            remove_volumes_named(b, anonymous.values())
    if not b.containers():
        from .resources import remove_networks

        remove_networks(b)
