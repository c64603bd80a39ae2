"""`build`: the context tar (honouring .dockerignore) sent to the classic builder."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from dockyard.common import dockerconfig

from .buildcache import cache_values
from .buildflags import add_named_context, parse_build_contexts, parse_secrets, parse_ssh
from .buildoutput import check_writable, parse_output, write_metadata, write_output
from .buildprogress import PlainProgress
from .common import CLIError, Context, parser
from .flags import FlagError, ram_in_bytes
from .inspect import human_size
from .progress import StreamError, display_stream
from .registry import load_config


def context_tar(
    context: str, dockerfile: str | None, named: list[str] | None = None
) -> tuple[Any, str]:
    """Tar the build context honouring .dockerignore; returns (file, Dockerfile name in it).
    `named` local build contexts go in under .dockyard-contexts/<index>/."""
    import tarfile
    import tempfile

    from dockyard.common.dockerignore import DockerIgnore

    ignore = DockerIgnore.of_context(context)
    spool = tempfile.SpooledTemporaryFile(max_size=32 << 20)
    df_name = "Dockerfile"
    extra: bytes | None = None
    if dockerfile == "-":
        extra = sys.stdin.buffer.read()
    elif dockerfile:
        df_abs = os.path.abspath(dockerfile)
        ctx_abs = os.path.abspath(context)
        if os.path.commonpath([df_abs, ctx_abs]) == ctx_abs:
            df_name = os.path.relpath(df_abs, ctx_abs)
        else:
            with open(df_abs, "rb") as f:
                extra = f.read()
    if extra is not None:
        import secrets

        df_name = ".dockerfile." + secrets.token_hex(10)
    always = {df_name, ".dockerignore"}

    def reset(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = int(info.mtime)
        return info

    with tarfile.open(fileobj=spool, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for root, dirs, files in os.walk(context):
            rel_root = os.path.relpath(root, context)
            rel_root = "" if rel_root == "." else rel_root
            keep_dirs = []
            for d in sorted(dirs):
                rel = os.path.join(rel_root, d)
                full = os.path.join(root, d)
                if os.path.islink(full):
                    files.append(d)
                    continue
                if ignore.excluded(rel) and not ignore.has_negations:
                    continue
                if not ignore.excluded(rel):
                    tar.add(full, arcname=rel, recursive=False, filter=reset)
                keep_dirs.append(d)
            dirs[:] = keep_dirs
            for name in sorted(files):
                rel = os.path.join(rel_root, name)
                if ignore.excluded(rel) and rel not in always:
                    continue
                tar.add(os.path.join(root, name), arcname=rel, recursive=False, filter=reset)
        for index, path in enumerate(named or []):
            add_named_context(tar, path, f".dockyard-contexts/{index}", reset)
        if extra is not None:
            info = tarfile.TarInfo(df_name)
            info.size = len(extra)
            info.mode = 0o600
            info.mtime = int(time.time())
            import io

            tar.addfile(info, io.BytesIO(extra))
        end = tar.offset
    # Go's archive/tar ends with two zero blocks; Python pads to a 10 KiB record
    spool.truncate(end + 2 * tarfile.BLOCKSIZE)
    spool.seek(0)
    return spool, df_name


def build(ctx: Context, argv: list[str]) -> int:
    p = parser("build", usage="dockyard build [OPTIONS] PATH | URL | -")
    p.add_argument("--add-host", action="append", default=[])
    p.add_argument("--build-arg", action="append", default=[])
    p.add_argument("--cache-from", action="append", default=[])
    p.add_argument("--cache-to", action="append", default=[])
    p.add_argument("--cpu-shares", "-c", type=int)
    p.add_argument("-f", "--file")
    p.add_argument("--force-rm", action="store_true")
    p.add_argument("--iidfile")
    p.add_argument("--label", action="append", default=[])
    p.add_argument("-m", "--memory")
    p.add_argument("--network")
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--platform", default="")
    p.add_argument("--pull", action="store_true")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("--rm", default="true")
    p.add_argument("--shm-size")
    p.add_argument("-t", "--tag", action="append", default=[])
    p.add_argument("--target", default="")
    p.add_argument("--progress", default="auto", help="Set type of progress output")
    p.add_argument("--secret", action="append", default=[])
    p.add_argument("--ssh", action="append", default=[])
    p.add_argument("-o", "--output", action="append", default=[])
    p.add_argument("--metadata-file")
    p.add_argument("--check", action="store_true")
    p.add_argument("--build-context", action="append", default=[])
    p.add_argument("context")
    args = p.parse_args(argv)
    if args.progress not in ("auto", "plain", "tty", "quiet", "rawjson"):
        raise CLIError(f'invalid progress mode "{args.progress}"', 1)
    args.quiet = args.quiet or args.progress == "quiet"
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
    contexts, local_contexts = parse_build_contexts(args.build_context)
    if local_contexts and (args.context == "-" or "://" in args.context):
        raise CLIError("ERROR: local build contexts need a local main context", 1)
    body: Any
    remote = ""
    if args.context == "-":
        body = sys.stdin.buffer
        df_name = args.file or "Dockerfile"
    elif "://" in args.context or args.context.startswith("git@"):
        body = None
        remote = args.context
        df_name = args.file or "Dockerfile"
    else:
        if not os.path.isdir(args.context):
            raise CLIError(f'unable to prepare context: path "{args.context}" not found', 1)
        dockerfile = args.file
        if dockerfile and dockerfile != "-" and not os.path.isabs(dockerfile):
            if not os.path.exists(dockerfile):
                dockerfile = os.path.join(args.context, dockerfile)
        elif not dockerfile:
            dockerfile = os.path.join(args.context, "Dockerfile")
            if not os.path.exists(dockerfile):
                raise CLIError(
                    f"unable to prepare context: unable to evaluate symlinks in Dockerfile path: "
                    f"lstat {os.path.abspath(dockerfile)}: no such file or directory",
                    1,
                )
        body, df_name = context_tar(args.context, dockerfile, local_contexts)
    memory = shm_size = None
    if args.memory:
        try:
            memory = ram_in_bytes(args.memory)
        except FlagError as exc:
            p.error(str(exc))
    if args.shm_size:
        shm_size = ram_in_bytes(args.shm_size)
    cfg_auths = load_config().get("auths") or {}
    configs = {}
    for server, entry in cfg_auths.items():
        if entry.get("auth"):
            configs[server] = dockerconfig.auth_config(entry, server)
    if body is not None and body is not sys.stdin.buffer and not args.quiet:
        size = body.seek(0, os.SEEK_END)
        body.seek(0)
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
        cachefrom=cache_values(args.cache_from),
        cacheto=cache_values(args.cache_to),
        memory=memory,
        shmsize=shm_size,
        cpushares=args.cpu_shares or None,
        registry_config=dockerconfig.encode_header(configs),
        secrets=parse_secrets(args.secret),
        ssh=parse_ssh(args.ssh),
        check=args.check,
        buildcontexts=contexts,
    )
    out: Any = _NullOut() if args.quiet else progress_stream
    if args.progress == "plain" and not args.quiet:
        # BuildKit writes its progress to stderr, a failed step with its Dockerfile lines
        out = PlainProgress(sys.stderr, *_dockerfile_text(args.context, args.file))
    try:
        aux = display_stream(messages, out, out.isatty())
    except StreamError as exc:
        if isinstance(out, PlainProgress):
            out.fail(str(exc))
            print(f"ERROR: failed to solve: {exc}", file=sys.stderr)
            return exc.code or 1
        print(exc, file=sys.stderr)
        return exc.code  # Docker: the failed step's exit status
    if isinstance(out, PlainProgress):
        out.finish(aux.get("ID") or "")
    image_id = aux.get("ID") or (out.last_id if args.quiet else "")
    if args.iidfile and image_id:
        with open(args.iidfile, "w") as f:
            f.write(image_id)
    if args.metadata_file and image_id:
        write_metadata(args.metadata_file, image_id, args.tag)
    if output is not None and image_id:
        write_output(ctx, output, image_id)
    if args.quiet and image_id:
        print(image_id)
    return 0


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
