"""pyroute2's IPRoute and NetlinkError without the rest of pyroute2.

pyroute2's package __init__ imports every module it has (NDB, IPDB, conntrack, ipset,
wireguard, nl80211, plan9, ...): about 70 modules, 5 MiB of the daemon's memory and a
third of its start-up imports, for two names we use. The package is registered without
running its __init__ (its submodules import as usual); a name only the whole package has
runs that __init__ at first use, so `from pyroute2 import X` still works everywhere.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from typing import Any


def _register_package_without_init() -> None:
    if "pyroute2" in sys.modules:
        return
    spec = importlib.util.find_spec("pyroute2")
    if spec is None or spec.origin is None or not spec.submodule_search_locations:
        return
    origin = spec.origin
    pkg = types.ModuleType("pyroute2")
    pkg.__path__ = list(spec.submodule_search_locations)
    pkg.__spec__ = spec
    pkg.__file__ = origin
    pkg.__package__ = "pyroute2"

    def whole(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if importlib.util.find_spec(f"pyroute2.{name}") is not None:  # `from pyroute2 import config`
            return importlib.import_module(f"pyroute2.{name}")
        del pkg.__getattr__  # type: ignore[attr-defined]  # once: the real __init__ now
        with open(origin, "rb") as f:
            exec(compile(f.read(), origin, "exec"), pkg.__dict__)
        try:
            return pkg.__dict__[name]
        except KeyError:
            raise AttributeError(f"module 'pyroute2' has no attribute {name!r}") from None

    pkg.__getattr__ = whole  # type: ignore[attr-defined]
    sys.modules["pyroute2"] = pkg


_register_package_without_init()

from pyroute2.iproute import IPRoute  # noqa: E402
from pyroute2.netlink.exceptions import NetlinkError  # noqa: E402

vars(sys.modules["pyroute2"]).setdefault("IPRoute", IPRoute)

__all__ = ["IPRoute", "NetlinkError"]
