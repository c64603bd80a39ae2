"""The launcher's entry: exit codes and output as `sys.exit(main())` gives them, teardown
skipped only when nothing needs it; a command word needs only the table that knows it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dockyard.cli import main as cli_main
from dockyard.cli.command_table import COMMANDS as CLI_COMMANDS
from dockyard.kube.command_table import COMMANDS as KUBE_COMMANDS

SRC = str(cli_main.__file__).rsplit("/dockyard/", 1)[0]
ENV = {"DOCKYARD_HOST": "unix:///nonexistent/d.sock", "HOME": "/nonexistent"}


def _run(entry: str, argv: list[str], prelude: str = "", **kwargs) -> tuple[int, str, str]:
    code = (
        f"import sys; sys.path.append({SRC!r}); {prelude}\nfrom dockyard.cli import main\n{entry}"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-c", code, *argv],
        capture_output="stdout" not in kwargs,
        text=True,
        env=ENV,
        **kwargs,
    )
    return done.returncode, done.stdout, done.stderr


LAUNCH, PLAIN = "main.launch()", "sys.exit(main.main())"


@pytest.mark.parametrize(
    "argv", [["--version"], ["ps"], ["no-such-command"], ["ps", "--bad-flag"], ["inspect"]]
)
def test_same_output_and_code_as_the_plain_exit(argv: list[str]) -> None:
    assert _run(LAUNCH, argv) == _run(PLAIN, argv)


def test_atexit_callbacks_and_threads_still_run() -> None:
    code, out, _ = _run(LAUNCH, ["--version"], "import atexit; atexit.register(print, 'bye')")
    assert (code, out.splitlines()[-1]) == (0, "bye")
    thread = "import threading, time; threading.Thread(target=lambda: (time.sleep(0.2), print('joined'))).start()"  # fmt: skip
    code, out, _ = _run(LAUNCH, ["--version"], thread)
    assert code == 0 and "joined" in out


def test_a_closed_stdout_ends_as_before() -> None:
    codes = []
    for entry in (LAUNCH, PLAIN):
        r, w = os.pipe()
        os.close(r)
        try:
            codes.append(_run(entry, ["--version"], stdout=w, stderr=subprocess.DEVNULL)[0])
        finally:
            os.close(w)
    assert codes[0] == codes[1] != 0


def test_later_tables_bring_new_first_words_only() -> None:
    cli_words = {k.split(" ", 1)[0] for k in CLI_COMMANDS} | {"version", "info", "system", "events"}
    assert not cli_words & {k.split(" ", 1)[0] for k in KUBE_COMMANDS}


def test_an_everyday_word_loads_the_cli_table_alone() -> None:
    code = (
        "import sys; from dockyard.cli import main; main.load_tables('ps');"
        "print('dockyard.kube.command_table' in sys.modules, 'ps' in main.COMMANDS);"
        "main.load_tables('pod'); print('pod ls' in main.COMMANDS)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "True"]
