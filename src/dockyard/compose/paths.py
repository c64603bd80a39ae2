"""Relative paths of a service made absolute against the directory they were written for.

Idempotent (absolute paths stay), so services imported by `extends: {file}` or `include`
are resolved against their own directory first and pass through the project's unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

_REMOTE = ("http://", "https://", "git://", "git@", "github.com/", "ssh://")


def absolute(path: str, base: str, env: Mapping[str, str]) -> str:
    if path == "~" or path.startswith("~/"):
        home = env.get("HOME") or os.path.expanduser("~")
        path = home + path[1:]
    return os.path.normpath(os.path.join(base, path))


def _context(ctx: str, base: str, env: Mapping[str, str]) -> str:
    if ctx.startswith(_REMOTE) or "://" in ctx:
        return ctx
    return absolute(ctx, base, env)


def resolve_service_paths(svc: dict[str, Any], base: str, env: Mapping[str, str]) -> dict[str, Any]:
    out = dict(svc)
    if isinstance(out.get("build"), dict):
        build = dict(out["build"])
        build["context"] = _context(build.get("context", "."), base, env)
        if build.get("additional_contexts"):
            build["additional_contexts"] = {
                k: _context(v, base, env) for k, v in build["additional_contexts"].items()
            }
        out["build"] = build
    if out.get("volumes"):
        vols = []
        for vol in out["volumes"]:
            if vol.get("type") == "bind" and vol.get("source"):
                vol = {**vol, "source": absolute(vol["source"], base, env)}
            vols.append(vol)
        out["volumes"] = vols
    if out.get("env_file"):
        out["env_file"] = [
            {**item, "path": absolute(item["path"], base, env)} for item in out["env_file"]
        ]
    if out.get("label_file"):
        files = out["label_file"]
        files = [files] if isinstance(files, str) else files
        out["label_file"] = [absolute(f, base, env) for f in files]
    return out


def resolve_file_resources(
    resources: dict[str, dict[str, Any]], base: str, env: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    """Top-level secrets/configs: `file:` relative to the project directory."""
    return {
        name: ({**res, "file": absolute(res["file"], base, env)} if res.get("file") else res)
        for name, res in resources.items()
    }
