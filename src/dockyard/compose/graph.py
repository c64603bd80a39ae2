"""The depends_on graph: cycle detection and dependency order (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .errors import ComposeError


def check_cycles(deps: Mapping[str, Iterable[str]]) -> None:
    """Raise "dependency cycle detected: a -> b -> a" as Compose does."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for dep in deps.get(node, ()):
            if dep not in deps:
                continue
            if state.get(dep) == 1:
                cycle = path[path.index(dep) :] + [dep]
                raise ComposeError(f"dependency cycle detected: {' -> '.join(cycle)}")
            if dep not in state:
                visit(dep)
        path.pop()
        state[node] = 2

    for node in sorted(deps):
        if node not in state:
            visit(node)


def levels(deps: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Services grouped so each group depends only on earlier groups (start order)."""
    remaining = {n: {d for d in ds if d in deps} for n, ds in deps.items()}
    out: list[list[str]] = []
    while remaining:
        ready = sorted(n for n, ds in remaining.items() if not ds)
        if not ready:
            check_cycles(remaining)
            raise ComposeError("dependency cycle detected")
        out.append(ready)
        for n in ready:
            del remaining[n]
        for ds in remaining.values():
            ds.difference_update(ready)
    return out


def order(deps: Mapping[str, Iterable[str]]) -> list[str]:
    return [n for level in levels(deps) for n in level]


def with_dependencies(deps: Mapping[str, Iterable[str]], roots: Iterable[str]) -> set[str]:
    """`roots` and everything they depend on, transitively."""
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(deps.get(node, ()))
    return seen


def dependents(deps: Mapping[str, Iterable[str]], roots: Iterable[str]) -> set[str]:
    """`roots` and every service that depends on them, transitively."""
    reverse: dict[str, set[str]] = {}
    for node, ds in deps.items():
        for d in ds:
            reverse.setdefault(d, set()).add(node)
    return with_dependencies(reverse, roots)
