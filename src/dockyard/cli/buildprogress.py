"""`build --progress=plain`: the classic builder's step stream shown as BuildKit's plain
progress (`#5 [2/3] RUN ...`, output lines with their time, `CACHED`, `DONE 0.4s`)."""

from __future__ import annotations

import re
import time
from typing import TextIO

_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
_QUIET = re.compile(r"^ ---> (Running in |Removed intermediate container |[0-9a-f]{12}$|$)")


class PlainProgress:
    """A text sink for display_stream that rewrites its lines as BuildKit's plain mode."""

    def __init__(self, out: TextIO, dockerfile: str = "", name: str = "Dockerfile") -> None:
        self.out = out
        self.lines = dockerfile.splitlines()
        self.name = name
        self.cursor = 0  # steps come in Dockerfile order: search on from the last one
        self.label = ""
        self.where = 0  # the current step's line in the Dockerfile, 1-based (0: unknown)
        self.vertex = 0
        self.started = 0.0
        self.cached = False
        self.open = False
        self.pending = ""
        self.image = ""
        self.tags: list[str] = []

    def isatty(self) -> bool:
        return False

    def flush(self) -> None:
        self.out.flush()

    def write(self, text: str) -> int:
        self.pending += text
        while "\n" in self.pending:
            line, self.pending = self.pending.split("\n", 1)
            self._line(line)
        return len(text)

    def _line(self, line: str) -> None:
        m = _STEP.match(line)
        if m:
            self._close()
            self.vertex += 1
            self.started = time.monotonic()
            self.cached = False
            self.open = True
            self.label = f"[{m.group(1)}/{m.group(2)}] {m.group(3)}"
            self.where = self._find(m.group(3))
            self.out.write(f"\n#{self.vertex} {self.label}\n")
            return
        if line == " ---> Using cache":
            self.cached = True
            return
        if line.startswith("Successfully built "):
            self.image = line.split()[-1]
            return
        if line.startswith("Successfully tagged "):
            self.tags.append(line.split()[-1])
            return
        if _QUIET.match(line) or line.startswith("Sending build context"):
            return
        prefix = f"#{self.vertex} " if self.open else ""
        elapsed = f"{time.monotonic() - self.started:.3f} " if self.open else ""
        self.out.write(f"{prefix}{elapsed}{line}\n")

    def _close(self) -> None:
        if not self.open:
            return
        if self.cached:
            self.out.write(f"#{self.vertex} CACHED\n")
        else:
            self.out.write(f"#{self.vertex} DONE {time.monotonic() - self.started:.1f}s\n")
        self.open = False

    def finish(self, image_id: str) -> None:
        if self.pending:
            self._line(self.pending)
            self.pending = ""
        self._close()
        if not image_id:
            return
        self.vertex += 1
        n = self.vertex
        self.out.write(f"\n#{n} exporting to image\n#{n} writing image {image_id} done\n")
        for tag in self.tags:
            self.out.write(f"#{n} naming to {_full(tag)} done\n")
        self.out.write(f"#{n} DONE 0.0s\n")
        self.out.flush()

    def fail(self, message: str) -> None:
        if self.pending:
            self._line(self.pending)
            self.pending = ""
        if self.open:
            self.out.write(f"#{self.vertex} ERROR: {message}\n")
            self.out.write(f"------\n > {self.label}:\n------\n")
            if self.where:
                self.out.write(self._snippet())
        self.out.flush()

    def _find(self, instruction: str) -> int:
        """The line a step's instruction starts on (its first physical line)."""
        for i in range(self.cursor, len(self.lines)):
            text = self.lines[i].strip().removesuffix("\\").strip()
            if text and not text.startswith("#") and instruction.startswith(text):
                self.cursor = i + 1
                return i + 1
        return 0

    def _snippet(self) -> str:
        """BuildKit's source excerpt of the failed step, its line marked."""
        first, last = max(1, self.where - 2), min(len(self.lines), self.where + 1)
        out = [f"{self.name}:{self.where}", "-" * 20]
        for n in range(first, last + 1):
            mark = ">>>" if n == self.where else "   "
            out.append(f"{n:>4} | {mark} {self.lines[n - 1]}".rstrip())
        out.append("-" * 20)
        return "\n".join(out) + "\n"


def _full(tag: str) -> str:
    """docker.io/library/x:tag as BuildKit names the image it tags."""
    name = tag
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = "docker.io/library/" + name
    elif "." not in first and ":" not in first and first != "localhost":
        name = "docker.io/" + name
    return name
