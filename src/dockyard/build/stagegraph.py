"""Which stages a build needs: the target and, transitively, the stages it names in FROM,
COPY/ADD --from and RUN --mount from= (BuildKit builds nothing else)."""

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


def needed_stages(stages: list[Stage], expand: Callable[[str], str]) -> set[int]:
    """Indexes of the stages the last one needs, itself included."""
    by_name = {s.name: s.index for s in stages if s.name}
    need: set[int] = set()
    todo = [stages[-1].index]
    while todo:
        idx = todo.pop()
        if idx in need:
            continue
        need.add(idx)
        for ref in stage_refs(stages[idx], expand):
            dep = by_name.get(ref)
            if dep is None and ref.isdigit() and int(ref) < len(stages):
                dep = int(ref)
            if dep is not None and dep < idx:
                todo.append(dep)
    return need
