"""Runs a scenario's steps with one client against one engine, in order, and always runs its
clean-up steps."""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from compare import Outcome, normalise
from model import HTTP_GET, NEXT_SECOND, Scenario, Step

STEP_TIMEOUT = 60


def free_port() -> int:
    """A port free on IPv4 and IPv6 wildcards (Docker binds both)."""
    while True:
        port = 20000 + secrets.randbelow(12000)
        try:
            with socket.socket(socket.AF_INET) as s4, socket.socket(socket.AF_INET6) as s6:
                s4.bind(("0.0.0.0", port))
                s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                s6.bind(("::", port))
            return port
        except OSError:
            continue


@dataclass
class Run:
    """One scenario through one client: its placeholders and what each step gave."""

    argv0: list[str]
    env: dict[str, str]
    prefix: str = field(default_factory=lambda: "dfx" + secrets.token_hex(3))
    port: int = field(default_factory=free_port)
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="dfx-")))
    outcomes: list[Outcome] = field(default_factory=list)

    def fill(self, word: str) -> str:
        return word.replace("{p}", self.prefix).replace("{tmp}", str(self.tmp)).replace("{port}", str(self.port))

    @property
    def names(self) -> dict[str, str]:
        return {str(self.tmp): "<tmp>", self.prefix: "<p>", str(self.port): "<port>"}

    def step(self, step: Step) -> Outcome:
        if step.argv == (NEXT_SECOND,):
            time.sleep(1.05 - time.time() % 1)
            return Outcome(0, "", "")
        if step.argv[0] == HTTP_GET:
            return _http_status(self.fill(step.argv[1]))
        argv = [*self.argv0, *(self.fill(w) for w in step.argv)]
        try:
            done = subprocess.run(
                argv, env=self.env, capture_output=True, text=True, timeout=STEP_TIMEOUT,
                input=self.fill(step.stdin) if step.stdin is not None else None,
                stdin=None if step.stdin is not None else subprocess.DEVNULL,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return Outcome(-9, "", f"timed out after {STEP_TIMEOUT} s")
        return Outcome(done.returncode, normalise(done.stdout, self.names), normalise(done.stderr, self.names))

    def play(self, scenario: Scenario) -> list[Outcome]:
        try:
            failed_setup = None
            for step in scenario.steps:
                if failed_setup is not None:
                    self.outcomes.append(Outcome(-1, "", f"not run: set-up step failed: {failed_setup}"))
                    continue
                out = self.step(step)
                self.outcomes.append(out)
                if step.setup and out.code != 0:
                    failed_setup = f"{step.key}: {out.stderr.strip()}"
        finally:
            for step in scenario.cleanup:
                self.step(step)
            shutil.rmtree(self.tmp, ignore_errors=True)
        return self.outcomes


def _http_status(hostport: str, patience: float = 10) -> Outcome:
    """The status line of GET / (retried while the server in the container starts)."""
    host, _, port = hostport.rpartition(":")
    deadline = time.monotonic() + patience
    while True:
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=10) as s:
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                first = s.makefile("rb").readline().decode(errors="replace").strip()
            if first or time.monotonic() > deadline:
                return Outcome(0, first + "\n", "")
        except OSError as e:
            if time.monotonic() > deadline:
                return Outcome(1, "", f"{type(e).__name__}: {e.strerror or e}")
        time.sleep(0.2)
