"""`dockyard kube …` and `dockyard pod …` reach their functions; pod grouping and logs."""

from __future__ import annotations

import importlib

import pytest

from dockyard.cli import main
from dockyard.kube import pods
from dockyard.kube.command_table import COMMANDS


@pytest.mark.parametrize(("words", "target"), sorted(COMMANDS.items()))
def test_every_word_form_resolves(words: str, target: str) -> None:
    module, func = target.split(":")
    assert callable(getattr(importlib.import_module(module), func))
    main.load_tables()
    key, rest = main._find_command([*words.split(), "x.yaml"])
    assert key == words and rest == ["x.yaml"]


def test_bad_flags_exit_125(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main.main(["kube", "play", "--bogus", "x.yaml"])
    assert exited.value.code == 125
    assert "--bogus" in capsys.readouterr().err


def test_play_of_a_missing_file_names_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["kube", "play", "/nonexistent/app.yaml"]) == 1
    assert "Error: /nonexistent/app.yaml: No such file or directory" in capsys.readouterr().err


def test_play_of_an_invalid_manifest_fails_before_the_daemon(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containerz: []}\n")
    assert main.main(["-H", "unix:///nonexistent.sock", "kube", "play", str(f)]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml: document 1 (Pod/p): spec: 'containers' is a required property" in err


def summary(name: str, pod: str, state: str, infra: bool = False) -> dict:
    labels = {
        "io.dockyard.kube.pod": pod,
        "io.dockyard.kube.owner": f"Pod/{pod}",
        "io.dockyard.kube.container": name,
    }
    if infra:
        labels["io.dockyard.kube.infra"] = "true"
    return {"Id": name, "Names": [f"/{pod}-{name}"], "State": state, "Labels": labels, "Created": 1}


class Listing:
    def __init__(self, items: list[dict]) -> None:
        self.containers = self
        self.items = items

    def list(self, **kwargs: object) -> list[dict]:
        return self.items


@pytest.mark.parametrize(
    ("states", "status"),
    [
        (["running", "running"], "Running"),
        (["exited", "exited"], "Exited"),
        (["running", "exited"], "Degraded"),
        (["created"], "Created"),
    ],
)
def test_pods_group_by_label_with_podman_status(states: list[str], status: str) -> None:
    items = [summary("infra", "p", "running", infra=True)]
    items += [summary(f"c{i}", "p", s) for i, s in enumerate(states)]
    items.append(summary("x", "q", "running"))
    listed = pods.list_pods(Listing(items))  # type: ignore[arg-type]
    assert [p.name for p in listed] == ["p", "q"]
    assert listed[0].status == status
    assert listed[0].infra["Id"] == "infra"
    assert [pods.container_name(c) for c in listed[0].members] == [
        f"c{i}" for i in range(len(states))
    ]
