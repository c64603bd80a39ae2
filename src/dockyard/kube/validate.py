"""Strict validation against the official Kubernetes schemas (the kubernetes-validate
package ships them, one directory per Kubernetes minor version).

Strict: a field the schema does not know is an error, as `kubectl apply --validate=strict`
makes it. The package's own `validate` re-reads the 1.8 MB definitions on every call and
stops at the first error; here each (version, kind) validator is built once and every error
is reported. jsonschema loads slowly (~0.3 s), so it is imported on first use only.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from .yamlio import ManifestError

# The Kubernetes versions generated manifests are checked against.
VERSIONS = ("1.30", "1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37")


def describe(doc: dict[str, Any], index: int) -> str:
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return f"document {index + 1} ({doc.get('kind') or '?'}/{name or '?'})"


@functools.cache
def _definitions(version: str) -> Any:
    from kubernetes_validate.utils import schema_contents
    from referencing import Registry, Resource

    path = f"kubernetes-json-schema/v{version}.0-local-strict/_definitions.json"
    return Resource.from_contents(schema_contents(path, version)) @ Registry()


@functools.cache
def _validator(version: str, kind: str, api_version: str) -> Any:
    """None when this Kubernetes version has no such kind in that API group/version."""
    import jsonschema
    from kubernetes_validate.utils import schema_contents
    from referencing import Resource

    # "apps/v1" -> "apps-v1", "rbac.authorization.k8s.io/v1" -> "rbac-v1", "v1" -> "v1"
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = f"kubernetes-json-schema/v{version}.0-local-strict/{kind.lower()}-{group}.json"
    try:
        schema = schema_contents(path, version)
    except FileNotFoundError:
        return None
    registry = Resource.from_contents(schema) @ _definitions(version)
    return jsonschema.Draft202012Validator(schema, registry=registry)


def problems(doc: dict[str, Any], versions: tuple[str, ...] = VERSIONS) -> list[str]:
    """Why `doc` is invalid ("path: reason", with the versions that say so); [] when valid."""
    kind, api = doc.get("kind"), doc.get("apiVersion")
    if not isinstance(api, str) or not isinstance(kind, str) or "/" in kind or ".." in kind:
        return ["not a Kubernetes object: apiVersion and kind (strings) are required"]
    rejected: dict[str, list[str]] = {}
    for version in versions:
        validator = _validator(version, kind, api)
        if validator is None:
            rejected.setdefault(f"unknown kind {kind} in {api}", []).append(version)
            continue
        for err in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.path))):
            path = ".".join(str(p) for p in err.path) or "(top)"
            rejected.setdefault(f"{path}: {err.message}", []).append(version)
    out = []
    for reason, by in rejected.items():
        if len(by) < len(versions):
            reason += f" (Kubernetes {', '.join(by)})"
        out.append(reason)
    return out


def check(docs: list[dict[str, Any]], source: str, versions: tuple[str, ...] = VERSIONS) -> None:
    """Raise ManifestError listing every invalid document with its path and reason."""
    errors = []
    for i, doc in enumerate(docs):
        for reason in problems(doc, versions):
            errors.append(f"{source}: {describe(doc, i)}: {reason}")
    if errors:
        raise ManifestError("invalid manifest:\n  " + "\n  ".join(errors))
