"""Every docker word form resolves to an existing function."""

import importlib

import pytest

from dockyard.cli.command_table import COMMANDS

DOCKER_FORMS = """
run create start stop restart kill rm ps logs exec attach wait top stats inspect rename pause
unpause port diff update commit cp export images pull push tag rmi history save load import
search login logout build
container\\ run container\\ create container\\ ls container\\ list container\\ ps container\\ rm
container\\ remove container\\ prune container\\ inspect container\\ logs container\\ exec
image\\ ls image\\ list image\\ rm image\\ remove image\\ inspect image\\ prune image\\ pull
image\\ push image\\ tag image\\ history image\\ save image\\ load image\\ import image\\ build
network\\ create network\\ ls network\\ list network\\ rm network\\ remove network\\ inspect
network\\ connect network\\ disconnect network\\ prune
volume\\ create volume\\ ls volume\\ list volume\\ rm volume\\ remove volume\\ inspect volume\\ prune
"""


def _forms():
    return [
        w.replace("\\ ", " ")
        for w in DOCKER_FORMS.replace("\\ ", "\x00").split()
        for w in [w.replace("\x00", "\\ ")]
    ]


@pytest.mark.parametrize("words", _forms())
def test_docker_form_is_registered(words):
    assert words in COMMANDS


@pytest.mark.parametrize("words,target", sorted(COMMANDS.items()))
def test_target_exists(words, target):
    module, func = target.split(":")
    assert callable(getattr(importlib.import_module(f"dockyard.cli.{module}"), func))
