"""Image config helpers: Docker's `config` shape, commit `--change` lines, image JSON.

The image config is the OCI/Docker JSON whose sha256 is the image ID; these helpers build
new ones (import, commit) and turn stored ones into the shapes the Engine API returns.
"""

from __future__ import annotations

import copy
import json
import shlex
from typing import Any

from dockyard.common.ports import parse_expose
from dockyard.common.timefmt import parse_rfc3339_float, rfc3339

from ..errors import InvalidParameter

# Commit/import --change accepts only these Dockerfile instructions (as Docker does).
CHANGE_INSTRUCTIONS = (
    "CMD",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "LABEL",
    "ONBUILD",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
)

# container.Config fields Docker always prints in image inspect, in its order.
_CONFIG_DEFAULTS: list[tuple[str, Any]] = [
    ("Hostname", ""),
    ("Domainname", ""),
    ("User", ""),
    ("AttachStdin", False),
    ("AttachStdout", False),
    ("AttachStderr", False),
    ("ExposedPorts", None),
    ("Tty", False),
    ("OpenStdin", False),
    ("StdinOnce", False),
    ("Env", None),
    ("Cmd", None),
    ("Healthcheck", None),
    ("ArgsEscaped", None),
    ("Image", ""),
    ("Volumes", None),
    ("WorkingDir", ""),
    ("Entrypoint", None),
    ("NetworkDisabled", None),
    ("OnBuild", None),
    ("Labels", None),
    ("StopSignal", None),
    ("Shell", None),
]
_OMIT_EMPTY = {
    "ExposedPorts",
    "Healthcheck",
    "ArgsEscaped",
    "NetworkDisabled",
    "StopSignal",
    "Shell",
}


def parse_time(value: str | None) -> float:
    """Unix seconds of an RFC3339 timestamp; 0 when absent or bad."""
    try:
        return parse_rfc3339_float(value or "")
    except ValueError:
        return 0.0


def config_view(cfg: dict[str, Any] | None) -> dict[str, Any]:
    """The image's `config` in the full container.Config shape Docker's inspect prints."""
    cfg = cfg or {}
    out: dict[str, Any] = {}
    for key, default in _CONFIG_DEFAULTS:
        value = cfg.get(key, default)
        if key in _OMIT_EMPTY and not value:
            continue
        out[key] = value
    for key, value in cfg.items():
        if key not in out and not key.startswith("_") and key not in _OMIT_EMPTY:
            out[key] = value
    return out


def labels_of(image_config: dict[str, Any]) -> dict[str, str]:
    return dict((image_config.get("config") or {}).get("Labels") or {})


# --- --change lines ------------------------------------------------------------------------


def _json_or_shell(rest: str, shell: list[str] | None) -> list[str]:
    rest = rest.strip()
    if rest.startswith("["):
        try:
            value = json.loads(rest)
        except ValueError:
            value = None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
    return [*(shell or ["/bin/sh", "-c"]), rest]


def _key_values(instr: str, rest: str) -> list[tuple[str, str]]:
    """ENV/LABEL arguments: `k=v k2="v 2"` or the legacy single `k v` form."""
    try:
        words = shlex.split(rest, posix=True)
    except ValueError as exc:
        raise InvalidParameter(f"{instr}: {exc}") from None
    if not words:
        raise InvalidParameter(f"{instr} requires at least one argument")
    if "=" not in words[0]:
        key, _, value = rest.strip().partition(" ")
        if instr == "LABEL" or not value.strip():
            raise InvalidParameter(f"{instr} names can not be blank")
        return [(key, value.strip())]
    pairs = []
    for w in words:
        key, sep, value = w.partition("=")
        if not sep or not key:
            raise InvalidParameter(
                f"Syntax error - can't find = in {w!r}. Must be of the form: name=value"
            )
        pairs.append((key, value))
    return pairs


