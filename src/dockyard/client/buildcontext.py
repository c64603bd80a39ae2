"""A build context directory as the tar stream POST /build takes, honouring .dockerignore.

The Dockerfile may live outside the context or be given inline (compose's
`dockerfile_inline`): it is then added under a generated name, as the docker CLI does.
"""

from __future__ import annotations

import io
import os
import secrets
import tarfile
import tempfile
import time
from typing import BinaryIO

from ..common.dockerignore import DockerIgnore


def _normalised(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mtime = int(info.mtime)
    return info


def _walk(context: str, ignore: DockerIgnore, keep: set[str]) -> list[str]:
    """Relative paths to send, parents before children."""
    out: list[str] = []
    for root, dirs, files in os.walk(context):
        base = os.path.relpath(root, context)
        base = "" if base == "." else base
        subdirs = []
        for d in sorted(dirs):
            rel = os.path.join(base, d)
            if os.path.islink(os.path.join(root, d)):
                files.append(d)
            elif not ignore.excluded(rel):
                out.append(rel)
                subdirs.append(d)
            elif ignore.has_negations:
                subdirs.append(d)  # a later `!pattern` may take back something below
        dirs[:] = subdirs
        out += [
            os.path.join(base, f)
            for f in sorted(files)
            if not ignore.excluded(os.path.join(base, f)) or os.path.join(base, f) in keep
        ]
    return out


def context_tar(
    context: str, dockerfile: str | None = None, inline: bytes | None = None
) -> tuple[BinaryIO, str]:
    """Returns (the tar, spooled and rewound; the Dockerfile's name inside it).

    Args:
        dockerfile: a path (absolute, or relative to the context); None for "Dockerfile".
        inline: the Dockerfile's content, instead of a file.
    """
    name = "Dockerfile"
    extra = inline
    if extra is None and dockerfile:
        path = os.path.join(context, dockerfile)
        if os.path.commonpath([os.path.abspath(path), os.path.abspath(context)]) == (
            os.path.abspath(context)
        ):
            name = os.path.relpath(os.path.abspath(path), os.path.abspath(context))
        else:
            with open(path, "rb") as f:
                extra = f.read()
    if extra is not None:
        name = ".dockerfile." + secrets.token_hex(10)
    spool = tempfile.SpooledTemporaryFile(max_size=32 << 20)
    with tarfile.open(fileobj=spool, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in _walk(context, DockerIgnore.of_context(context), {name, ".dockerignore"}):
            tar.add(os.path.join(context, rel), arcname=rel, recursive=False, filter=_normalised)
        if extra is not None:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(extra), 0o600, int(time.time())
            tar.addfile(info, io.BytesIO(extra))
        end = tar.offset
    spool.truncate(end + 2 * tarfile.BLOCKSIZE)  # Go's archive/tar: two zero blocks, no padding
    spool.seek(0)
    return spool, name  # type: ignore[return-value]
