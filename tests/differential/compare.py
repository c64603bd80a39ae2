"""What two runs of one step must share: exit code, stderr text, and the shape of stdout
(see model.py for the checks). Each difference is one line of text, matched against the
allow-list."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from model import Step


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


_MASKS = (
    (re.compile(r"sha256:[0-9a-f]{64}"), "sha256:<id>"),
    (re.compile(r"\b[0-9a-f]{64}\b"), "<id>"),
    (re.compile(r"\b[0-9a-f]{12}\b"), "<id>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)"), "<time>"),
)


def normalise(text: str, names: dict[str, str]) -> str:
    """Mask what differs from run to run: the run's own names, IDs, times; our program's name
    (`dockyard` where Docker says `docker`) is the one wording difference kept everywhere."""
    for value, mask in names.items():
        if value:
            text = text.replace(value, mask)
    for pattern, mask in _MASKS:
        text = pattern.sub(mask, text)
    return text.replace("dockyard", "docker")


def differences(step: Step, ref: Outcome, got: Outcome) -> list[str]:
    diffs = []
    if ref.code != got.code:
        diffs.append(f"exit code: Docker {ref.code}, here {got.code}")
    if "Traceback (most recent call last)" in got.stderr:
        diffs.append("traceback: " + got.stderr.strip().splitlines()[-1])
    elif ref.stderr.strip() != got.stderr.strip():
        diffs.append(f"stderr: Docker {ref.stderr.strip()!r}, here {got.stderr.strip()!r}")
    if ref.code != 0 and got.code != 0 and step.check != "exact":
        return diffs  # a failing command's stdout is not what the check describes
    diffs += _STDOUT[step.check](ref.stdout, got.stdout)
    return diffs


def _exact(ref: str, got: str) -> list[str]:
    return [] if ref == got else [f"stdout: Docker {ref!r}, here {got!r}"]


_CELL = re.compile(r" {2,}|\t")


def _cells(line: str) -> list[str]:
    return _CELL.split(line.strip())


def _table(ref: str, got: str) -> list[str]:
    r, g = ref.splitlines(), got.splitlines()
    if not r or not g:
        return _lines(ref, got)
    diffs = []
    if _cells(r[0]) != _cells(g[0]):
        diffs.append(f"table header: Docker {_cells(r[0])}, here {_cells(g[0])}")
    if len(r) != len(g):
        diffs.append(f"table rows: Docker {len(r) - 1}, here {len(g) - 1}")
    for i, (a, b) in enumerate(zip(r[1:], g[1:], strict=False), 1):
        if len(_cells(a)) != len(_cells(b)):
            diffs.append(f"table row {i} cells: Docker {_cells(a)}, here {_cells(b)}")
    return diffs


def _lines(ref: str, got: str) -> list[str]:
    r, g = len(ref.splitlines()), len(got.splitlines())
    return [] if r == g else [f"stdout lines: Docker {r}, here {g}"]


def _load(text: str) -> tuple[Any, str | None]:
    try:
        return json.loads(text), None
    except ValueError as e:
        return None, f"not JSON ({e}): {text[:120]!r}"


def _json(ref: str, got: str) -> list[str]:
    r, err_r = _load(ref)
    g, err_g = _load(got)
    if err_r:
        return [] if err_g else [f"stdout: Docker {err_r}"]
    if err_g:
        return [f"stdout: {err_g}"]
    return shape_differences(r, g, "")


def _jsonl(ref: str, got: str) -> list[str]:
    diffs = _lines(ref, got)
    for r, g in zip(ref.splitlines(), got.splitlines(), strict=False):
        diffs += _json(r, g)
    return list(dict.fromkeys(diffs))


def _none(ref: str, got: str) -> list[str]:
    return []


_STDOUT = {"exact": _exact, "table": _table, "json": _json, "jsonl": _jsonl, "lines": _lines, "none": _none}


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    return {str: "string", list: "list", dict: "object"}[type(v)]


_ID_KEY = re.compile(r"^[0-9a-f]{64}$")


def _key(k: str) -> str:
    return "<id>" if _ID_KEY.match(k) else k


def shape_differences(ref: Any, got: Any, path: str) -> list[str]:
    """Key sets and value types, recursively; list elements pairwise."""
    kr, kg = _kind(ref), _kind(got)
    if kr != kg:
        return [f"json {path or '.'}: Docker {kr}, here {kg}"]
    if kr == "object":
        r = {_key(k): v for k, v in ref.items()}
        g = {_key(k): v for k, v in got.items()}
        diffs = [f"json {path}.{k}: missing here" for k in r.keys() - g.keys()]
        diffs += [f"json {path}.{k}: not in Docker's" for k in g.keys() - r.keys()]
        for k in sorted(r.keys() & g.keys()):
            diffs += shape_differences(r[k], g[k], f"{path}.{k}")
        return sorted(diffs)
    if kr == "list":
        diffs = []
        if len(ref) != len(got) and any(isinstance(x, (dict, list)) for x in (*ref, *got)):
            diffs.append(f"json {path}: Docker {len(ref)} items, here {len(got)}")
        for i, (a, b) in enumerate(zip(ref, got, strict=False)):
            diffs += shape_differences(a, b, f"{path}[{i}]")
        return diffs
    return []