def apply_changes(cfg: dict[str, Any], changes: list[str]) -> dict[str, Any]:
    """Apply Dockerfile lines (`docker commit -c`, `docker import -c`) to a config dict."""
    cfg = copy.deepcopy(cfg)
    cmd_set = False
    for line in changes:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instr, _, rest = line.partition(" ")
        if "\t" in instr:
            instr, _, more = instr.partition("\t")
            rest = more + " " + rest
        instr = instr.upper()
        rest = rest.strip()
        if instr not in CHANGE_INSTRUCTIONS:
            raise InvalidParameter(f"{instr} is not a valid change command")
        if instr == "CMD":
            cfg["Cmd"] = _json_or_shell(rest, cfg.get("Shell"))
            cmd_set = True
        elif instr == "ENTRYPOINT":
            cfg["Entrypoint"] = _json_or_shell(rest, cfg.get("Shell")) if rest else None
            if not cmd_set:
                cfg["Cmd"] = None  # a new entrypoint drops the inherited command
        elif instr == "ENV":
            env = list(cfg.get("Env") or [])
            for key, value in _key_values("ENV", rest):
                env = [e for e in env if e.partition("=")[0] != key] + [f"{key}={value}"]
            cfg["Env"] = env
        elif instr == "LABEL":
            labels = dict(cfg.get("Labels") or {})
            labels.update(_key_values("LABEL", rest))
            cfg["Labels"] = labels
        elif instr == "EXPOSE":
            ports = dict(cfg.get("ExposedPorts") or {})
            ports.update(parse_expose(rest.split(), dockerfile=True))
            cfg["ExposedPorts"] = ports
        elif instr == "USER":
            cfg["User"] = rest
        elif instr == "WORKDIR":
            if not rest:
                raise InvalidParameter("WORKDIR requires exactly one argument")
            base = cfg.get("WorkingDir") or "/"
            cfg["WorkingDir"] = rest if rest.startswith("/") else base.rstrip("/") + "/" + rest
        elif instr == "VOLUME":
            paths = _json_or_shell(rest, []) if rest.startswith("[") else rest.split()
            vols = dict(cfg.get("Volumes") or {})
            vols.update({p: {} for p in paths if p})
            cfg["Volumes"] = vols
        elif instr == "STOPSIGNAL":
            cfg["StopSignal"] = rest
        elif instr == "ONBUILD":
            cfg["OnBuild"] = [*(cfg.get("OnBuild") or []), rest]
    return cfg


# --- new image configs --------------------------------------------------------------------


def host_platform() -> tuple[str, str]:
    import os

    machine = os.uname().machine
    arch = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}.get(
        machine, machine
    )
    return "linux", arch


def new_import_config(
    diff_id: str, message: str, changes: list[str], docker_version: str
) -> dict[str, Any]:
    """The config `docker import` makes: one layer, one history entry, config from -c."""
    created = rfc3339()
    os_, arch = host_platform()
    cfg = apply_changes({}, changes) if changes else None
    out: dict[str, Any] = {
        "architecture": arch,
        "comment": message,
        "config": config_view(cfg) if cfg else None,
        "created": created,
        "docker_version": docker_version,
        "history": [{"created": created, "comment": message}],
        "os": os_,
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }
    if out["config"] is None:
        del out["config"]
    return out


def new_commit_config(
    parent: dict[str, Any] | None,
    container_config: dict[str, Any],
    new_config: dict[str, Any],
    diff_id: str | None,
    *,
    author: str,
    comment: str,
    container_id: str,
    parent_id: str | None,
    docker_version: str,
    created_by: str | None = None,
) -> dict[str, Any]:
    """The config `docker commit` makes: the parent's rootfs and history plus one entry."""
    created = rfc3339()
    os_, arch = host_platform()
    parent = parent or {}
    diff_ids = list((parent.get("rootfs") or {}).get("diff_ids") or [])
    if diff_id is not None:
        diff_ids.append(diff_id)
    entry: dict[str, Any] = {"created": created}
    if author:
        entry["author"] = author
    if created_by is None:
        created_by = " ".join(container_config.get("Cmd") or [])
    if created_by:
        entry["created_by"] = created_by
    if comment:
        entry["comment"] = comment
    if diff_id is None:
        entry["empty_layer"] = True
    out: dict[str, Any] = {
        "architecture": parent.get("architecture") or arch,
        "author": author,
        "comment": comment,
        "config": new_config,
        "container": container_id,
        "container_config": container_config,
        "created": created,
        "docker_version": docker_version,
        "history": [*(parent.get("history") or []), entry],
        "os": parent.get("os") or os_,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    if parent.get("variant"):
        out["variant"] = parent["variant"]
    if parent_id:
        out["parent"] = parent_id
    return {k: v for k, v in out.items() if v not in ("", None) or k == "config"}


def clean_container_config(cfg: dict[str, Any]) -> dict[str, Any]:
    """Drop dockyard's private keys (leading underscore) before a config goes in an image."""
    return {k: v for k, v in cfg.items() if not k.startswith("_")}
