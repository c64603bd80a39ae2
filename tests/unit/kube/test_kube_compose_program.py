"""`dockyard compose convert --kube` / `docker compose convert --kube`: compose's program,
with the manifests of `kube generate -f` for `convert --kube`; everything else unchanged."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dockyard.cli import main as cli_main
from dockyard.kube import compose_program, validate

CORPUS = Path(__file__).parent / "compose_corpus"
ENV_FILES = str(CORPUS / "env_files.yaml")


@pytest.mark.parametrize(
    ("argv", "wanted"),
    [
        (["convert", "--kube"], True),
        (["-f", "x.yaml", "config", "--kube", "-o", "out.yaml"], True),
        (["--kube", "convert"], True),
        (["convert"], False),
        (["config", "--services"], False),
        (["up", "--kube"], False),
        (["-f", "convert", "ps", "--kube"], False),  # "convert" is -f's value here
    ],
)
def test_which_command_lines_are_kube(argv: list[str], wanted: bool) -> None:
    assert compose_program.wants_kube(argv) is wanted


def kinds(text: str) -> list[str]:
    docs = [d for d in yaml.safe_load_all(text) if d]
    validate.check(docs, "converted")
    return [f"{d['kind']}/{d['metadata']['name']}" for d in docs]


def test_convert_kube_through_the_dockyard_dispatcher(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.main(["compose", "-f", ENV_FILES, "convert", "--kube"]) == 0
    assert kinds(capsys.readouterr().out) == [
        "ConfigMap/envs-common-env",
        "ConfigMap/envs-env",
        "Deployment/api",
        "Deployment/worker",
    ]


def test_config_kube_takes_the_generate_flags(tmp_path: Path) -> None:
    out = tmp_path / "app.yaml"
    argv = ["config", "--kube", "-f", ENV_FILES, "-p", "other", "-t", "pod", "-o", str(out)]
    assert compose_program.main(argv) == 0
    assert kinds(out.read_text()) == [
        "ConfigMap/other-common-env",
        "ConfigMap/other-env",
        "Pod/api",
        "Pod/worker",
    ]


def test_other_commands_are_compose_s_own(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.main(["compose", "-f", ENV_FILES, "convert", "--services"]) == 0
    assert capsys.readouterr().out == "api\nworker\n"


def test_errors_are_compose_s(capsys: pytest.CaptureFixture[str]) -> None:
    assert compose_program.main(["-f", "/nonexistent/c.yaml", "convert", "--kube"]) == 1
    assert "/nonexistent/c.yaml" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        compose_program.main(["-f", ENV_FILES, "convert", "--kube", "--bogus"])
    assert exited.value.code == 1
    assert "unknown flag: --bogus" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        compose_program.main(["-f", ENV_FILES, "convert", "--kube", "--pull-secret"])
    assert "--pull-secret needs --registry" in capsys.readouterr().err


def test_the_plugin_entry(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setattr(
        sys, "argv", ["docker-compose", "compose", "-f", ENV_FILES, "convert", "--kube"]
    )
    assert compose_program.plugin_main() == 0
    assert "Deployment/worker" in kinds(capsys.readouterr().out)
    monkeypatch.setattr(sys, "argv", ["docker-compose", "docker-cli-plugin-metadata"])
    assert compose_program.plugin_main() == 0
    assert '"SchemaVersion"' in capsys.readouterr().out


@pytest.mark.skipif(shutil.which("docker") is None, reason="docker CLI not installed")
def test_docker_compose_convert_kube_through_the_cli_plugin(tmp_path: Path) -> None:
    plugin = Path(sys.executable).parent / "dockyard-compose"
    if "compose_program" not in plugin.read_text():
        pytest.skip("the installed plugin entry predates compose_program (pip install -e .)")
    (tmp_path / "cli-plugins").mkdir()
    (tmp_path / "cli-plugins" / "docker-compose").symlink_to(plugin)
    env = {**os.environ, "DOCKER_CONFIG": str(tmp_path)}
    out = subprocess.run(
        ["docker", "compose", "-f", ENV_FILES, "convert", "--kube"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert kinds(out.stdout)[-1] == "Deployment/worker"
