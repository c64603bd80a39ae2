"""IPRoute without the whole of pyroute2 (a fresh interpreter each: import state)."""

from __future__ import annotations

import subprocess
import sys


def run(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_only_iproute_is_imported():
    out = run(
        "import sys\n"
        "from dockyard.network.netlink import IPRoute, NetlinkError\n"
        "from pyroute2 import IPRoute as again\n"
        "print(again is IPRoute, 'pyroute2.ndb' in sys.modules, 'pyroute2.ipdb' in sys.modules)"
    )
    assert out == "True False False"


def test_the_rest_of_pyroute2_loads_at_first_use():
    out = run(
        "from dockyard.network.netlink import IPRoute\n"
        "from pyroute2 import NDB, config\n"
        "import pyroute2\n"
        "print(NDB.__name__, config.__name__, pyroute2.IPRoute is IPRoute)"
    )
    assert out == "NDB pyroute2.config True"
