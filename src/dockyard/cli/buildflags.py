"""BuildKit-era `build` flags read on the client: --secret and --ssh values (sent to the
daemon in dockyard's build headers) and --build-context (local directories travel in the
context tar); see docs/build.md."""

from __future__ import annotations

import csv
import os
import tarfile
from collections.abc import Callable

from .common import CLIError


def _fields(value: str) -> list[tuple[str, str]]:
    try:
        row = next(csv.reader([value]))
    except (csv.Error, StopIteration):
        raise CLIError(f"failed to parse csv secret: {value}", 1) from None
    out = []
    for field in row:
        key, eq, val = field.partition("=")
        if not eq:
            raise CLIError(f"invalid field '{field}' must be a key=value pair", 1)
        out.append((key.strip().lower(), val))
    return out


def parse_secrets(values: list[str]) -> dict[str, bytes]:
    """`--secret id=ID[,src=FILE|,env=VAR][,type=file|env]` as buildx reads it: with
    neither src nor env, the variable named ID if set, else a file named ID."""
    out: dict[str, bytes] = {}
    for value in values:
        sid = src = env = kind = ""
        for key, val in _fields(value):
            if key == "id":
                sid = val
            elif key in ("src", "source"):
                src = val
            elif key == "env":
                env = val
            elif key == "type":
                if val not in ("file", "env"):
                    raise CLIError(f"unsupported secret type {val!r}", 1)
                kind = val
            else:
                raise CLIError(f"unexpected key '{key}' in '{key}={val}'", 1)
        if kind == "env" and not env:
            env, src = src or sid, ""
        if not src and not env:
            if kind != "file" and sid in os.environ:
                env = sid
            else:
                src = sid
        sid = sid or os.path.basename(src or env)
        if env:
            if env not in os.environ:
                raise CLIError(f"secret env variable {env} not found", 1)
            out[sid] = os.environ[env].encode()
            continue
        try:
            with open(os.path.expanduser(src), "rb") as f:
                out[sid] = f.read()
        except OSError as exc:
            raise CLIError(f"failed to read secret {sid}: {exc.strerror}: {src}", 1) from None
    return out


def parse_ssh(values: list[str]) -> dict[str, str]:
    """`--ssh default|ID=SOCKET`: agent sockets by id (default: $SSH_AUTH_SOCK)."""
    out: dict[str, str] = {}
    for value in values:
        sid, _, path = value.partition("=")
        path = path.split(",")[0]
        if not path:
            path = os.environ.get("SSH_AUTH_SOCK", "")
            if not path:
                raise CLIError("invalid empty ssh agent socket: make sure SSH_AUTH_SOCK is set", 1)
        out[sid or "default"] = os.path.abspath(os.path.expanduser(path))
    return out


def parse_build_contexts(values: list[str]) -> tuple[dict[str, str], list[str]]:
    """--build-context name=DIR|docker-image://REF: the `buildcontexts` query value and
    the local directories, in the order the daemon expects them (sorted names)."""
    specs: dict[str, str] = {}
    for value in values:
        name, eq, source = value.partition("=")
        if not eq or not name or not source:
            raise CLIError(f"invalid context value: {value}, expected key=value", 1)
        specs[name.lower()] = source
    query: dict[str, str] = {}
    local: list[str] = []
    for name in sorted(specs):
        source = specs[name]
        if source.startswith("docker-image://"):
            query[name] = source
        elif "://" in source:
            raise CLIError(
                f"ERROR: unsupported context source {source} for {name} (dockyard takes a "
                "local directory or docker-image://)",
                1,
            )
        elif not os.path.isdir(source):
            raise CLIError(f'ERROR: unable to prepare context: path "{source}" not found', 1)
        else:
            query[name] = "local"
            local.append(source)
    return query, local


def add_named_context(
    tar: tarfile.TarFile,
    path: str,
    prefix: str,
    reset: Callable[[tarfile.TarInfo], tarfile.TarInfo],
) -> None:
    """One local named context into the context tar under `prefix`."""
    tar.add(path, arcname=prefix, recursive=False, filter=reset)
    for root, dirs, files in os.walk(path):
        dirs.sort()
        rel_root = os.path.relpath(root, path)
        for name in [*sorted(dirs), *sorted(files)]:
            rel = name if rel_root == "." else os.path.join(rel_root, name)
            tar.add(
                os.path.join(root, name), arcname=f"{prefix}/{rel}", recursive=False, filter=reset
            )
