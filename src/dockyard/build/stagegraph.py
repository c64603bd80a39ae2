"""How a build's stages depend on each other (FROM, COPY/ADD --from, RUN --mount from=):
which ones the target needs (BuildKit builds nothing else) and which can run at once."""

from __future__ import annotations

import csv
from collections.abc import Callable

from .plan import Stage


def _mount_froms(value: str) -> list[str]:
    try:
        fields = next(csv.reader([value]))
    except (csv.Error, StopIteration):
        return []
    return [f.partition("=")[2] for f in fields if f.lower().startswith("from=")]


def stage_refs(stage: Stage, expand: Callable[[str], str]) -> list[str]:
    """The names (or indexes) of other stages this stage uses."""
    refs = [expand(stage.base)]
    for inst in stage.commands:
        for name, value in inst.flag_list:
            if name == "from" and inst.cmd in ("copy", "add") and value:
                refs.append(expand(value))
            elif name == "mount" and inst.cmd == "run" and value:
                refs.extend(_mount_froms(value))
    return [r.lower() for r in refs if r]


def stage_deps(
    stages: list[Stage], expand: Callable[[str], str], replaced: frozenset[str] = frozenset()
) -> dict[int, set[int]]:
    """For each stage, the earlier stages it reads (FROM, --from, mount from=). A stage
    whose name is `replaced` (a named build context of that name, as in BuildKit) is read
    by nobody: the context stands in for it."""
    by_name = {s.name: s.index for s in stages if s.name and s.name not in replaced}
    deps: dict[int, set[int]] = {}
    for stage in stages:
        found = set()
        for ref in stage_refs(stage, expand):
            dep = by_name.get(ref)
            if dep is None and ref.isdigit() and int(ref) < len(stages):
                dep = int(ref)
            if dep is not None and dep < stage.index:
                found.add(dep)
        deps[stage.index] = found
    return deps


def needed_stages(deps: dict[int, set[int]], target: int) -> set[int]:
    """Indexes of the stages `target` needs, itself included."""
    need: set[int] = set()
    todo = [target]
    while todo:
        idx = todo.pop()
        if idx not in need:
            need.add(idx)
            todo.extend(deps[idx])
    return need
