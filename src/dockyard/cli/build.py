"""`build`: the context tar (honouring .dockerignore) sent to the classic builder.

Every `build` pays for what loads here before the daemon is asked: the common line (a
context directory, tags, a few flags) imports neither argparse nor tarfile, json or typing;
the modules of the rarer flags load when those flags are given.
"""

from __future__ import annotations

import os
import sys

from ..client.buildcontext import context_tar
from .buildflags import parse_args
from .errors import CLIError

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from typing import Any

    from .context import Context

PROGRESS_MODES = ("auto", "plain", "tty", "quiet", "rawjson")


def build(ctx: Context, argv: list[str]) -> int:
    args = parse_args(argv)
    if args.progress not in PROGRESS_MODES:
        raise CLIError(f'invalid progress mode "{args.progress}"', 1)
    args.quiet = args.quiet or args.progress == "quiet"
    output = None
    if args.output:
        from .buildoutput import check_writable, parse_output

        output = parse_output(args.output)
    # `-o -` writes the tar to stdout: the progress goes to stderr
    progress_stream = sys.stderr if output is not None and output.dest == "-" else sys.stdout
    if output is not None:
        check_writable(output)
        args.tag = []  # the result is files, not a tagged image
    build_args: dict[str, str | None] = {}
    for item in args.build_arg:
        key, eq, value = item.partition("=")
        if eq:
            build_args[key] = value
        elif key in os.environ:
            build_args[key] = os.environ[key]
        else:
            build_args[key] = None
    labels = {k: v for k, _, v in (x.partition("=") for x in args.label)}
    contexts: dict[str, str] = {}
    local_contexts: list[str] = []
    if args.build_context:
        from .buildflags import parse_build_contexts

        contexts, local_contexts = parse_build_contexts(args.build_context)
    if local_contexts and (args.context == "-" or "://" in args.context):
        raise CLIError("ERROR: local build contexts need a local main context", 1)
    body: Any
    size = -1
    remote = ""
    if args.context == "-":
        body = sys.stdin.buffer
        df_name = args.file or "Dockerfile"
    elif "://" in args.context or args.context.startswith("git@"):
        body = None
        remote = args.context
        df_name = args.file or "Dockerfile"
    else:
        body, df_name, size = _local_context(args.context, args.file, local_contexts)
    memory = shm_size = None
    if args.memory or args.shm_size:
        from .flags import FlagError, ram_in_bytes

        if args.memory:
            try:
                memory = ram_in_bytes(args.memory)
            except FlagError as exc:
                from .buildflags import build_parser

                build_parser().error(str(exc))
        if args.shm_size:
            shm_size = ram_in_bytes(args.shm_size)
    if size >= 0 and not args.quiet:
        from dockyard.common.humanize import human_size

        print(f"Sending build context to Docker daemon  {human_size(size)}", file=progress_stream)
    messages = ctx.api.build.build(
        body,
        dockerfile=df_name,
        tags=args.tag,
        remote=remote,
        buildargs=build_args,
        labels=labels,
        target=args.target,
        nocache=args.no_cache,
        pull=args.pull,
        quiet=args.quiet,
        forcerm=args.force_rm,
        rm=args.rm.lower() not in ("false", "0"),
        platform=args.platform,
        networkmode=args.network or "",
        extrahosts=args.add_host,
        cachefrom=_cache_values(args.cache_from),
        cacheto=_cache_values(args.cache_to),
        memory=memory,
        shmsize=shm_size,
        cpushares=args.cpu_shares or None,
        registry_config=_registry_config(),
        secrets=_secrets(args.secret),
        ssh=_ssh(args.ssh),
        check=args.check,
        buildcontexts=contexts,
    )
    from .progress import StreamError, display_stream

    out: Any = _NullOut() if args.quiet else progress_stream
    if args.progress == "plain" and not args.quiet:
        from .buildprogress import PlainProgress

        # BuildKit writes its progress to stderr, a failed step with its Dockerfile lines
        out = PlainProgress(sys.stderr, *_dockerfile_text(args.context, args.file))
    try:
        aux = display_stream(messages, out, out.isatty())
    except StreamError as exc:
        if args.progress == "plain" and not args.quiet:
            out.fail(str(exc))
            print(f"ERROR: failed to solve: {exc}", file=sys.stderr)
            return exc.code or 1
        print(exc, file=sys.stderr)
        return exc.code  # Docker: the failed step's exit status
    if args.progress == "plain" and not args.quiet:
        out.finish(aux.get("ID") or "")
    image_id = aux.get("ID") or (out.last_id if args.quiet else "")
    if args.iidfile and image_id:
        with open(args.iidfile, "w") as f:
            f.write(image_id)
    if args.metadata_file and image_id:
        from .buildoutput import write_metadata

        write_metadata(args.metadata_file, image_id, args.tag)
    if output is not None and image_id:
        from .buildoutput import write_output

        write_output(ctx, output, image_id)
    if args.quiet and image_id:
        print(image_id)
    return 0


