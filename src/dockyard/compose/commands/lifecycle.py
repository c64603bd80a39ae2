"""`compose start|stop|restart|kill|pause|unpause`: one action on each container of the
services named (all by default), in dependency order (reversed for stopping)."""

from __future__ import annotations

import argparse
from typing import Any

from .. import graph
from .. import labels as L
from ..backend import Backend, display_name
from .common import add_services, add_timeout, backend

_WORDS = {
    "start": ("Starting", "Started"),
    "stop": ("Stopping", "Stopped"),
    "restart": ("Restarting", "Started"),
    "kill": ("Killing", "Killed"),
    "pause": ("Pausing", "Paused"),
    "unpause": ("Unpausing", "Unpaused"),
}


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    add_services(parser)
    if command in ("stop", "restart"):
        add_timeout(parser)
    if command == "restart":
        parser.add_argument("--no-deps", action="store_true")
    if command == "kill":
        parser.add_argument("-s", "--signal", default="SIGKILL")
        parser.add_argument("--remove-orphans", action="store_true")


def _applies(command: str, c: dict[str, Any]) -> bool:
    state = c.get("State")
    if command == "start":
        return state in ("created", "exited")
    if command == "unpause":
        return state == "paused"
    if command in ("stop", "kill", "pause"):
        return state in ("running", "restarting") or (command != "pause" and state == "paused")
    return True


def _act(b: Backend, command: str, c: dict[str, Any], opts: argparse.Namespace) -> None:
    ing, done = _WORDS[command]
    name = display_name(c)
    b.progress.container(name, ing)
    api = b.engine.containers
    actions = {
        "start": lambda: api.start(c["Id"]),
        "stop": lambda: api.stop(c["Id"], timeout=opts.timeout),
        "restart": lambda: api.restart(c["Id"], timeout=opts.timeout),
        "kill": lambda: api.kill(c["Id"], signal=opts.signal),
        "pause": lambda: api.pause(c["Id"]),
        "unpause": lambda: api.unpause(c["Id"]),
    }
    b.api(actions[command], f"Error response from daemon: {command} {name}")
    b.progress.container(name, done)


def run(opts: argparse.Namespace) -> int:
    b = backend(opts)
    command = opts.command
    b.check_services(opts.services)
    deps = {n: list(s.get("depends_on") or {}) for n, s in b.project.services.items()}
    levels = graph.levels(deps)
    if command in ("stop", "kill", "pause"):
        levels.reverse()
    wanted = set(opts.services) if opts.services else None
    containers = b.containers(opts.services or None)
    if command == "start" and not containers and opts.services:
        from ..errors import ComposeError

        raise ComposeError("service " + opts.services[0] + " has no container to start")
    for level in levels:
        batch = [
            c
            for c in containers
            if c["Labels"].get(L.SERVICE) in level
            and (wanted is None or c["Labels"].get(L.SERVICE) in wanted)
            and _applies(command, c)
        ]
        b.each(batch, lambda c: _act(b, command, c, opts))
    return 0
