"""Each corpus case loads and prints exactly as Docker Compose v2's `config` did
(expected.* were produced by regen_corpus.sh with the real binary)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dockyard.compose.main import main

CORPUS = Path(__file__).with_name("corpus")
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("case", CASES)
def test_config_matches_compose(case, fmt, tmp_path, monkeypatch, capsys):
    work = tmp_path / case
    shutil.copytree(CORPUS / case, work)
    for stale in work.glob("expected.*"):
        stale.unlink()
    args_file = CORPUS / case / "args"
    args = args_file.read_text().split() if args_file.exists() else []
    for key in list(__import__("os").environ):
        if key.startswith("COMPOSE_") or key in ("SET", "PORT", "TAG", "IMG", "PROJ"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", "/home/corpus")
    monkeypatch.chdir(work)
    assert main([*args, "config", "--format", fmt]) == 0
    out = capsys.readouterr().out
    expected = (CORPUS / case / f"expected.{fmt}").read_text()
    expected = expected.replace("@DIR@", str(work)).replace("@HOME@", "/home/corpus")
    assert out.rstrip("\n") == expected.rstrip("\n")
