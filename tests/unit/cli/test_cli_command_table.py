"""Every docker word form resolves to an existing function."""

import importlib

import pytest

from dockyard.cli.command_table import COMMANDS

TOP_LEVEL = (
    "run create start stop restart kill rm ps logs exec attach wait top stats inspect rename "
    "pause unpause port diff update commit cp export images pull push tag rmi history save "
    "load import search login logout build"
).split()
GROUPS = {
    "container": "run create ls list ps rm remove prune inspect logs exec cp stats top",
    "image": "ls list rm remove inspect prune pull push tag history save load import build",
    "network": "create ls list rm remove inspect connect disconnect prune",
    "volume": "create ls list rm remove inspect prune",
}


def _forms():
    return TOP_LEVEL + [f"{g} {v}" for g, verbs in GROUPS.items() for v in verbs.split()]


@pytest.mark.parametrize("words", _forms())
def test_docker_form_is_registered(words):
    assert words in COMMANDS


@pytest.mark.parametrize("words,target", sorted(COMMANDS.items()))
def test_target_exists(words, target):
    module, func = target.split(":")
    assert callable(getattr(importlib.import_module(f"dockyard.cli.{module}"), func))
