"""The command line of compose: global flags anywhere, errors, the docker CLI plugin face."""

from __future__ import annotations

import json
import sys

import pytest

from dockyard.compose.main import USAGE, main, parse, plugin_main


def test_global_flags_before_and_after_the_command():
    _, opts = parse(["-p", "one", "--profile", "a", "ps", "-a", "-f", "x.yml", "web"])
    assert (opts.project_name, opts.profiles, opts.files) == ("one", ["a"], ["x.yml"])
    assert opts.all and opts.services == ["web"]


@pytest.mark.parametrize(
    ("argv", "code", "text"),
    [
        (["nope"], 1, 'unknown docker command: "compose nope"'),
        (["ps", "--bogus"], 1, "unknown flag"),
        (["up", "--scale", "web"], 1, "no configuration file provided"),
    ],
)
def test_errors(argv, code, text, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COMPOSE_FILE", raising=False)
    assert main(argv) == code
    assert text in capsys.readouterr().err


def test_plugin_metadata_and_dispatch(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["docker-compose", "docker-cli-plugin-metadata"])
    assert plugin_main() == 0
    meta = json.loads(capsys.readouterr().out)
    assert meta["SchemaVersion"] == "0.1.0" and meta["Vendor"] == "dockyard"
    monkeypatch.setattr(sys, "argv", ["docker-compose", "compose", "version", "--short"])
    assert plugin_main() == 0
    assert capsys.readouterr().out.strip() == "2.40.3"


def test_convert_is_config_s_alias_kept_out_of_the_command_list():
    command, opts = parse(["convert", "--services"])
    assert command == "convert" and opts.services
    assert opts.run is parse(["config"])[1].run
    assert "  convert\n" not in USAGE and "  config\n" in USAGE
