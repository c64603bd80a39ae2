"""Turn the results dict into the printed table (rows, ratio dockyard/Docker, goals)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Row:
    what: str
    unit: str  # "s", "ms" or "MiB"
    values: dict[str, dict | float | None]  # engine -> summary dict or plain number
    goal: float | None = None  # max ratio dockyard/docker


ENGINES = ("dockyard", "docker-cli->dockyard", "docker", "podman")


def scale(unit: str) -> float:
    return {"ms": 1000.0, "s": 1.0, "MiB": 1 / 1024}[unit]


def fmt_value(v: dict | float | None, unit: str) -> str:
    if v is None:
        return "-"
    k = scale(unit)
    if isinstance(v, dict):
        if v.get("median") is None:
            return f"FAIL x{v.get('failures', '?')}"
        text = f"{v['median'] * k:.1f} [{v['p10'] * k:.1f}-{v['p90'] * k:.1f}]"
        if v.get("failures"):
            text += f" ({v['failures']} fail)"
        return text
    return f"{v * k:.1f}"


def median_of(v: dict | float | None) -> float | None:
    if isinstance(v, dict):
        return v.get("median")
    return v


def ratio(row: Row, ours_key: str = "dockyard") -> float | None:
    ours, theirs = median_of(row.values.get(ours_key)), median_of(row.values.get("docker"))
    if ours is None or not theirs:
        return None
    return ours / theirs


def render(rows: list[Row], na: list[str]) -> str:
    head = ["scenario", "unit", *ENGINES, "dy/docker", "goal", "via-docker-cli/docker"]
    body = []
    for row in rows:
        r = ratio(row)
        goal = "-"
        if row.goal is not None:
            verdict = "n/a" if r is None else ("PASS" if r <= row.goal else "FAIL")
            goal = f"<= {row.goal:g}x {verdict}"
        body.append([
            row.what, row.unit, *(fmt_value(row.values.get(e), row.unit) for e in ENGINES),
            "-" if r is None else f"{r:.2f}x", goal, via_ratio(row),
        ])  # fmt: skip
    for name in na:
        body.append([name, "", *("n/a" for _ in ENGINES), "n/a", "-", "n/a"])
    widths = [max(len(str(line[i])) for line in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)) for line in [head, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    legend = "values: median [p10-p90] over the repetitions; memory: median of snapshots"
    return "\n".join([*lines, "", legend])


def via_ratio(row: Row) -> str:
    """dockyardd driven by the docker CLI against Docker: the daemons alone, same client."""
    r = ratio(row, "docker-cli->dockyard")
    if r is None:
        return "-"
    if row.goal is None:
        return f"{r:.2f}x"
    return f"{r:.2f}x {'PASS' if r <= row.goal else 'FAIL'}"


def goals_summary(rows: list[Row]) -> list[dict]:
    out = []
    for row in rows:
        if row.goal is None:
            continue
        r = ratio(row)
        via = ratio(row, "docker-cli->dockyard")
        out.append({"what": row.what, "ratio": r, "goal": row.goal,
                    "pass": None if r is None else r <= row.goal,
                    "ratio_via_docker_cli": via})  # fmt: skip
    return out
