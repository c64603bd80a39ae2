"""`build --cache-from/--cache-to type=local|registry`: a build's cache carried between
machines. The classic builder reuses the steps of an image whose history continues the
build (`cachefrom`): the cache is the built image, exported as an OCI layout directory
(type=local) or pushed to a registry reference (type=registry), and imported back by
loading or pulling it before the build. The layout is an image, not BuildKit's cache
config: dockyard's and BuildKit's caches do not read each other (docs/build.md)."""

from __future__ import annotations

import csv
import io
import os
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dockyard.common.reference import InvalidReference, parse_normalized

from .common import APIError, CLIError, Context
from .registry import registry_auth


@dataclass
class CacheSpec:
    type: str  # "registry", "local" or "image" (a plain --cache-from name)
    ref: str = ""
    path: str = ""


def parse_cache(values: list[str], direction: str) -> list[CacheSpec]:
    """buildx's grammar: "type=registry,ref=R", "type=local,src=D" / "dest=D", "NAME"."""
    out = []
    for value in values:
        if "=" not in value:
            if direction == "to":
                out.append(CacheSpec("registry", ref=value))
            else:
                out.append(CacheSpec("image", ref=value))
            continue
        kv = {}
        for field in next(csv.reader([value])):
            key, _, val = field.partition("=")
            kv[key.strip().lower()] = val
        kind = kv.get("type", "registry")
        if kind == "registry":
            if not kv.get("ref"):
                raise CLIError(f"ERROR: ref is required for registry cache {direction}", 1)
            _check_ref(kv["ref"])
            out.append(CacheSpec("registry", ref=kv["ref"]))
        elif kind == "local":
            key = "dest" if direction == "to" else "src"
            if not kv.get(key):
                raise CLIError(f"ERROR: {key} is required for local cache {direction}", 1)
            out.append(CacheSpec("local", path=kv[key]))
        else:
            raise CLIError(
                f'ERROR: cache type "{kind}" is not supported by dockyard\'s builder '
                "(local and registry are)",
                1,
            )
    return out


def _check_ref(ref: str) -> None:
    try:
        parse_normalized(ref)
    except InvalidReference as exc:
        raise CLIError(f"ERROR: invalid reference {ref}: {exc}", 1) from None


def _drain(messages: Iterator[dict[str, Any]]) -> list[dict[str, Any]]:
    got = []
    for msg in messages:
        if msg.get("error") or msg.get("errorDetail"):
            raise CLIError((msg.get("errorDetail") or {}).get("message") or msg["error"], 1)
        got.append(msg)
    return got


def import_caches(ctx: Context, specs: list[CacheSpec]) -> list[str]:
    """Bring each cache into the daemon; the image names to pass as `cachefrom`. A cache
    that cannot be imported is a warning, as BuildKit's (the build runs without it)."""
    names = []
    for spec in specs:
        if spec.type == "image":
            names.append(spec.ref)
            continue
        try:
            if spec.type == "registry":
                ref = parse_normalized(spec.ref)
                server = ref.domain
                _drain(
                    ctx.api.images.pull(ref.name, ref.tag or "latest", "", registry_auth(server))
                )
                names.append(spec.ref)
            else:
                names.append(_load_layout(ctx, spec.path))
        except (APIError, CLIError, OSError) as exc:
            where = spec.ref or spec.path
            print(f"WARNING: failed to import cache {where}: {exc}", file=sys.stderr)
    return names


def _load_layout(ctx: Context, path: str) -> str:
    if not os.path.isfile(os.path.join(path, "index.json")):
        raise OSError(f"{path}: not a cache directory (no index.json)")
    with tempfile.TemporaryFile() as buf:
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for name in sorted(os.listdir(path)):
                tar.add(os.path.join(path, name), arcname=name)
        buf.seek(0)
        msgs = _drain(ctx.api.images.load(buf, quiet=True))
    for msg in msgs:
        text = (msg.get("stream") or "").strip()
        for prefix in ("Loaded image ID: ", "Loaded image: "):
            if text.startswith(prefix):
                return text[len(prefix) :]
    raise OSError(f"{path}: no image in the cache directory")


def export_caches(ctx: Context, specs: list[CacheSpec], image_id: str) -> None:
    for spec in specs:
        if spec.type == "registry":
            ref = parse_normalized(spec.ref)
            tag = ref.tag or "latest"
            ctx.api.images.tag(image_id, ref.familiar_name, tag)
            try:
                _drain(ctx.api.images.push(ref.familiar_name, tag, "", registry_auth(ref.domain)))
            finally:
                ctx.api.images.remove(f"{ref.familiar_name}:{tag}", noprune=True)
        else:
            os.makedirs(spec.path, exist_ok=True)
            data = io.BytesIO(b"".join(ctx.api.images.save([image_id])))
            with tarfile.open(fileobj=data) as tar:
                tar.extractall(spec.path, filter="data")
