"""context ls, create, use, inspect, rm, show: over the docker CLI's own context store."""

from __future__ import annotations

import os
import sys
from typing import Any

from ..client import contexts as store
from ..client.api import DEFAULT_HOST
from .common import CLIError, Context, parser
from .inspect import print_list, print_objects


def _default_host() -> str:
    return os.environ.get("DOCKYARD_HOST") or os.environ.get("DOCKER_HOST") or DEFAULT_HOST


def _document(name: str) -> dict[str, Any]:
    try:
        if name == store.DEFAULT:
            return store.default_context(_default_host())
        return store.load(name)
    except store.ContextError as exc:
        raise CLIError(str(exc)) from None


def _current(ctx: Context) -> str:
    return store.current_name(ctx.context_flag)


def ls(ctx: Context, argv: list[str]) -> int:
    p = parser("context ls", usage="dockyard context ls [OPTIONS]")
    p.add_argument("--format")
    p.add_argument("-q", "--quiet", action="store_true")
    args = p.parse_args(argv)
    current = _current(ctx)
    rows = []
    for name in [store.DEFAULT, *store.names()]:
        doc = _document(name)
        rows.append(
            {
                "Name": name,
                "Current": name == current,
                "Description": (doc.get("Metadata") or {}).get("Description", ""),
                "DockerEndpoint": store.host_of(doc),
                "Error": "",
            }
        )
    if args.quiet:
        print("\n".join(r["Name"] for r in rows))
        return 0
    print_list(rows, args.format, "context")
    return 0


def _endpoint(spec: str) -> tuple[str, bool, str]:
    """--docker "host=...,skip-tls-verify=true,from=ctx" -> (host, skip TLS verify, from)."""
    host, skip, source = "", False, ""
    for item in filter(None, spec.split(",")):
        key, _, value = item.partition("=")
        if key == "host":
            host = value
        elif key == "skip-tls-verify":
            skip = value.lower() in ("1", "t", "true")
        elif key == "from":
            source = value
        elif key in ("ca", "cert", "key"):
            raise CLIError(f"unable to create docker endpoint config: {key}: TLS material is not supported by dockyard")
        else:
            raise CLIError(f"unable to create docker endpoint config: unrecognized config key: {key}")
    return host, skip, source


def create(ctx: Context, argv: list[str]) -> int:
    p = parser("context create", usage="dockyard context create [OPTIONS] CONTEXT")
    p.add_argument("--description", default="")
    p.add_argument("--docker", default=None)
    p.add_argument("--from", dest="source", default="")
    p.add_argument("name")
    args = p.parse_args(argv)
    try:
        store.validate_name(args.name)
    except store.ContextError as exc:
        raise CLIError(str(exc)) from None
    if args.name in store.names():
        raise CLIError(f'context "{args.name}" already exists')
    host, skip, source = _endpoint(args.docker) if args.docker is not None else ("", False, "")
    description = args.description
    if not host:  # copied from --from, from=, or the context in force
        base = _document(args.source or source or _current(ctx))
        endpoint = (base.get("Endpoints") or {}).get("docker") or {}
        host, skip = endpoint.get("Host", ""), bool(endpoint.get("SkipTLSVerify"))
        if args.docker is None:
            description = description or (base.get("Metadata") or {}).get("Description", "")
    store.save(args.name, description, host, skip)
    print(args.name)
    print(f'Successfully created context "{args.name}"', file=sys.stderr)
    return 0


def use(ctx: Context, argv: list[str]) -> int:
    p = parser("context use", usage="dockyard context use CONTEXT")
    p.add_argument("name")
    args = p.parse_args(argv)
    if args.name != store.DEFAULT and args.name not in store.names():
        raise CLIError(f'context "{args.name}" does not exist')
    store.set_current(args.name)
    print(args.name)
    print(f'Current context is now "{args.name}"', file=sys.stderr)
    if os.environ.get("DOCKER_HOST"):
        print(
            "Warning: DOCKER_HOST environment variable overrides the active context. To use "
            "a context, either set the global --context flag, or unset DOCKER_HOST "
            "environment variable.",
            file=sys.stderr,
        )
    return 0


def show(ctx: Context, argv: list[str]) -> int:
    parser("context show", usage="dockyard context show").parse_args(argv)
    print(_current(ctx))
    return 0


def inspect(ctx: Context, argv: list[str]) -> int:
    p = parser("context inspect", usage="dockyard context inspect [OPTIONS] [CONTEXT] [CONTEXT...]")
    p.add_argument("-f", "--format")
    p.add_argument("names", nargs="*")
    args = p.parse_args(argv)
    found, failed = [], []
    for name in args.names or [_current(ctx)]:
        try:
            doc = _document(name)
        except CLIError as exc:
            failed.append(exc.message)
            continue
        in_memory = name == store.DEFAULT
        meta = "<IN MEMORY>" if in_memory else store.meta_dir(name)
        tls = "<IN MEMORY>" if in_memory else store.tls_dir(name)
        if in_memory:
            doc = {**doc, "Metadata": {}}
        found.append({**doc, "TLSMaterial": {}, "Storage": {"MetadataPath": meta, "TLSPath": tls}})
    print_objects(found, args.format)
    if failed:
        raise CLIError("\n".join(failed))
    return 0


def rm(ctx: Context, argv: list[str]) -> int:
    p = parser("context rm", usage="dockyard context rm CONTEXT [CONTEXT...]")
    p.add_argument("-f", "--force", action="store_true")
    p.add_argument("names", nargs="+")
    args = p.parse_args(argv)
    current = store.chosen()
    existing = set(store.names())
    errors = []
    for name in args.names:
        if name == store.DEFAULT:
            errors.append(f'context "{name}" cannot be removed')
        elif name not in existing:
            errors.append(f'context "{name}" does not exist')
        elif name == current and not args.force:
            errors.append(f'context "{name}" is in use, set -f flag to force remove')
        else:
            if name == current:
                store.set_current(store.DEFAULT)
            store.remove(name)
            print(name)
    if errors:
        raise CLIError("\n".join(errors))
    return 0
