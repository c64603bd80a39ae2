"""Legacy links (--link) as names: Docker registers "/parent/alias" for the container a
link points to, and `docker rm --link /parent/alias` drops that link from the parent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import NotFound, SystemError_

if TYPE_CHECKING:
    from .store import ContainerStore


def _alias(link: str) -> str:
    target, _, alias = link.partition(":")
    return (alias or target).rstrip("/").rsplit("/", 1)[-1]


def remove_link(store: ContainerStore, ref: str) -> None:
    """Drop the link named `ref` ("parent/alias"); its target container stays. A plain
    container name is its default link name, which cannot go (Docker's 500)."""
    parent_name, _, alias = ("/" + ref.lstrip("/")).rpartition("/")
    if not parent_name:
        store.get(ref)
        raise SystemError_("Conflict, cannot remove the default link name of the container")
    try:
        parent = store.get(parent_name.lstrip("/"))
    except NotFound:
        raise NotFound(f"No such container: {ref}") from None
    with parent.lock:
        links = parent.host_config.links or []
        kept = [link for link in links if _alias(link) != alias]
        if len(kept) == len(links):
            raise NotFound(f"No such container: {ref}")
        parent.host_config.links = kept or None
        store.save(parent)
