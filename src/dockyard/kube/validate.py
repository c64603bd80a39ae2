"""Strict validation against the official Kubernetes schemas (the kubernetes-validate
package ships them, one directory per Kubernetes minor version).

Strict: a field the schema does not know is an error, as `kubectl apply --validate=strict`
makes it. jsonschema loads slowly (~0.3 s), so it is imported on first use only.
"""

from __future__ import annotations

from typing import Any

from .yamlio import ManifestError

# The Kubernetes versions generated manifests are checked against.
VERSIONS = ("1.30", "1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37")


def describe(doc: dict[str, Any], index: int) -> str:
    kind = doc.get("kind") or "?"
    name = (
        (doc.get("metadata") or {}).get("name") if isinstance(doc.get("metadata"), dict) else None
    )
    return f"document {index + 1} ({kind}/{name or '?'})"


def problems(doc: dict[str, Any], versions: tuple[str, ...] = VERSIONS) -> list[str]:
    """Why `doc` is invalid ("path: reason", with the versions that say so); [] when valid."""
    import kubernetes_validate as kv

    if not isinstance(doc.get("apiVersion"), str) or not isinstance(doc.get("kind"), str):
        return ["apiVersion and kind must be strings"]
    rejected: dict[str, list[str]] = {}
    for version in versions:
        try:
            kv.validate(doc, version, strict=True)
        except kv.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path) or "(top)"
            rejected.setdefault(f"{path}: {exc.message}", []).append(version)
        except kv.SchemaNotFoundError:
            rejected.setdefault(f"unknown kind {doc['kind']} in {doc['apiVersion']}", [])
            break
    out = []
    for reason, by in rejected.items():
        if by and len(by) < len(versions):
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
