"""Independent stages built at the same time (BuildKit's solver does so): each stage runs
in a thread once the stages it reads are built. The stream still reads as if the stages
ran in order: a stage's messages wait until every earlier stage is done. The first stage
to fail stops the others, as BuildKit's solver does (their running RUN is killed and its
container removed), and its error (a RUN's exit code) is the build's, reported after the
output it held back."""

from __future__ import annotations

import threading
from typing import Any

from .plan import Stage


class _DependencyFailed(Exception):
    pass


def _closures(deps: dict[int, set[int]]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for idx in sorted(deps):
        found = set(deps[idx])
        for dep in deps[idx]:
            found |= out.get(dep, set())
        out[idx] = found
    return out


class ParallelStages:
    """Builder's stage scheduler."""

    stages: list[Stage]
    deps: dict[int, set[int]]

    def run_stages(self) -> None:
        stages = [s for s in self.stages if not s.skipped]
        closure = _closures(self.deps)
        independent = any(
            a.index not in closure.get(b.index, set())
            for i, a in enumerate(stages)
            for b in stages[i + 1 :]
        )
        if not independent:
            for stage in stages:
                self.run_stage(stage)
            return
        _Schedule(self, stages).run()


class _Schedule:
    def __init__(self, builder: Any, stages: list[Stage]) -> None:
        self.b = builder
        self.stages = stages
        self.order = [s.index for s in stages]
        self.lock = threading.Lock()
        self.head = 0  # position in `order` of the stage whose messages go out live
        self.buffers: dict[int, list[dict[str, Any]]] = {i: [] for i in self.order}
        self.finished: set[int] = set()
        self.failed: dict[int, BaseException] = {}
        self.done = {i: threading.Event() for i in self.order}
        self.offsets: dict[int, int] = {}
        self.root: tuple[int, BaseException] | None = None  # the failure that stopped all
        step = builder.step
        for s in stages:
            self.offsets[s.index] = step
            step += 1 + len(s.commands)

    def run(self) -> None:
        threads = [
            threading.Thread(target=self._worker, args=(s,), name=f"build-stage-{s.index}")
            for s in self.stages
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if self.root is not None:
            idx, exc = self.root
            with self.lock:
                for msg in self.buffers[idx]:  # the failing step's output, held back
                    self.b.write_message(msg)
                self.buffers[idx].clear()
            raise exc

    def _sink(self, idx: int) -> Any:
        def sink(msg: dict[str, Any]) -> None:
            with self.lock:
                if self.head < len(self.order) and self.order[self.head] == idx:
                    self.b.write_message(msg)
                else:
                    self.buffers[idx].append(msg)

        return sink

    def _advance(self) -> None:
        """Under the lock: pass the live stream on to the next stage in order, writing
        what it held back; stop at a failed stage (nothing after it is shown)."""
        while self.head < len(self.order):
            idx = self.order[self.head]
            if idx not in self.finished or idx in self.failed:
                return
            self.head += 1
            if self.head < len(self.order):
                nxt = self.order[self.head]
                for msg in self.buffers[nxt]:
                    self.b.write_message(msg)
                self.buffers[nxt].clear()

    def _worker(self, stage: Stage) -> None:
        tl = self.b._tl
        tl.sink = self._sink(stage.index)
        tl.step = self.offsets[stage.index]
        try:
            for dep in self.b.deps.get(stage.index, set()):
                if dep in self.done:
                    self.done[dep].wait()
                    if dep in self.failed:
                        raise _DependencyFailed
            self.b.run_stage(stage)
        except BaseException as exc:  # reported by run()
            with self.lock:
                self.failed[stage.index] = exc
                if self.root is None and not isinstance(exc, _DependencyFailed):
                    self.root = (stage.index, exc)
                    self.b.cancelled.set()  # stop the stages still running
        finally:
            with self.lock:
                self.finished.add(stage.index)
                self._advance()
            self.done[stage.index].set()
