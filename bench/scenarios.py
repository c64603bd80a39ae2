"""The scenarios. Each returns plain dicts (JSON-ready) keyed by engine name."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass

from engines import Engine, log
from measure import Sample, memory_of, run_counting, run_timed, summarize

IMAGE = "busybox"
SLEEPER = ["sleep", "600"]
TERM_HANDLER = ["sh", "-c", 'trap "exit 0" TERM; while true; do sleep 0.1; done']
LOG_LINE = "x" * 99  # 100 bytes a line with the newline


@dataclass
class Config:
    reps_run: int = 30
    reps_small: int = 10
    concurrency: Sequence[tuple[int, int]] = ((20, 3), (100, 2))
    log_bytes: int = 50 * 1024 * 1024
    reps_logs: int = 3
    reps_stop: int = 5

    @classmethod
    def quick(cls) -> Config:
        return cls(reps_run=8, reps_small=4, concurrency=((20, 1), (100, 1)),
                   log_bytes=10 * 1024 * 1024, reps_logs=2, reps_stop=2)  # fmt: skip


def quiet_run(engine: Engine, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        engine.argv(*args), env=engine.env, capture_output=True, timeout=timeout
    )


def rm(engine: Engine, *names: str) -> None:
    subprocess.run(engine.rm_argv(*names), env=engine.env, capture_output=True, timeout=600)


def cleanup_all(engine: Engine) -> None:
    ids = quiet_run(engine, "ps", "-aq").stdout.split()
    if ids:
        rm(engine, *[i.decode() for i in ids])


# --- 1. run --rm, sequential --------------------------------------------------------------------


def run_rm(engines: Sequence[Engine], reps: int) -> dict[str, dict]:
    """`run --rm busybox true`, engines interleaved per repetition so drift hits all alike."""
    samples = {e.name: Sample() for e in engines}
    for e in engines:  # warm-up: first run pays page cache and lazy imports
        run_timed(e.run_argv("--rm", IMAGE, "true"), e.env)
    for _ in range(reps):
        for e in engines:
            samples[e.name].add(run_timed(e.run_argv("--rm", IMAGE, "true"), e.env))
    return {name: s.summary() for name, s in samples.items()}


# --- 2. concurrent run -d -------------------------------------------------------------------


def start_concurrently(engine: Engine, n: int, prefix: str) -> tuple[float, int, list[str]]:
    """Start n `run -d` CLIs at once; wall time until all returned, failures, names."""
    names = [f"{prefix}{i}" for i in range(n)]
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            engine.run_argv("-d", "--name", name, IMAGE, *SLEEPER), env=engine.env,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        for name in names
    ]
    failures = 0
    errors = []
    for p in procs:
        try:
            _, err = p.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            p.kill()
            err = b"timeout"
        if p.returncode != 0:
            failures += 1
            errors.append(err.decode(errors="replace").strip()[-200:])
    elapsed = time.perf_counter() - start
    if errors:
        log(f"{engine.name}: {failures}/{n} run -d failed, e.g. {errors[0]}")
    return elapsed, failures, names


def count_running(engine: Engine) -> int:
    return len(quiet_run(engine, "ps", "-q").stdout.split())


def concurrent(engine: Engine, n: int, rounds: int, reps_ps: int) -> dict:
    starts, rms, ps_times = Sample(), Sample(), Sample()
    memory: list[dict] = []
    start_failures = 0
    for r in range(rounds):
        cleanup_all(engine)
        elapsed, failures, names = start_concurrently(engine, n, f"bench{n}r{r}-")
        start_failures += failures
        running = count_running(engine)
        if failures == 0 and running >= n:
            starts.values.append(elapsed)
        else:
            starts.failures += 1
            starts.errors.append(f"{failures} CLI failures, {running}/{n} running")
        time.sleep(1.0)  # let the monitors settle before reading memory
        memory.append(snapshot_memory(engine, running))
        for _ in range(reps_ps):
            ps_times.add(run_timed(engine.argv("ps", "-a"), engine.env))
        rms.add(run_timed(engine.rm_argv(*names), engine.env, timeout=600))
    return {
        "containers": n,
        "rounds": rounds,
        "start_all": starts.summary(),
        "start_cli_failures": start_failures,
        "ps_a": ps_times.summary(),
        "rm_f_all": rms.summary(),
        "memory": memory,
        "memory_median": median_memory(memory),
    }


def snapshot_memory(engine: Engine, running: int) -> dict:
    daemon = memory_of(engine.daemon_pids())
    monitors = memory_of(engine.monitor_pids())
    per = monitors["rss_kib"] / monitors["processes"] if monitors["processes"] else 0.0
    per_pss = monitors["pss_kib"] / monitors["processes"] if monitors["processes"] else 0.0
    return {
        "running": running,
        "daemon": daemon,
        "monitors": monitors,
        "monitor_rss_kib_per_container": per,
        "monitor_pss_kib_per_container": per_pss,
    }


def median_memory(snaps: list[dict]) -> dict:
    def med(key: str, sub: str | None = None) -> float | None:
        vals = [s[key][sub] if sub else s[key] for s in snaps]
        return summarize(vals)["median"]

    if not snaps:
        return {}
    return {
        "daemon_rss_kib": med("daemon", "rss_kib"),
        "daemon_pss_kib": med("daemon", "pss_kib"),
        "monitors_rss_kib": med("monitors", "rss_kib"),
        "monitor_rss_kib_per_container": med("monitor_rss_kib_per_container"),
        "monitor_pss_kib_per_container": med("monitor_pss_kib_per_container"),
    }


# --- 3. exec, logs, stop ----------------------------------------------------------------------


def exec_latency(engine: Engine, reps: int) -> dict:
    name = "bench-exec"
    rm(engine, name)
    started = subprocess.run(
        engine.run_argv("-d", "--name", name, IMAGE, *SLEEPER), env=engine.env, capture_output=True
    )
    sample = Sample()
    if started.returncode != 0:
        sample.failures, sample.errors = 1, [started.stderr.decode(errors="replace")[-300:]]
        return sample.summary()
    run_timed(engine.argv("exec", name, "true"), engine.env)  # warm-up
    for _ in range(reps):
        sample.add(run_timed(engine.argv("exec", name, "true"), engine.env))
    rm(engine, name)
    return sample.summary()


def logs_big(engine: Engine, nbytes: int, reps: int) -> dict:
    name = "bench-logs"
    rm(engine, name)
    script = f"yes {LOG_LINE} | head -c {nbytes}"
    started = subprocess.run(
        engine.run_argv("-d", "--name", name, IMAGE, "sh", "-c", script),
        env=engine.env, capture_output=True,
    )  # fmt: skip
    sample = Sample()
    got: list[int] = []
    if started.returncode == 0:
        quiet_run(engine, "wait", name, timeout=300)
        for _ in range(reps):
            timed, total = run_counting(engine.argv("logs", name), engine.env)
            got.append(total)
            if total != nbytes and timed.rc == 0:
                timed.rc = 1
                timed.err = f"logs returned {total} bytes, expected {nbytes}".encode()
            sample.add(timed)
    else:
        sample.failures, sample.errors = 1, [started.stderr.decode(errors="replace")[-300:]]
    rm(engine, name)
    daemon_after = memory_of(engine.daemon_pids())["rss_kib"]
    return {**sample.summary(), "bytes_expected": nbytes, "bytes_read": got, "daemon_rss_kib_after": daemon_after}


def stop_graceful(engine: Engine, reps: int) -> dict:
    sample = Sample()
    for i in range(reps):
        name = f"bench-stop{i}"
        rm(engine, name)
        started = subprocess.run(
            engine.run_argv("-d", "--name", name, IMAGE, *TERM_HANDLER), env=engine.env,
            capture_output=True,
        )  # fmt: skip
        if started.returncode != 0:
            sample.failures += 1
            sample.errors.append(started.stderr.decode(errors="replace")[-300:])
            continue
        time.sleep(0.5)  # the trap is installed
        sample.add(run_timed(engine.argv("stop", name), engine.env, timeout=60))
        rm(engine, name)
    return sample.summary()


# --- 4. CLI start and idle daemon memory --------------------------------------------------------


def cli_start(engines: Sequence[Engine], reps: int) -> dict[str, dict]:
    """`--version` (client only, no daemon contact) and `version --format {{.Client.Version}}`."""
    variants: dict[str, list[str]] = {}
    for e in engines:
        variants[f"{e.name} --version"] = e.argv("--version")
        if e.name != "podman":
            variants[f"{e.name} version --format"] = e.argv("version", "--format", "{{.Client.Version}}")
    env_of = {}
    for e in engines:
        for key in variants:
            if key.startswith(e.name + " "):
                env_of[key] = e.env
    samples = {k: Sample() for k in variants}
    for k, argv in variants.items():  # warm-up
        run_timed(argv, env_of[k])
    for _ in range(reps):
        for k, argv in variants.items():
            samples[k].add(run_timed(argv, env_of[k]))
    return {k: s.summary() for k, s in samples.items()}


def idle_memory(engine: Engine) -> dict:
    return memory_of(engine.daemon_pids())
