"""Compose files to a Project: find and read the files, interpolate, validate, resolve
`include` and `extends`, merge, then normalise (normalize.py). No daemon, no client.

Order as Compose v2: each file is parsed (YAML 1.2), interpolated, type-cast and validated
on its own, turned into canonical form and extended; then the files are merged in order.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from . import canonical, dotenv, filecache, normalize, progress, schema
from .errors import ComposeError
from .interpolate import InterpolationError, substitute
from .merge import merge
from .paths import resolve_service_paths
from .project import Project, check_name, normalize_name

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_FILES = (
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
)


class LoadOptions:
    def __init__(
        self,
        files: list[str] | None = None,
        project_name: str | None = None,
        project_directory: str | None = None,
        env_files: list[str] | None = None,
        profiles: list[str] | None = None,
        interpolate: bool = True,
        environ: Mapping[str, str] | None = None,
        cwd: str | None = None,
        stdin: TextIO | None = None,
        warn: Callable[[str], None] = progress.warn,
    ) -> None:
        self.files = files if files is not None else []
        self.project_name = project_name
        self.project_directory = project_directory
        self.env_files = env_files
        self.profiles = profiles if profiles is not None else []
        self.interpolate = interpolate
        self.environ = environ if environ is not None else dict(os.environ)
        self.cwd = cwd if cwd is not None else os.getcwd()
        self.stdin = stdin
        self.warn = warn


def find_files(opts: LoadOptions, env: Mapping[str, str]) -> list[str]:
    """`-f` files, then COMPOSE_FILE, then compose.yaml & co. in the directory or a parent."""
    if opts.files:
        return [f if f == "-" else os.path.join(opts.cwd, f) for f in opts.files]
    if env.get("COMPOSE_FILE"):
        sep = env.get("COMPOSE_PATH_SEPARATOR", os.pathsep)
        return [os.path.join(opts.cwd, f) for f in env["COMPOSE_FILE"].split(sep) if f]
    directory = opts.project_directory or opts.cwd
    while True:
        for name in DEFAULT_FILES:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate):
                found = [candidate]
                for override in OVERRIDE_FILES:
                    path = os.path.join(directory, override)
                    if os.path.isfile(path):
                        found.append(path)
                        break
                return found
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    raise ComposeError("no configuration file provided: not found")


def project_environment(opts: LoadOptions, project_dir: str) -> dict[str, str]:
    """The variables interpolation sees: the env files (default `.env`), then the
    process environment, which wins."""
    if opts.env_files:
        paths = [os.path.join(opts.cwd, p) for p in opts.env_files]
        required = True
    else:
        paths = [os.path.join(project_dir, ".env")]
        required = False
    try:
        from_files = dotenv.read_files(paths, opts.environ, required=required)
    except dotenv.DotenvError as exc:
        raise ComposeError(str(exc)) from None
    return {**from_files, **opts.environ}


def load(opts: LoadOptions) -> Project:
    first_env = dict(opts.environ)
    files = find_files(opts, first_env)
    first = files[0]
    if opts.project_directory:
        project_dir = os.path.abspath(os.path.join(opts.cwd, opts.project_directory))
    elif first == "-":
        project_dir = opts.cwd
    else:
        project_dir = os.path.dirname(os.path.abspath(first))
    env = project_environment(opts, project_dir)
    if not opts.files and "COMPOSE_FILE" in env and "COMPOSE_FILE" not in first_env:
        files = find_files(opts, env)
    reader = _Reader(opts, env)
    merged: dict[str, Any] = {}
    for path in files:
        doc = reader.file(path, project_dir)
        merged = merge(merged, doc) if merged else doc
    name = _project_name(opts, env, merged, project_dir)
    profiles = opts.profiles or [p for p in env.get("COMPOSE_PROFILES", "").split(",") if p]
    config_files = [os.path.abspath(f) if f != "-" else "-" for f in files]
    return normalize.project(merged, name, project_dir, env, profiles, config_files)


def load_model(opts: LoadOptions) -> dict[str, Any]:
    """`config --no-interpolate`: the files merged as written (no interpolation, no canonical
    forms), with only the project name and default network filled in, as Compose prints it."""
    files = find_files(opts, opts.environ)
    project_dir = (
        os.path.abspath(os.path.join(opts.cwd, opts.project_directory))
        if opts.project_directory
        else (opts.cwd if files[0] == "-" else os.path.dirname(os.path.abspath(files[0])))
    )
    env = project_environment(opts, project_dir)
    reader = _Reader(opts, env)
    doc: dict[str, Any] = {}
    for path in files:
        raw = reader.raw(path)
        doc = merge(doc, raw) if doc else raw
    doc.pop("version", None)
    doc["name"] = _project_name(opts, env, doc, project_dir)
    uses_default = False
    for svc in (doc.get("services") or {}).values():
        if not svc.get("network_mode") and not svc.get("networks"):
            svc["networks"] = {"default": None}
        uses_default = uses_default or "default" in (svc.get("networks") or {})
    if uses_default:
        nets = doc.setdefault("networks", {})
        nets["default"] = {"name": f"{doc['name']}_default", **(nets.get("default") or {})}
    return doc


def _project_name(
    opts: LoadOptions, env: Mapping[str, str], doc: dict[str, Any], project_dir: str
) -> str:
    if opts.project_name:
        return check_name(opts.project_name)
    if env.get("COMPOSE_PROJECT_NAME"):
        return check_name(env["COMPOSE_PROJECT_NAME"])
    if doc.get("name"):
        return check_name(str(doc["name"]))
    name = normalize_name(os.path.basename(project_dir.rstrip("/")) or "default")
    if not name:
        raise ComposeError(f'project name must not be empty (directory "{project_dir}")')
    return name


class _Reader:
    """Reads one file into its canonical, extended form; follows `include`."""

    def __init__(self, opts: LoadOptions, env: Mapping[str, str]) -> None:
        self.opts = opts
        self.env = env
        self.including: list[str] = []

    def raw(self, path: str) -> dict[str, Any]:
        if path == "-":
            text = (self.opts.stdin or sys.stdin).read()
            label = "-"
        else:
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
            except FileNotFoundError:
                raise ComposeError(f"open {path}: no such file or directory") from None
            label = path
        doc = filecache.parse_yaml(text)
        if doc is None:
            doc = {}
        if not isinstance(doc, dict):
            raise ComposeError(f"validating {label}: top-level object must be a mapping")
        return doc

    def file(
        self, path: str, project_dir: str, env: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        label = path
        env = self.env if env is None else env
        doc = self.raw(path)
        if self.opts.interpolate:
            doc = _interpolate(doc, env, self.opts.warn)
        doc = schema.cast_types(doc)
        schema.validate(doc, label)
        if "version" in doc:
            self.opts.warn(
                f"{label}: the attribute `version` is obsolete, it will be ignored, "
                "please remove it to avoid potential confusion"
            )
            doc.pop("version")
        doc = canonical.document(doc)
        base_dir = project_dir if path == "-" else os.path.dirname(path)
        doc["services"] = {
            name: self.extended(doc, name, base_dir, project_dir, env, [])
            for name in doc["services"]
        }
        for item in doc.pop("include", None) or []:
            self.include(doc, item, base_dir)
        return doc

    def extended(
        self,
        doc: dict[str, Any],
        name: str,
        file_dir: str,
        project_dir: str,
        env: Mapping[str, str],
        chain: list[str],
    ) -> dict[str, Any]:
        svc = doc["services"][name]
        ext = svc.get("extends")
        if not ext:
            return svc
        ext = {"service": ext} if isinstance(ext, str) else ext
        key = f"{ext.get('file', '')}:{ext['service']}"
        if key in chain:
            raise ComposeError(f"circular reference with extends in {name}")
        if ext.get("file"):
            base_path = os.path.join(file_dir, ext["file"])
            other = self.raw(base_path)
            if self.opts.interpolate:
                other = _interpolate(other, env, self.opts.warn)
            other = canonical.document(schema.cast_types(other))
            if ext["service"] not in other["services"]:
                raise ComposeError(
                    f"cannot extend service {name!r} in {base_path}: "
                    f"service {ext['service']!r} not found"
                )
            other_dir = os.path.dirname(base_path)
            base = self.extended(other, ext["service"], other_dir, project_dir, env, [*chain, key])
            base = resolve_service_paths(base, other_dir, env)
        else:
            if ext["service"] not in doc["services"]:
                raise ComposeError(
                    f"cannot extend service {name!r}: service {ext['service']!r} not found"
                )
            base = self.extended(doc, ext["service"], file_dir, project_dir, env, [*chain, key])
        base = {k: v for k, v in base.items() if k not in ("depends_on", "extends")}
        own = {k: v for k, v in svc.items() if k != "extends"}
        return merge(base, own, ("services", name))

    def include(self, doc: dict[str, Any], item: Any, base_dir: str) -> None:
        spec = {"path": item} if isinstance(item, str) else dict(item)
        paths = spec["path"] if isinstance(spec["path"], list) else [spec["path"]]
        paths = [os.path.join(base_dir, p) for p in paths]
        inc_dir = os.path.join(base_dir, spec.get("project_directory") or os.path.dirname(paths[0]))
        env_paths = spec.get("env_file")
        env_paths = [env_paths] if isinstance(env_paths, str) else env_paths
        env_paths = [os.path.join(base_dir, p) for p in env_paths or []] or [
            os.path.join(inc_dir, ".env")
        ]
        if any(p in self.including for p in paths):
            raise ComposeError(f"include cycle detected: {' -> '.join([*self.including, *paths])}")
        try:
            inc_env = {
                **dotenv.read_files(env_paths, self.opts.environ, required=False),
                **self.opts.environ,
            }
        except dotenv.DotenvError as exc:
            raise ComposeError(str(exc)) from None
        self.including.extend(paths)
        included: dict[str, Any] = {}
        for path in paths:
            part = self.file(path, inc_dir, inc_env)
            included = merge(included, part) if included else part
        del self.including[-len(paths) :]
        for name, svc in included.get("services", {}).items():
            if name in doc["services"]:
                raise ComposeError(f"services.{name} conflicts with imported resource")
            doc["services"][name] = resolve_service_paths(svc, inc_dir, inc_env)
        for kind in ("networks", "volumes", "secrets", "configs"):
            for key, res in (included.get(kind) or {}).items():
                mine = doc.setdefault(kind, {})
                if key in mine and mine[key] != res:
                    raise ComposeError(f"{kind}.{key} conflicts with imported resource")
                if res.get("file"):
                    res = {**res, "file": os.path.join(inc_dir, res["file"])}
                mine[key] = res


def _interpolate(doc: Any, env: Mapping[str, str], warn: Callable[[str], None]) -> Any:
    lookup = env.get

    def walk(node: Any, path: str) -> Any:
        if isinstance(node, str):
            try:
                return substitute(node, lookup, warn)
            except InterpolationError as exc:
                raise ComposeError(f"error while interpolating {path}: {exc}") from None
        if isinstance(node, dict):
            return {k: walk(v, f"{path}.{k}" if path else str(k)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, f"{path}.[]") for v in node]
        return node

    return walk(doc, "")
