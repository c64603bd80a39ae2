"""Kubernetes names and labels, and the labels `kube play` puts on what it creates."""

from __future__ import annotations

import re

NAME_LABEL = "app.kubernetes.io/name"
PART_OF_LABEL = "app.kubernetes.io/part-of"

# On every container, volume and network `kube play` creates: `kube down` and `pod ls`
# find them by these, never by name patterns.
POD = "io.dockyard.kube.pod"  # the pod's name
INFRA = "io.dockyard.kube.infra"  # "true" on the container holding the pod's namespaces
OWNER = "io.dockyard.kube.owner"  # "Kind/name" of the manifest object
CONTAINER = "io.dockyard.kube.container"  # the container's name inside its pod

_DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def dns_label(name: str, limit: int = 63) -> str:
    """A DNS-1123 label from a Docker name ("my_web.1" -> "my-web-1")."""
    out = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    out = out[:limit].rstrip("-")
    return out or "app"


def is_dns_label(name: str) -> bool:
    return len(name) <= 63 and bool(_DNS1123.match(name))


def is_dns_subdomain(name: str) -> bool:
    return len(name) <= 253 and bool(_DNS_SUBDOMAIN.match(name))


def is_label_key(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    if prefix and not is_dns_subdomain(prefix):
        return False
    return len(name) <= 63 and bool(_LABEL_NAME.match(name))


def is_label_value(value: str) -> bool:
    return len(value) <= 63 and bool(_LABEL_VALUE.match(value))
