"""What the image store needs from outside images/, as protocols the composition root
satisfies: who uses which image (the container service) and where events go."""

from __future__ import annotations

from typing import Any, Protocol


class ImageUsers(Protocol):
    """Containers per image; images/ never imports containers/."""

    def image_users(self) -> dict[str, list[str]]:
        """{image_id: [container_id, ...]} of every container."""
        ...

    def running_image_usage(self) -> dict[str, list[str]]:
        """{image_id: [container_id, ...]} of running containers only."""
        ...

    def image_usage(self) -> dict[str, int]:
        """{image_id: number of containers}."""
        ...


class EventPublisher(Protocol):
    def publish(
        self, type_: str, action: str, actor_id: str, attributes: dict[str, str] | None = None
    ) -> dict[str, Any]: ...
