"""The labels Docker Compose v2 puts on what it creates, and the filters that find them:
another Compose (v2 or docker-compose 1.x) recognises a project by these alone."""

from __future__ import annotations

from typing import Any

PREFIX = "com.docker.compose"
PROJECT = f"{PREFIX}.project"
SERVICE = f"{PREFIX}.service"
VERSION = f"{PREFIX}.version"
WORKING_DIR = f"{PREFIX}.project.working_dir"
CONFIG_FILES = f"{PREFIX}.project.config_files"
ENVIRONMENT_FILE = f"{PREFIX}.project.environment_file"
ONEOFF = f"{PREFIX}.oneoff"
CONFIG_HASH = f"{PREFIX}.config-hash"
CONTAINER_NUMBER = f"{PREFIX}.container-number"
DEPENDS_ON = f"{PREFIX}.depends_on"
IMAGE = f"{PREFIX}.image"
SLUG = f"{PREFIX}.slug"
NETWORK = f"{PREFIX}.network"
VOLUME = f"{PREFIX}.volume"

# The release whose names and labels we follow (tools read com.docker.compose.version).
COMPOSE_VERSION = "2.40.3"


def project_filter(
    project: str, service: str | None = None, oneoff: bool | None = False
) -> dict[str, Any]:
    """API `filters` selecting a project's containers (one service's; one-offs or not)."""
    labels = [f"{PROJECT}={project}"]
    if service is not None:
        labels.append(f"{SERVICE}={service}")
    if oneoff is not None:
        labels.append(f"{ONEOFF}={'True' if oneoff else 'False'}")
    return {"label": {label: True for label in labels}}


def resource_labels(project: str, kind_label: str, key: str) -> dict[str, str]:
    """Labels of a network or volume the project creates."""
    return {kind_label: key, PROJECT: project, VERSION: COMPOSE_VERSION}


def container_number(container: dict[str, Any]) -> int:
    try:
        return int((container.get("Labels") or container["Config"]["Labels"])[CONTAINER_NUMBER])
    except (KeyError, ValueError, TypeError):
        return 0


def labels_of(container: dict[str, Any]) -> dict[str, str]:
    """Labels from a list entry (`Labels`) or an inspect document (`Config.Labels`)."""
    if "Labels" in container:
        return container.get("Labels") or {}
    return (container.get("Config") or {}).get("Labels") or {}
