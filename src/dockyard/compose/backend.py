"""What every command shares: the project, the typed Engine API client, progress output,
and the queries that find a project's containers, networks and volumes by their labels."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from ..client.api import APIError, Client, DaemonUnreachable
from ..client.engine import Engine
from . import labels as L
from .errors import ComposeError
from .progress import Progress
from .project import Project

T = TypeVar("T")

DEFAULT_HOST = "unix:///run/dockyard.sock"


def docker_host() -> str:
    """DOCKYARD_HOST, then DOCKER_HOST (a docker CLI plugin gets the CLI's), then ours."""
    host = os.environ.get("DOCKYARD_HOST") or os.environ.get("DOCKER_HOST") or DEFAULT_HOST
    return host if "://" in host else "unix://" + host


class Backend:
    def __init__(
        self,
        project: Project | None,
        progress: Progress | None = None,
        parallel: int = -1,
        engine: Engine | None = None,
    ) -> None:
        self._project = project
        self.engine = engine or Engine(Client(docker_host()))
        self.progress = progress or Progress()
        self.parallel = parallel

    @property
    def project(self) -> Project:
        assert self._project is not None, "this command needs a project"
        return self._project

    @property
    def name(self) -> str:
        return self.project.name

    # --- running work in parallel -----------------------------------------------------------

    def each(self, items: Iterable[T], fn: Callable[[T], Any]) -> list[Any]:
        """fn over items in parallel (--parallel bounds it), claimed in order; the first
        item's error is raised once all are done. Plain threads: concurrent.futures would
        import logging, a cost every compose command paid at start."""
        items = list(items)
        if len(items) <= 1:
            return [fn(item) for item in items]
        workers = len(items) if self.parallel is None or self.parallel < 1 else self.parallel
        results: list[Any] = [None] * len(items)
        errors: list[BaseException | None] = [None] * len(items)
        claim = iter(range(len(items)))
        lock = threading.Lock()

        def work() -> None:
            while True:
                with lock:
                    i = next(claim, None)
                if i is None:
                    return
                try:
                    results[i] = fn(items[i])
                except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread
                    errors[i] = exc

        threads = [threading.Thread(target=work, daemon=True) for _ in range(min(workers, 32))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for exc in errors:
            if exc is not None:
                raise exc
        return results

    # --- containers ---------------------------------------------------------------------------

    def containers(
        self,
        services: Iterable[str] | None = None,
        all: bool = True,
        oneoff: bool | None = False,
    ) -> list[dict[str, Any]]:
        """The project's containers (list summaries), by service then number."""
        found = self.api(
            lambda: self.engine.containers.list(
                all=all, filters=L.project_filter(self.name, oneoff=oneoff)
            ),
            "list containers",
        )
        wanted = set(services) if services is not None else None
        out = [
            c for c in found if wanted is None or (c.get("Labels") or {}).get(L.SERVICE) in wanted
        ]
        return sorted(out, key=lambda c: (c["Labels"].get(L.SERVICE, ""), L.container_number(c)))

    def service_containers(self, service: str, all: bool = True) -> list[dict[str, Any]]:
        return self.containers([service], all=all)

    def container_of(self, service: str) -> str:
        """A container of `service` (for links, volumes_from, network_mode: service:x)."""
        found = self.service_containers(service)
        if not found:
            raise ComposeError(f"service {service!r} has no container")
        return display_name(found[0])

    def next_event(self, container_ids: Iterable[str], since: float, until: float) -> None:
        """Block until one of the containers has an event (health status, die, ...) at or
        after `since` (so one between a caller's inspect and this call is not missed), or
        until `until`: state waits react at once instead of polling."""
        stream = self.api(
            lambda: self.engine.system.events(
                since=f"{since:.9f}",
                until=f"{until:.9f}",
                filters={"container": list(container_ids)},
            ),
            "events",
        )
        try:
            next(stream, None)
        finally:
            stream.close()

    def check_services(self, names: Iterable[str]) -> list[str]:
        names = list(names)
        for name in names:
            if name not in self.project.services:
                raise ComposeError(f"no such service: {name}")
        return names

    def api(self, fn: Callable[[], T], what: str) -> T:
        """Call the daemon; its refusal becomes a ComposeError naming `what`."""
        try:
            return fn()
        except APIError as exc:
            raise ComposeError(f"{what}: {exc.message}") from None
        except DaemonUnreachable as exc:
            raise ComposeError(
                f"Cannot connect to the Docker daemon at {docker_host()}. "
                f"Is the docker daemon running? ({exc})"
            ) from None


def display_name(container: dict[str, Any]) -> str:
    names = container.get("Names") or [container.get("Name", "")]
    return names[0].lstrip("/") if names else container.get("Id", "")[:12]
