"""`kube generate --registry HOST`: local images retagged under HOST and pushed there, so a
cluster can pull what ran here; `--pull-secret` carries the credentials of
~/.docker/config.json for HOST as an imagePullSecrets Secret."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..common.reference import InvalidReference, parse_normalized
from .spec import Application
from .yamlio import ManifestError

if TYPE_CHECKING:
    from ..client.engine import Engine


def retagged(image: str, host: str) -> tuple[str, str]:
    """(repository under `host`, tag): "busybox" -> ("HOST/busybox", "latest"),
    "shop-api" -> ("HOST/shop-api", "latest"), "ghcr.io/x/y:2" -> ("HOST/x/y", "2")."""
    try:
        ref = parse_normalized(image)
    except InvalidReference as exc:
        raise ManifestError(f"image {image!r}: {exc}") from None
    path = ref.path.removeprefix("library/") if ref.domain == "docker.io" else ref.path
    if ref.digest and not ref.tag:
        raise ManifestError(f"image {image!r}: pinned by digest; tag it to push it")
    return f"{host}/{path}", ref.tag or "latest"


def publish(engine: Engine, app: Application, host: str, auth_header: str | None) -> None:
    """Tag and push every image of `app` to `host`; the containers then name those."""
    pushed: dict[str, str] = {}
    for w in app.workloads:
        for c in w.containers:
            if c.image not in pushed:
                repo, tag = retagged(c.image, host)
                engine.images.tag(c.image, repo, tag)
                for message in engine.images.push(repo, tag=tag, registry_auth=auth_header):
                    if message.get("error"):
                        raise ManifestError(f"push {repo}:{tag}: {message['error']}")
                pushed[c.image] = f"{repo}:{tag}"
            c.image = pushed[c.image]


def dockerconfigjson(auths: dict[str, Any], host: str) -> str:
    """The .dockerconfigjson of a pull secret: only the entry for `host`."""
    return json.dumps({"auths": {host: auths}}, separators=(",", ":"))
