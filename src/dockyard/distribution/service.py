"""DistributionService: what the Engine API and the builder call to reach registries.

It pulls into and pushes from the image store, and logs the image events Docker logs for
pull and push; search, login and distribution inspect go straight to the registry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dockyard.common.reference import InvalidReference, Reference, parse_normalized

from ..errors import InvalidParameter, NotFound
from ..registry.inspect import inspect_remote
from ..registry.progress import Emit
from ..registry.remote import RegistrySettings
from .pull import Puller
from .push import Pusher

if TYPE_CHECKING:
    from ..images.service import ImageService


class DistributionService:
    def __init__(self, images: ImageService, settings: RegistrySettings) -> None:
        self.images = images
        self.settings = settings
        self.puller = Puller(images, settings)
        self.pusher = Pusher(images, settings)

    def pull(
        self,
        ref: Reference,
        auth: dict[str, Any] | None,
        platform: str | None,
        progress: Emit,
    ) -> str:
        """docker pull: a name without tag or digest pulls every tag (`pull -a`)."""
        image_id = self.puller.pull(ref, auth, platform, progress)
        self.images.log_event("pull", image_id, ref.familiar(), actor=ref.familiar())
        return image_id

    def push(
        self,
        name: str,
        tag: str | None,
        auth: dict[str, Any] | None,
        progress: Emit,
    ) -> None:
        """docker push; an empty tag pushes every tag of the repository, as Docker does."""
        try:
            repo = parse_normalized(name, default_tag=False)
        except InvalidReference as exc:
            raise InvalidParameter(str(exc)) from None
        if tag:
            try:
                repo = repo.trim().with_tag(tag)
            except InvalidReference as exc:
                raise InvalidParameter(str(exc)) from None
        targets: list[tuple[Reference, str]] = []
        if repo.is_name_only:
            for ref, image_id in self.images.tags_of_repo(repo.canonical()):
                targets.append((parse_normalized(ref), image_id))
        else:
            found = self.images.lookup_ref(repo.canonical())
            if found is not None:
                targets.append((repo, found))
        if not targets:
            raise NotFound(f"An image does not exist locally with the tag: {repo.familiar_name}")
        progress({"status": f"The push refers to repository [{repo.name}]"})
        for ref, image_id in targets:
            self.pusher.push(ref, image_id, auth, progress)
            self.images.log_event("push", image_id, ref.familiar(), actor=ref.familiar())

    def search(
        self, term: str, limit: int | None, auth: dict[str, Any] | None
    ) -> list[dict[str, Any]]:
        from ..registry.search import search

        return search(term, limit or 25, auth, self.settings.mirrors, self.settings.insecure)

    def login(self, auth: dict[str, Any] | None) -> dict[str, str]:
        """POST /auth: check the credentials against the registry."""
        from ..registry.login import login

        return login(auth or {}, self.settings.insecure)

    def inspect(self, ref: Reference, auth: dict[str, Any] | None) -> dict[str, Any]:
        """GET /distribution/{name}/json."""
        return inspect_remote(ref, auth, self.settings)
