"""The loaded project: what the commands work on, and Compose's naming rules."""

from __future__ import annotations

import re
from typing import Any

from .errors import ComposeError

_VALID_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class EnvFile:
    """One `env_file` of a service, as read: Compose folds it into the service's
    `environment`; `kube generate` makes it a ConfigMap of its own."""

    __slots__ = ("path", "values")

    def __init__(self, path: str, values: dict[str, str]) -> None:
        self.path = path
        self.values = values

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EnvFile) and (self.path, self.values) == (other.path, other.values)

    def __repr__(self) -> str:
        return f"EnvFile(path={self.path!r}, values={self.values!r})"


class Project:
    # A plain class, not a dataclass: importing dataclasses (and inspect with it) was a
    # measurable part of every compose command's start-up.
    def __init__(
        self,
        name: str,
        working_dir: str,
        services: dict[str, dict[str, Any]],
        networks: dict[str, dict[str, Any]] | None = None,
        volumes: dict[str, dict[str, Any]] | None = None,
        secrets: dict[str, dict[str, Any]] | None = None,
        configs: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, Any] | None = None,
        disabled: dict[str, dict[str, Any]] | None = None,
        config_files: list[str] | None = None,
        environment: dict[str, str] | None = None,
        profiles: list[str] | None = None,
        env_files: dict[str, list[EnvFile]] | None = None,
    ) -> None:
        self.name = name
        self.working_dir = working_dir
        self.services = services
        self.networks = networks if networks is not None else {}
        self.volumes = volumes if volumes is not None else {}
        self.secrets = secrets if secrets is not None else {}
        self.configs = configs if configs is not None else {}
        self.extensions = extensions if extensions is not None else {}
        self.disabled = disabled if disabled is not None else {}
        self.config_files = config_files if config_files is not None else []
        self.environment = environment if environment is not None else {}
        self.profiles = profiles if profiles is not None else []
        # service -> its env files in order (later ones win; `environment` wins over all)
        self.env_files = env_files if env_files is not None else {}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Project) and vars(self) == vars(other)

    def __repr__(self) -> str:
        return f"Project(name={self.name!r}, working_dir={self.working_dir!r})"

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
