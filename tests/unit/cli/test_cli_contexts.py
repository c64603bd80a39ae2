"""Contexts over the docker CLI's store: commands, host selection, and the docker CLI's view."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from dockyard.cli import main as cli_main
from dockyard.client import contexts
from dockyard.client.api import DEFAULT_HOST, resolve_host


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    for name in ("DOCKYARD_HOST", "DOCKER_HOST", "DOCKER_CONTEXT"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _main(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli_main.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_create_ls_use_show_rm(config, capsys):
    assert _main(capsys, "context", "create", "ctx1", "--description", "one", "--docker", "host=unix:///tmp/one.sock") == (
        0,
        "ctx1\n",
        'Successfully created context "ctx1"\n',
    )
    meta = json.loads((config / "contexts" / "meta").glob("*/meta.json").__next__().read_text())
    assert meta == {
        "Name": "ctx1",
        "Metadata": {"Description": "one"},
        "Endpoints": {"docker": {"Host": "unix:///tmp/one.sock", "SkipTLSVerify": False}},
    }
    code, out, _ = _main(capsys, "context", "ls")
    assert code == 0
    assert out.split("\n")[0].split() == ["NAME", "DESCRIPTION", "DOCKER", "ENDPOINT", "ERROR"]
    assert out.split("\n")[1].startswith("default *")
    assert "ctx1 " in out and "unix:///tmp/one.sock" in out
    assert _main(capsys, "context", "use", "ctx1")[:2] == (0, "ctx1\n")
    assert json.loads((config / "config.json").read_text())["currentContext"] == "ctx1"
    assert _main(capsys, "context", "show")[1] == "ctx1\n"
    assert resolve_host(None) == "unix:///tmp/one.sock"
    code, _, err = _main(capsys, "context", "rm", "ctx1")
    assert (code, err) == (1, 'context "ctx1" is in use, set -f flag to force remove\n')
    assert _main(capsys, "context", "rm", "-f", "ctx1")[:2] == (0, "ctx1\n")
    assert "currentContext" not in json.loads((config / "config.json").read_text())
    assert contexts.names() == []


@pytest.mark.parametrize(
    "argv,err",
    [
        (["context", "create", "x"], 'context name "x" is invalid, names are validated against regexp "^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$"\n'),
        (["context", "create", "default"], '"default" is a reserved context name\n'),
        (["context", "use", "nosuch"], 'context "nosuch" does not exist\n'),
        (["context", "rm", "default"], 'context "default" cannot be removed\n'),
        (["context", "create", "c2", "--docker", "foo=bar"], "unable to create docker endpoint config: unrecognized config key: foo\n"),
    ],
)
def test_errors_as_docker(config, capsys, argv, err):
    code, _, got = _main(capsys, *argv)
    assert (code, got) == (1, err)


def test_host_selection_order(config, monkeypatch):
    contexts.save("ctxa", "", "unix:///tmp/a.sock")
    contexts.save("ctxb", "", "unix:///tmp/b.sock")
    contexts.set_current("ctxa")
    assert resolve_host(None) == "unix:///tmp/a.sock"
    monkeypatch.setenv("DOCKER_CONTEXT", "ctxb")
    assert resolve_host(None) == "unix:///tmp/b.sock"
    assert resolve_host(None, "ctxa") == "unix:///tmp/a.sock"  # --context beats the environment
    monkeypatch.setenv("DOCKYARD_HOST", "unix:///tmp/env.sock")
    assert resolve_host(None) == "unix:///tmp/env.sock"  # a host in the environment beats contexts
    assert resolve_host("/tmp/flag.sock", "ctxa") == "unix:///tmp/flag.sock"
    monkeypatch.delenv("DOCKYARD_HOST")
    monkeypatch.delenv("DOCKER_CONTEXT")
    contexts.set_current("default")
    assert resolve_host(None) == DEFAULT_HOST
    with pytest.raises(contexts.ContextError, match='context "nosuch": context not found'):
        resolve_host(None, "nosuch")


def test_unknown_context_fails_like_docker(config, capsys):
    code, _, err = _main(capsys, "--context", "nosuch", "ps")
    assert code == 1
    assert err.startswith('Failed to initialize: unable to resolve docker endpoint: context "nosuch": context not found')
    code, _, err = _main(capsys, "-H", "unix:///x", "--context", "c1", "ps")
    assert (code, err) == (1, "conflicting options: cannot specify both --host and --context\n")


def test_inspect_and_json_listing(config, capsys):
    contexts.save("ctxj", "d", "unix:///tmp/j.sock", skip_tls_verify=True)
    code, out, _ = _main(capsys, "context", "inspect", "ctxj")
    doc = json.loads(out)[0]
    assert code == 0 and doc["Endpoints"]["docker"] == {"Host": "unix:///tmp/j.sock", "SkipTLSVerify": True}
    assert doc["Storage"]["MetadataPath"] == contexts.meta_dir("ctxj")
    code, out, _ = _main(capsys, "context", "ls", "--format", "json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["Name"] for r in rows] == ["default", "ctxj"]
    assert sorted(rows[1]) == ["Current", "Description", "DockerEndpoint", "Error", "Name"]
    assert _main(capsys, "context", "ls", "-q")[1] == "default\nctxj\n"
    code, out, err = _main(capsys, "context", "inspect", "nosuch")
    assert (code, out) == (1, "[]\n") and "context not found" in err


@pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker CLI")
def test_docker_cli_and_dockyard_share_the_store(config, capsys):
    env = {**os.environ, "DOCKER_CONFIG": str(config)}

    def docker(*args: str) -> str:
        done = subprocess.run(["docker", *args], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    docker("context", "create", "from-docker", "--docker", "host=unix:///tmp/d.sock")
    assert _main(capsys, "context", "create", "from-dockyard", "--docker", "host=unix:///tmp/y.sock")[0] == 0
    assert contexts.host_of(contexts.load("from-docker")) == "unix:///tmp/d.sock"
    assert docker("context", "inspect", "from-dockyard", "--format", "{{.Endpoints.docker.Host}}") == "unix:///tmp/y.sock\n"
    assert _main(capsys, "context", "use", "from-docker")[0] == 0
    assert docker("context", "show") == "from-docker\n"
    docker("context", "use", "from-dockyard")
    assert _main(capsys, "context", "show")[1] == "from-dockyard\n"
    docker("context", "use", "default")
    assert _main(capsys, "context", "rm", "from-docker")[0] == 0
    assert docker("context", "ls", "-q") == "default\nfrom-dockyard\n"


def test_tls_material_is_refused_not_ignored(config, capsys):
    code, _, err = _main(capsys, "context", "create", "ctls", "--docker", "host=tcp://h:2376,ca=/ca.pem")
    assert (code, err) == (1, "unable to create docker endpoint config: ca: TLS material is not supported by dockyard\n")
    assert contexts.names() == []
