"""`cp` between a container and the host, with docker's path rules in both directions."""

from __future__ import annotations

import io
import os
import sys
from typing import Any

from .common import CLIError, Context, parser
from .inspect import human_size

GO_MODE_DIR = 1 << 31


GO_MODE_SYMLINK = 1 << 27


def split_cp_arg(arg: str) -> tuple[str, str]:
    """ "ctr:/path" -> ("ctr", "/path"); local paths (absolute, ./x, no colon) -> ("", arg)."""
    if arg.startswith("/") or arg.startswith("."):
        return "", arg
    container, sep, path = arg.partition(":")
    if not sep:
        return "", arg
    return container, path


def cp(ctx: Context, argv: list[str]) -> int:
    p = parser(
        "cp",
        usage="dockyard cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"
        "       dockyard cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
    )
    p.add_argument("-a", "--archive", action="store_true")
    p.add_argument("-L", "--follow-link", action="store_true")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("src")
    p.add_argument("dst")
    args = p.parse_args(argv)
    src_ctr, src_path = split_cp_arg(args.src)
    dst_ctr, dst_path = split_cp_arg(args.dst)
    if src_ctr and dst_ctr:
        raise CLIError("copying between containers is not supported", 1)
    if not src_ctr and not dst_ctr:
        raise CLIError("must specify at least one container source", 1)
    if src_ctr:
        size = copy_from_container(ctx, src_ctr, src_path, dst_path, args.follow_link)
    else:
        size = copy_to_container(ctx, src_path, dst_ctr, dst_path, args.archive, args.follow_link)
    # like docker, the summary is for people: only on a terminal
    if not args.quiet and size is not None and dst_path != "-" and sys.stderr.isatty():
        shown = args.dst if dst_ctr else os.path.abspath(dst_path)
        print(f"Successfully copied {human_size(size, 3)} to {shown}", file=sys.stderr)
    return 0


def _ends_with_sep(path: str) -> bool:
    return path.endswith("/") or path.endswith("/.")


def _contents_only(path: str) -> bool:
    return path.endswith("/.") or path == "."


class _Counter(io.RawIOBase):
    """A readable stream over response chunks that counts the bytes it hands out."""

    def __init__(self, chunks: Any) -> None:
        super().__init__()
        self.chunks = chunks
        self.size = 0
        self.buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self.buf:
            chunk = next(self.chunks, b"")
            if not chunk:
                return 0
            self.size += len(chunk)
            self.buf = chunk
        n = min(len(target), len(self.buf))
        target[:n] = self.buf[:n]
        self.buf = self.buf[n:]
        return n


def copy_from_container(ctx: Context, ctr: str, src: str, dst: str, follow: bool) -> int | None:
    import shutil
    import tempfile

    if follow:
        stat = ctx.api.containers.stat_path(ctr, src)
        if stat and stat.get("mode", 0) & GO_MODE_SYMLINK and stat.get("linkTarget"):
            target = stat["linkTarget"]
            src = target if target.startswith("/") else src.rsplit("/", 1)[0] + "/" + target
    stat, resp = ctx.api.containers.get_archive(ctr, src)
    src_is_dir = bool(stat.get("mode", 0) & GO_MODE_DIR)
    if dst == "-":
        out = sys.stdout.buffer
        for chunk in resp.iter_chunks():
            out.write(chunk)
        out.flush()
        return None
    try:
        dst_exists = os.path.isdir(dst) or os.path.lexists(dst.rstrip("/") or "/")
        os.stat(dst) if dst_exists else None
    except NotADirectoryError:
        resp.read()
        raise CLIError(f"stat {os.path.abspath(dst)}/: not a directory", 1) from None
    dst_is_dir = os.path.isdir(dst)
    if not dst_exists:
        if _ends_with_sep(dst) and not src_is_dir:
            resp.read()
            raise CLIError("no such directory", 1)
        parent = os.path.dirname(os.path.abspath(dst.rstrip("/") or "/"))
        if not os.path.isdir(parent):
            resp.read()
            raise CLIError(f'invalid output path: directory "{parent}" does not exist', 1)
    elif not dst_is_dir and src_is_dir:
        resp.read()
        raise CLIError("cannot copy directory", 1)
    base = dst if dst_is_dir else os.path.dirname(os.path.abspath(dst.rstrip("/")))
    staging = tempfile.mkdtemp(prefix=".dockyard-cp-", dir=base)
    counter = _Counter(resp.iter_chunks())
    try:
        _extract_into(counter, staging)
        name = stat.get("name") or os.path.basename(src.rstrip("/")) or "/"
        top = staging if name == "/" else os.path.join(staging, name)
        if not os.path.lexists(top):
            entries = os.listdir(staging)
            top = os.path.join(staging, entries[0]) if len(entries) == 1 else staging
        if dst_is_dir:
            if _contents_only(src) and src_is_dir:
                _merge_children(top, dst)
            else:
                _merge(top, os.path.join(dst, os.path.basename(top)))
        else:
            _merge(top, os.path.abspath(dst.rstrip("/")))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return counter.size


