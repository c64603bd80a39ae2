"""Each corpus case loads and prints exactly as Docker Compose v2's `config` did
(expected.* were produced by regen_corpus.sh with the real binary)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from dockyard.compose.main import main

CORPUS = Path(__file__).with_name("corpus")
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


def _prepare(case: str, work: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shutil.copytree(CORPUS / case, work)
    for stale in work.glob("expected.*"):
        stale.unlink()
    for key in list(os.environ):
        if key.startswith("COMPOSE_") or key in ("SET", "PORT", "TAG", "IMG", "PROJ"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", "/home/corpus")
    monkeypatch.chdir(work)
    args_file = CORPUS / case / "args"
    return args_file.read_text().split() if args_file.exists() else []


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("case", CASES)
def test_config_matches_compose(case, fmt, tmp_path, monkeypatch, capsys):
    work = tmp_path / case
    args = _prepare(case, work, monkeypatch)
    assert main([*args, "config", "--format", fmt]) == 0
    out = capsys.readouterr().out
    expected = (CORPUS / case / f"expected.{fmt}").read_text()
    expected = expected.replace("@DIR@", str(work)).replace("@HOME@", "/home/corpus")
    assert out.rstrip("\n") == expected.rstrip("\n")


@pytest.fixture
def fixed_dir():
    """The directory regen_corpus.sh ran Compose in: config hashes cover absolute paths."""
    path = Path("/tmp/dockyard-compose-corpus")
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


# Services with env_file: Compose v2.40's `config --hash` hashes them differently from the
# label its own `up` writes (checked against a container `docker-compose up` created on our
# daemon: the label equals our hash), so the printed hash is no reference for them.
_ENV_FILE_SERVICES = {"extends": {"remote"}, "kitchen": {"web"}, "misc": {"b"}}


@pytest.mark.parametrize("case", CASES)
def test_config_hash_matches_compose(case, fixed_dir, monkeypatch, capsys):
    args = _prepare(case, fixed_dir / case, monkeypatch)
    assert main([*args, "config", "--hash", "*"]) == 0
    skip = _ENV_FILE_SERVICES.get(case, set())
    got = sorted(
        line for line in capsys.readouterr().out.splitlines() if line.split()[0] not in skip
    )
    expected = (CORPUS / case / "expected.hash").read_text().splitlines()
    assert got == [line for line in expected if line.split()[0] not in skip]
