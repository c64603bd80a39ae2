"""The classic builder's cache: a step's image is found among its parent's children by
the step's container config (`cache_key`), or rebuilt from a --cache-from image's history."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from ..errors import DockyardError
from .plan import Stage

_CACHE_KEYS = (
    "Cmd", "Entrypoint", "Env", "Labels", "ExposedPorts", "Volumes", "WorkingDir", "User",
    "Shell", "OnBuild", "Healthcheck", "StopSignal",
)  # fmt: skip


def _norm(value: Any) -> Any:
    if not value:
        return None
    if isinstance(value, dict):
        return {k: _norm(v) if isinstance(v, dict) else v for k, v in sorted(value.items())}
    return value


def cache_key(cfg: dict[str, Any]) -> str:
    return json.dumps({k: _norm(cfg.get(k)) for k in _CACHE_KEYS}, sort_keys=True)


class Cache:
    """Builder's step cache: a step is reused when the parent image has a child made by
    the same step (or, with --cache-from, an image's history continues with it)."""

    def _probe(self, stage: Stage, container_config: dict[str, Any]) -> bool:
        if self.opts.nocache:
            return False
        want = cache_key(container_config)
        want_config = cache_key(self._image_config(stage))
        candidates = []
        for rec in self.images.child_records(stage.image_id or ""):
            cc = rec.image_config.get("container_config")
            if not isinstance(cc, dict) or cache_key(cc) != want:
                continue
            if cache_key(rec.config) != want_config:
                continue
            if (rec.image_config.get("author") or "") != (stage.maintainer or ""):
                continue
            candidates.append(rec)
        if candidates:
            found: str | None = max(candidates, key=lambda r: r.created).id
        else:
            found = self._probe_cache_from(stage, container_config)
        if found is None:
            return False
        self.out(" ---> Using cache\n")
        stage.image_id = found
        return True

    def _probe_cache_from(self, stage: Stage, cc: dict[str, Any]) -> str | None:
        """--cache-from: images whose history continues the current image with this very
        step (pulled images have no intermediate images: the step's image is rebuilt from
        the history entry and the layer it names)."""
        if self.cache_sources is None:
            self.cache_sources = []
            for name in self.opts.cache_from:
                with contextlib.suppress(DockyardError):
                    self.cache_sources.append(self.images.resolve(name))
        if not self.cache_sources:
            return None
        parent = self.images.get(stage.image_id) if stage.image_id else None
        p_hist = list(parent.image_config.get("history") or []) if parent else []
        p_diffs = (
            list((parent.image_config.get("rootfs") or {}).get("diff_ids") or []) if parent else []
        )
        n = len(p_hist)
        want = " ".join(cc.get("Cmd") or [])
        for target in self.cache_sources:
            t_hist = list(target.image_config.get("history") or [])
            t_diffs = list((target.image_config.get("rootfs") or {}).get("diff_ids") or [])
            if n >= len(t_hist) or len(p_diffs) > len(t_diffs):
                continue
            if t_hist[:n] != p_hist or t_diffs[: len(p_diffs)] != p_diffs:
                continue
            if (t_hist[n].get("created_by") or "") != want:
                continue
            if n == len(t_hist) - 1:
                return target.id
            self.cache_sources = [target]
            return self._restore_from_history(stage, target, n, p_hist, p_diffs)
        self.cache_sources = []
        return None

    def _restore_from_history(
        self, stage: Stage, target: Any, n: int, hist: list[Any], diffs: list[str]
    ) -> str:
        from ..images.config import host_platform

        entry = target.image_config["history"][n]
        layers = len(diffs)
        t_diffs = target.image_config["rootfs"]["diff_ids"]
        if not entry.get("empty_layer"):
            layers = sum(1 for h in target.image_config["history"][:n] if not h.get("empty_layer"))
            diffs = [*diffs, t_diffs[layers]]
            layers += 1
        os_, arch = host_platform()
        doc = {
            "architecture": target.image_config.get("architecture") or arch,
            "author": stage.maintainer or None,
            "config": self._image_config(stage),
            "created": entry.get("created"),
            "docker_version": target.image_config.get("docker_version"),
            "history": [*hist, entry],
            "os": target.image_config.get("os") or os_,
            "rootfs": {"type": "layers", "diff_ids": diffs},
        }
        doc = {k: v for k, v in doc.items() if v is not None}
        return self.images.add_config(
            json.dumps(doc, separators=(",", ":")).encode(),
            list(target.chain[:layers]),
            parent=stage.image_id or "",
        )
