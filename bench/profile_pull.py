"""Where the time of a pull goes: py-spy on a private dockyardd while it pulls the
bench's random-data image (bigimage.py) and mysql from a private registry, cold store.

    .venv/bin/python bench/profile_pull.py [--big-mib 600]

Two recordings per image, as profile_run.py makes them: on-CPU (idle threads left out)
and wall clock (every thread, waiting included). Summary (self and inclusive time per
function, in ms of that one pull) in bench/results/profile-pull-top.txt; raw collapsed
stacks beside it (profile-pull-<image>-<cpu|wall>.txt, for flamegraph tools).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("BENCH_TAG", "prof-")

import bench_distribution as bd  # noqa: E402
from engines import REPO, Dockyard, log  # noqa: E402
from measure import cpu_seconds, run_timed  # noqa: E402
from profile_run import RATE, py_spy, render, summarise  # noqa: E402
from testing.registry_server import RegistryServer  # noqa: E402

RESULTS = REPO / "bench" / "results"


def profiled_pull(engine: Dockyard, target: str, raw: Path, idle: bool) -> dict:
    spy = py_spy()
    if spy is None:
        return {"error": "py-spy not installed (pip install py-spy into .venv)"}
    pid = engine.daemon_main_pid()
    assert pid is not None
    bd.remove_all_images(engine)
    argv = [spy, "record", "--pid", str(pid), "--rate", str(RATE), "--format", "raw",
            "--output", str(raw), "--nonblocking", *(["--idle"] if idle else [])]  # fmt: skip
    recorder = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    cpu0 = cpu_seconds(pid)
    t = run_timed(engine.argv("pull", target), engine.env, timeout=1800)
    cpu = cpu_seconds(pid) - cpu0
    recorder.send_signal(signal.SIGINT)
    _, err = recorder.communicate(timeout=120)
    if t.rc != 0:
        return {"error": f"pull failed: {t.err.decode(errors='replace')[-500:]}"}
    if not raw.exists():
        return {"error": f"py-spy failed: {err.decode(errors='replace')[-500:]}"}
    return {"runs": 1, "pull_s": t.seconds, "daemon_cpu_ms_per_run": 1000 * cpu,
            **summarise(raw, RATE, 1, drop_idle=idle)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--big-mib", type=int, default=600)
    args = ap.parse_args()
    images = bd.images_to_bench(args.big_mib)
    engine = Dockyard()
    work = Path("/tmp/bench-profile-pull")
    shutil.rmtree(work, ignore_errors=True)
    reg = None
    out: dict = {}
    text = []
    try:
        engine.start()
        reg = RegistryServer(work / "registry").start()
        remote = bd.fill_source(engine, images, reg)
        for label, target in remote.items():
            slug = label.split()[0]
            for idle, key in ((False, "cpu"), (True, "wall")):
                log(f"pull {label}, {key} profile")
                raw = RESULTS / f"profile-pull-{slug}-{key}.txt"
                got = profiled_pull(engine, target, raw, idle)
                out[f"{slug}-{key}"] = got
                pull_s = got.get("pull_s")
                title = f"dockyardd {key} profile, pull {label}" + (
                    f" ({pull_s:.1f} s)" if pull_s else ""
                )
                text.append(render(got, title))
    finally:
        if reg is not None:
            reg.stop()
        engine.stop()
        shutil.rmtree(work, ignore_errors=True)
    (RESULTS / "profile-pull-top.txt").write_text("\n".join(text))
    (RESULTS / "profile-pull.json").write_text(json.dumps(out, indent=2))
    print("\n".join(text))


if __name__ == "__main__":
    main()
