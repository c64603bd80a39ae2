"""Multi-document YAML in and out, with a comment block above each document."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Dumper(yaml.SafeDumper):
    """No `&id001` anchors: each object is written out where it appears."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # file contents (ConfigMap data, long commands) as `|` blocks, not folded quotes
    style = "|" if "\n" in value and value.strip() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


class ManifestError(Exception):
    """Input that cannot be played or generated; the message says where and why."""


def load_documents(text: str, source: str) -> list[dict[str, Any]]:
    """The non-empty documents of a YAML stream; each must be a mapping."""
    try:
        docs = [d for d in yaml.load_all(text, Loader=_Loader) if d is not None]
    except yaml.YAMLError as exc:
        raise ManifestError(f"{source}: invalid YAML: {exc}") from None
    for i, doc in enumerate(docs):
        if not isinstance(doc, dict):
            raise ManifestError(f"{source}: document {i + 1} is not a mapping")
    return docs


def dump_documents(items: Iterable[tuple[list[str], dict[str, Any]]]) -> str:
    """`---`-separated documents, each with its comment lines first."""
    parts = []
    for comments, body in items:
        head = "".join(f"# {line}\n" for line in comments)
        parts.append(
            head + yaml.dump(body, Dumper=_Dumper, sort_keys=False, default_flow_style=False)
        )
    return "---\n" + "---\n".join(parts) if parts else ""
