"""Every path and method of Docker's Engine API v1.45 spec has a route (never "page not found")."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from dockyard.api.app import build_router

SPEC = Path("/work/shared/reference/docker-engine-api-v1.45.yaml")
METHODS = ("get", "post", "put", "delete", "head")


def spec_routes() -> list[tuple[str, str]]:
    paths = yaml.safe_load(SPEC.read_text())["paths"]
    return [(m.upper(), p) for p, ops in paths.items() for m in ops if m in METHODS]


def concrete(path: str) -> str:
    # Image, plugin and distribution names may hold slashes; other names are one segment.
    name = "a/b:1" if path.split("/")[1] in ("images", "plugins", "distribution") else "x1"
    return re.sub(r"\{(\w+)\}", lambda m: name if m.group(1) == "name" else "x1", path)


@pytest.mark.skipif(not SPEC.exists(), reason="the Engine API spec is not on this host")
@pytest.mark.parametrize(("method", "path"), spec_routes())
def test_spec_route_is_routed(method: str, path: str) -> None:
    router = build_router(SimpleNamespace(services={}, config=None, id="x"))  # type: ignore[arg-type]
    target = concrete(path)
    handler, _, _ = router.match(method, target)
    assert handler is not None, f"{method} {path} has no route"


def test_spec_lists_the_swarm_routes() -> None:
    # Guards the parametrisation above against reading an empty or wrong file.
    routes = set(spec_routes())
    assert len(routes) > 100
    assert ("POST", "/swarm/leave") in routes and ("GET", "/containers/{id}/attach/ws") in routes
