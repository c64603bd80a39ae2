"""Every scenario the differential tests run (see ../model.py for the format)."""

from __future__ import annotations

from .containers import SCENARIOS as _containers
from .errors import SCENARIOS as _errors
from .extras import SCENARIOS as _extras
from .images import SCENARIOS as _images
from .networks import SCENARIOS as _networks
from .system import SCENARIOS as _system

SCENARIOS = (*_containers, *_images, *_networks, *_system, *_extras, *_errors)
