"""Completion scripts are generated from the command table and are valid for their shell."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from dockyard.cli import completion


def test_bash_completes_commands_subcommands_and_flags(tmp_path):
    if shutil.which("bash") is None:
        pytest.skip("needs bash")
    script = tmp_path / "dockyard.bash"
    script.write_text(completion.bash())

    def complete(line: str) -> list[str]:
        words = line.split(" ")
        prog = (
            f"source {script}; COMP_WORDS=({' '.join(repr(w) for w in words)}); "
            f"COMP_CWORD={len(words) - 1}; _dockyard; printf '%s\\n' \"${{COMPREPLY[@]}}\""
        )
        out = subprocess.run(["bash", "-c", prog], capture_output=True, text=True, check=True)
        return out.stdout.split()

    assert {"container", "context", "builder", "ps", "run"} <= set(complete("dockyard "))
    assert complete("dockyard cont") == ["container", "context"]
    assert {"ls", "prune", "rm"} <= set(complete("dockyard container "))
    assert complete("dockyard builder p") == ["prune"]
    assert "--filter" in complete("dockyard ps --f")
    assert complete("dockyard -H unix:///x context u") == ["use"]


def test_zsh_and_fish_scripts_parse():
    assert completion.zsh().startswith("#compdef dockyard\n")
    fish = completion.fish()
    assert "complete -c dockyard -n 'not __fish_seen_subcommand_from $__dockyard_tops' -a ps -d 'List containers'" in fish
    if shutil.which("fish"):
        subprocess.run(["fish", "--no-execute"], input=fish, text=True, check=True)
    if shutil.which("zsh"):
        subprocess.run(["zsh", "-n"], input=completion.zsh(), text=True, check=True)


def test_completion_command(capsys):
    from dockyard.cli import main as cli_main

    assert cli_main.main(["completion", "bash"]) == 0
    assert "complete -F _dockyard dockyard" in capsys.readouterr().out
    assert cli_main.main(["completion", "tcsh"]) == 1