def _local_context(
    context: str, dockerfile: str | None, named: list[str]
) -> tuple[Any, str, int]:
    """(tar, Dockerfile name in it, size) of a context directory; -f is a path relative
    to the working directory, else to the context, or "-" for stdin."""
    if not os.path.isdir(context):
        raise CLIError(f'unable to prepare context: path "{context}" not found', 1)
    inline = None
    if dockerfile == "-":
        inline = sys.stdin.buffer.read()
        dockerfile = None
    elif dockerfile:
        if not os.path.isabs(dockerfile) and not os.path.exists(dockerfile):
            dockerfile = os.path.join(context, dockerfile)
        dockerfile = os.path.abspath(dockerfile)
    elif not os.path.exists(os.path.join(context, "Dockerfile")):
        raise CLIError(
            f"unable to prepare context: unable to evaluate symlinks in Dockerfile path: "
            f"lstat {os.path.abspath(os.path.join(context, 'Dockerfile'))}: no such file or "
            "directory",
            1,
        )
    return context_tar(context, dockerfile, inline, named)


def _registry_config() -> str:
    """X-Registry-Config: the stored credentials of every registry (for FROM pulls)."""
    from dockyard.common import dockerconfig

    try:
        auths = dockerconfig.load().get("auths") or {}
    except dockerconfig.ConfigError as exc:
        raise CLIError(str(exc), 1) from None
    configs = {
        server: dockerconfig.auth_config(entry, server)
        for server, entry in auths.items()
        if entry.get("auth")
    }
    return dockerconfig.encode_header(configs) if configs else "e30="  # base64url of {}


def _cache_values(values: list[str]) -> list[str]:
    if not values:
        return []
    from .buildcache import cache_values

    return cache_values(values)


def _secrets(values: list[str]) -> dict[str, bytes]:
    if not values:
        return {}
    from .buildflags import parse_secrets

    return parse_secrets(values)


def _ssh(values: list[str]) -> dict[str, str]:
    if not values:
        return {}
    from .buildflags import parse_ssh

    return parse_ssh(values)


def _dockerfile_text(context: str, dockerfile: str | None) -> tuple[str, str]:
    """(text, name) of a local Dockerfile, for BuildKit's excerpt of a failed step."""
    if dockerfile == "-" or "://" in context or context == "-":
        return "", "Dockerfile"
    path = dockerfile or os.path.join(context, "Dockerfile")
    if dockerfile and not os.path.isabs(path) and not os.path.exists(path):
        path = os.path.join(context, dockerfile)
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read(), os.path.basename(path)
    except OSError:
        return "", "Dockerfile"


class _NullOut:
    """Swallows build output for -q, remembering an image ID a daemon printed."""

    last_id = ""

    def write(self, text: str) -> int:
        if text.strip().startswith("sha256:"):
            self.last_id = text.strip()
        return 0

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def prune(ctx: Context, argv: list[str]) -> int:
    """`builder prune`: the classic builder's cache."""
    from .common import parser
    from .flags import FlagError, ram_in_bytes
    from .shared import confirm, parse_filters, print_deleted

    p = parser("builder prune")
    p.add_argument("-a", "--all", action="store_true")
    p.add_argument("--filter", action="append", default=[])
    p.add_argument("-f", "--force", action="store_true")
    p.add_argument("--keep-storage", default="0")
    args = p.parse_args(argv)
    try:
        keep = ram_in_bytes(args.keep_storage)
    except FlagError as exc:
        p.error(f'invalid argument "{args.keep_storage}" for "--keep-storage" flag: {exc}')
    what = "all build cache" if args.all else "all dangling build cache"
    if not args.force and not confirm(
        f"WARNING! This will remove {what}.\nAre you sure you want to continue?"
    ):
        return 0
    doc = ctx.api.build.prune(parse_filters(args.filter), args.all, keep)
    print_deleted("build cache objects", doc.get("CachesDeleted") or [], doc.get("SpaceReclaimed") or 0)
    return 0