def _extract_into(stream: Any, directory: str) -> None:
    from dockyard.fs.extract import ExtractOptions, extract_stream
    from dockyard.fs.scoped import RootDir

    opts = ExtractOptions(
        chown=(os.getuid(), os.getgid()),
        allow_devices=os.getuid() == 0,
        apply_root_metadata=False,
    )
    try:
        with RootDir(directory) as root:
            extract_stream(stream, root, [], opts)
    except Exception as exc:
        msg = getattr(exc, "message", None) or str(exc)
        raise CLIError(msg, 1) from None


def _merge(src: str, dst: str) -> None:
    """Move src to dst; directories merge into an existing directory (cp -a semantics)."""
    src_dir = os.path.isdir(src) and not os.path.islink(src)
    dst_dir = os.path.isdir(dst) and not os.path.islink(dst)
    if src_dir and dst_dir:
        _merge_children(src, dst)
        return
    if dst_dir:
        raise CLIError(f'cannot overwrite directory "{dst}" with non-directory "{src}"', 1)
    if src_dir and os.path.lexists(dst):
        raise CLIError(f'cannot overwrite non-directory "{dst}" with directory "{src}"', 1)
    os.replace(src, dst)


def _merge_children(src: str, dst: str) -> None:
    for child in os.listdir(src):
        _merge(os.path.join(src, child), os.path.join(dst, child))


def copy_to_container(
    ctx: Context, src: str, ctr: str, dst: str, archive: bool, follow: bool
) -> int | None:
    import tarfile
    import tempfile

    if src == "-":
        stat = ctx.api.containers.stat_path(ctr, dst)
        if stat is None or not stat.get("mode", 0) & GO_MODE_DIR:
            raise CLIError(f'destination "{ctr}:{dst}" must be a directory', 1)
        ctx.api.containers.put_archive(ctr, dst, sys.stdin.buffer, copy_uid_gid=archive)
        return None
    if not os.path.lexists(src.rstrip("/") or "/"):
        raise CLIError(f"lstat {os.path.abspath(src)}: no such file or directory", 1)
    real = os.path.realpath(src) if follow else src
    src_is_dir = os.path.isdir(real) and (follow or not os.path.islink(real))
    if _ends_with_sep(src) and not src_is_dir:
        raise CLIError("not a directory", 1)
    stat = ctx.api.containers.stat_path(ctr, dst)
    if stat is not None and stat.get("mode", 0) & GO_MODE_DIR:
        put_path = dst
        name = None if _contents_only(src) and src_is_dir else os.path.basename(real.rstrip("/"))
        if name in ("", "."):
            name = None
    elif stat is not None:
        if src_is_dir:
            raise CLIError("cannot copy directory", 1)
        put_path, name = _split_dst(dst)
    else:
        if _ends_with_sep(dst) and not src_is_dir:
            raise CLIError("no such directory", 1)
        put_path, name = _split_dst(dst)

    def owner(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.mtime = int(info.mtime)  # a float mtime would cost a PAX header per file
        if not archive:
            info.uid = info.gid = 0
            info.uname = info.gname = ""
        return info

    spool = tempfile.SpooledTemporaryFile(max_size=16 << 20)
    with tarfile.open(fileobj=spool, mode="w", format=tarfile.PAX_FORMAT) as tar:
        top = real.rstrip("/") or "/"
        if name is None:
            for child in sorted(os.listdir(top)):
                tar.add(os.path.join(top, child), arcname=child, filter=owner)
        else:
            tar.add(top, arcname=name, filter=owner)
        end = tar.offset
    # Go's archive/tar ends with two zero blocks; Python pads to a 10 KiB record
    size = end + 2 * tarfile.BLOCKSIZE
    spool.truncate(size)
    spool.seek(0)
    ctx.api.containers.put_archive(ctr, put_path, spool, copy_uid_gid=archive)
    return size


def _split_dst(dst: str) -> tuple[str, str]:
    path = dst.rstrip("/") or "/"
    parent, _, name = path.rpartition("/")
    return parent or "/", name
