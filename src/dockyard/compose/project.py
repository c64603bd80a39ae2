"""The loaded project: what the commands work on, and Compose's naming rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import ComposeError

_VALID_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class EnvFile:
    """One `env_file` of a service, as read: Compose folds it into the service's
    `environment`; `kube generate` makes it a ConfigMap of its own."""

    path: str
    values: dict[str, str]


@dataclass
class Project:
    name: str
    working_dir: str
    services: dict[str, dict[str, Any]]
    networks: dict[str, dict[str, Any]] = field(default_factory=dict)
    volumes: dict[str, dict[str, Any]] = field(default_factory=dict)
    secrets: dict[str, dict[str, Any]] = field(default_factory=dict)
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)
    disabled: dict[str, dict[str, Any]] = field(default_factory=dict)
    config_files: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    profiles: list[str] = field(default_factory=list)
    # service -> its env files in order (later ones win; `environment` wins over all)
    env_files: dict[str, list[EnvFile]] = field(default_factory=dict)

    def service(self, name: str) -> dict[str, Any]:
        try:
            return self.services[name]
        except KeyError:
            raise ComposeError(f"no such service: {name}") from None

    def image_name(self, service: str) -> str:
        """The image a service runs: its `image`, or `<project>-<service>` when built."""
        svc = self.services.get(service) or self.disabled[service]
        return svc.get("image") or f"{self.name}-{service}"


def normalize_name(name: str) -> str:
    """A directory name as a project name: lower case, only [a-z0-9_-], starting alphanumeric."""
    cleaned = re.sub(r"[^a-z0-9_-]", "", name.lower())
    return cleaned.lstrip("_-")


def check_name(name: str) -> str:
    if not _VALID_NAME.match(name):
        raise ComposeError(
            f'invalid project name "{name}": must consist only of lowercase alphanumeric '
            "characters, hyphens, and underscores as well as start with a letter or number"
        )
    return name
