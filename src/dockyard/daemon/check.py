"""`dockyard system check [--repair]` (dockyard's own route, like `git fsck`): every service
compares its records with what is on disk and on the host. Containers go first: releasing a
container that a crash left half-started frees the network objects it held, so what the
network check finds afterwards is truly without an owner."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .services import Services


def check(services: Services, repair: bool) -> list[dict[str, Any]]:
    """[{"Resource", "Problem", "Repaired"}]; empty when all is in order."""
    found = [
        *services.containers.check(repair),
        *services.networks.check(repair),
        *services.images.check(repair),
    ]
    for resource, problem, fix in services.volumes.leftovers():
        if repair:
            fix()
        found.append({"Resource": resource, "Problem": problem, "Repaired": repair})
    return found
