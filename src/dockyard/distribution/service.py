"""DistributionService: what the Engine API and the builder call to reach registries.

It pulls into and pushes from the image store, and logs the image events Docker logs for
pull and push; search, login and distribution inspect go straight to the registry.

The registry client is imported at first use (not at daemon start, before the API answers)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dockyard.common.reference import InvalidReference, Reference, parse_normalized

from ..errors import InvalidParameter, NotFound

if TYPE_CHECKING:
    from ..images.service import ImageService
    from ..registry.progress import Emit
    from ..registry.remote import RegistrySettings


class DistributionService:
    def __init__(self, images: ImageService, settings: RegistrySettings) -> None:
        self.images = images
        self.settings = settings

    def pull(
        self,
        ref: Reference,
        auth: dict[str, Any] | None,
        platform: str | None,
        progress: Emit,
    ) -> str:
        """docker pull: a name without tag or digest pulls every tag (`pull -a`)."""
        from .pull import Puller

        image_id = Puller(self.images, self.settings).pull(ref, auth, platform, progress)
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
        from .push import Pusher

        progress({"status": f"The push refers to repository [{repo.name}]"})
        pusher = Pusher(self.images, self.settings)
        for ref, image_id in targets:
            pusher.push(ref, image_id, auth, progress)
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
        from ..registry.inspect import inspect_remote

        return inspect_remote(ref, auth, self.settings)
