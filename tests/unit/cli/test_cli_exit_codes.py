"""Exit codes Docker scripts rely on: rm -f / rmi -f of nothing, tag's reference check, login
without a terminal (issue 18)."""

from __future__ import annotations

import io

import pytest

from dockyard.cli.common import Context, run_command
from dockyard.cli.images import rmi, tag
from dockyard.cli.lifecycle import rm
from dockyard.cli.registry import login
from dockyard.client.api import APIError


class _Api:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def remove(self, name: str, *args: object) -> list:
        self.calls.append(("remove", name))
        if name.startswith("nosuch"):
            raise APIError(404, f"No such object: {name}")
        if name == "busy":
            raise APIError(409, "conflict")
        return []

    def tag(self, *args: object) -> None:
        self.calls.append(("tag", *args))


class _Engine:
    def __init__(self) -> None:
        self.containers = self.images = _Api()


class _Ctx(Context):
    def __init__(self, command: str) -> None:
        super().__init__(host=None, debug=False, command=command)
        self.engine = _Engine()

    @property
    def api(self) -> _Engine:  # type: ignore[override]
        return self.engine


def _run(func, argv):
    ctx = _Ctx(func.__name__)
    return run_command(ctx, func, argv), ctx.engine.images.calls


@pytest.mark.parametrize("func", [rm, rmi])
def test_force_removal_of_nothing_exits_0(capsys, func):
    code, _ = _run(func, ["-f", "nosuch1", "nosuch2"])
    assert code == 0
    assert capsys.readouterr().err.count("Error response from daemon: No such object") == 2
    assert _run(func, ["nosuch1"])[0] == 1  # without -f it fails
    assert _run(func, ["-f", "busy"])[0] == 1  # -f forgives only "no such"


@pytest.mark.parametrize(
    "argv,bad",
    [(["busybox", "foo:bad:tag"], "foo:bad:tag"), (["bad:bad:tag", "foo"], "bad:bad:tag"), (["busybox", "FOO"], "FOO")],
)
def test_tag_checks_references_before_asking(capsys, argv, bad):
    code, calls = _run(tag, argv)
    assert code == 1 and calls == []
    assert capsys.readouterr().err.startswith(f'Error parsing reference: "{bad}" is not a valid repository/tag: invalid reference format')


def test_tag_sends_familiar_repo_and_tag():
    code, calls = _run(tag, ["busybox", "docker.io/library/foo:v1"])
    assert code == 0 and calls == [("tag", "busybox", "foo", "v1")]


def test_login_without_a_terminal_does_not_prompt(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    monkeypatch.setenv("DOCKER_CONFIG", "/nonexistent")
    code = run_command(Context(None, False, "login"), login, ["-u", "me", "localhost:1"])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err == "Error: Cannot perform an interactive login from a non TTY device\n"
