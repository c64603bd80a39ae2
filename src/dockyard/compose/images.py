"""Images for services: build those with `build`, pull the others, as `up` needs them."""

from __future__ import annotations

import os
import sys

from ..client.api import APIError
from .backend import Backend
from .errors import ComposeError


def image_id(b: Backend, ref: str) -> str | None:
    try:
        return b.engine.images.inspect(ref)["Id"]
    except APIError as exc:
        if exc.status == 404:
            return None
        raise ComposeError(f"image {ref}: {exc.message}") from None


def build_service(
    b: Backend,
    service: str,
    no_cache: bool = False,
    pull: bool = False,
    build_args: dict[str, str | None] | None = None,
    quiet: bool = False,
) -> str:
    """Build the service's image (tagged `image`, or `<project>-<service>`); returns its ID."""
    svc = b.project.services[service]
    spec = svc["build"]
    tag = b.project.image_name(service)
    context = spec["context"]
    from ..client.buildcontext import context_tar  # only when something is built

    if "://" in context:
        body, dockerfile, remote = None, spec.get("dockerfile", "Dockerfile"), context
    else:
        if not os.path.isdir(context):
            raise ComposeError(
                f'failed to solve: unable to prepare context: path "{context}" not found'
            )
        inline = spec.get("dockerfile_inline")
        try:
            body, dockerfile, _size = context_tar(
                context, spec.get("dockerfile"), inline.encode() if inline is not None else None
            )
        except OSError as exc:
            raise ComposeError(f"failed to read dockerfile: {exc}") from None
        remote = ""
    args = {**(spec.get("args") or {}), **(build_args or {})}
    b.progress.event("Service", service, "Building")
    messages = b.api(
        lambda: b.engine.build.build(
            body,
            dockerfile=dockerfile,
            tags=[tag, *(spec.get("tags") or [])],
            remote=remote,
            buildargs=args or None,
            labels=spec.get("labels") or None,
            target=spec.get("target") or "",
            nocache=no_cache or bool(spec.get("no_cache")),
            pull=pull or bool(spec.get("pull")),
            networkmode=spec.get("network") or "",
            extrahosts=[h.replace("=", ":", 1) for h in spec.get("extra_hosts") or []],
            cachefrom=spec.get("cache_from") or None,
            shmsize=int(spec["shm_size"]) if spec.get("shm_size") else None,
        ),
        f"failed to build {service}",
    )
    built = ""
    try:
        for msg in messages:
            if msg.get("error"):
                raise ComposeError(f"failed to solve: {service}: {msg['error'].strip()}")
            if msg.get("stream") and not quiet:
                sys.stderr.write(f"#{service} {msg['stream']}" if msg["stream"].strip() else "")
            if (msg.get("aux") or {}).get("ID"):
                built = msg["aux"]["ID"]
    finally:
        if body is not None and not isinstance(body, bytes):  # a small context is bytes
            body.close()
    b.progress.event("Service", service, "Built")
    return built or image_id(b, tag) or ""


def registry_auth(ref: str) -> str | None:
    """X-Registry-Auth for an image's registry from ~/.docker/config.json, if it has one."""
    from ..common import dockerconfig  # only when something is pulled

    server = dockerconfig.registry_of(ref)
    entry = dockerconfig.find_auth(dockerconfig.load(strict=False), server)
    return dockerconfig.encode_header(dockerconfig.auth_config(entry, server)) if entry else None


def pull_image(b: Backend, ref: str, label: str, quiet: bool = False) -> None:
    from ..common.reference import parse_normalized

    parsed = parse_normalized(ref)
    tag = parsed.digest or parsed.tag or "latest"
    if not quiet:
        b.progress.event("Image", label, "Pulling")
    messages = b.api(
        lambda: b.engine.images.pull(parsed.name, tag, registry_auth=registry_auth(ref)),
        f"failed to pull {ref}",
    )
    for msg in messages:
        if msg.get("error"):
            raise ComposeError(f"Error response from daemon: {msg['error']}")
    if not quiet:
        b.progress.event("Image", label, "Pulled")


def ensure_images(
    b: Backend,
    services: list[str],
    build: bool = False,
    no_build: bool = False,
    pull: str | None = None,
) -> dict[str, str]:
    """Each service's image ID, building or pulling what is missing (per `pull_policy`,
    `--build`, `--pull always|missing|never`)."""

    def one(service: str) -> tuple[str, str]:
        svc = b.project.services[service]
        ref = b.project.image_name(service)
        policy = pull or svc.get("pull_policy") or "missing"
        has_build = bool(svc.get("build"))
        if has_build and (build or policy == "build") and not no_build:
            return service, build_service(b, service)
        if policy == "always" and svc.get("image"):
            pull_image(b, ref, ref)
        found = image_id(b, ref)
        if found:
            return service, found
        if has_build and not no_build:
            return service, build_service(b, service)
        if policy == "never" or not svc.get("image"):
            raise ComposeError(f"No such image: {ref}")
        pull_image(b, ref, ref)
        found = image_id(b, ref)
        if not found:
            raise ComposeError(f"No such image: {ref}")
        return service, found

    # Services that run the same image (and build none) share one look-up: twenty services
    # of `image: busybox` ask the daemon once.
    shared: dict[tuple[str, str], list[str]] = {}
    for service in services:
        svc = b.project.services[service]
        key = (b.project.image_name(service), pull or svc.get("pull_policy") or "missing")
        shared.setdefault((service, "") if svc.get("build") else key, []).append(service)
    found = b.each([names[0] for names in shared.values()], one)
    return {
        s: image for (_, image), names in zip(found, shared.values(), strict=True) for s in names
    }
