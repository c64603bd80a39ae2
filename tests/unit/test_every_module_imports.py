"""Every module of the package imports: a name moved between modules (often by a merge of two
branches) fails here, not in the one command that happens to load it lazily."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import dockyard

MODULES = sorted(m.name for m in pkgutil.walk_packages(dockyard.__path__, "dockyard."))


@pytest.mark.parametrize("name", MODULES)
def test_module_imports(name: str) -> None:
    importlib.import_module(name)
