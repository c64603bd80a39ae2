"""A build context directory as the tar stream POST /build takes, honouring .dockerignore;
the one writer of it for `build` and compose.

The Dockerfile may live outside the context, come from stdin or be given inline (compose's
`dockerfile_inline`): it is then added under a generated name, as the docker CLI does.
Local named contexts (--build-context name=DIR) go in under .dockyard-contexts/<index>/.

The archive is written here, not with tarfile: `tarfile` (with shutil, bz2 and lzma) costs
~10 ms of every `build` before anything is read. The format is what tarfile writes in PAX
mode: ustar headers (owner 0:0, no names), a PAX record for what does not fit, hard links
as links, and two zero blocks at the end (Go's archive/tar; no padding to a record).
"""

from __future__ import annotations

import os
import stat
import sys
import time

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from typing import BinaryIO

    from ..common.dockerignore import DockerIgnore

BLOCK = 512
NAMED_PREFIX = ".dockyard-contexts"
_SPOOL_MAX = 32 << 20  # kept in memory up to this size, then in an unlinked temp file
_CHUNK = 1 << 20
_TYPES = {stat.S_IFREG: b"0", stat.S_IFLNK: b"2", stat.S_IFCHR: b"3", stat.S_IFBLK: b"4",
          stat.S_IFDIR: b"5", stat.S_IFIFO: b"6"}  # fmt: skip


def _octal(value: int, width: int) -> bytes:
    return b"%0*o\0" % (width - 1, value)


def _pax_records(fields: dict[str, str]) -> bytes:
    out = b""
    for key, value in fields.items():
        body = f" {key}={value}\n".encode("utf-8", "surrogateescape")
        n = len(body) + 1
        while len(str(n)) + len(body) != n:
            n = len(str(n)) + len(body)
        out += str(n).encode() + body
    return out


def _ustar(
    name: bytes, mode: int, size: int, mtime: int, kind: bytes, link: bytes = b"",
    major: int = 0, minor: int = 0,
) -> bytes:  # fmt: skip
    dev = _octal(major, 8) + _octal(minor, 8) if kind in (b"3", b"4") else b"\0" * 16
    head = b"".join((
        name.ljust(100, b"\0"), _octal(mode, 8), _octal(0, 8), _octal(0, 8),
        _octal(size, 12), _octal(mtime, 12), b" " * 8, kind, link.ljust(100, b"\0"),
        b"ustar\x0000", b"\0" * 64, dev, b"\0" * 155,
    )).ljust(BLOCK, b"\0")  # fmt: skip
    chksum = b"%06o\0 " % sum(head)
    return head[:148] + chksum + head[156:]


def header(
    name: str, mode: int, size: int, mtime: int, kind: bytes, link: str = "",
    major: int = 0, minor: int = 0,
) -> bytes:  # fmt: skip
    """One member's header (a PAX record first when the name, link, size or time do not
    fit ustar's fields)."""
    pax: dict[str, str] = {}
    if len(name) > 100 or not name.isascii():
        pax["path"] = name
    if len(link) > 100 or not link.isascii():
        pax["linkpath"] = link
    raw_name = name.encode("ascii", "replace")[:100]  # what does not fit is in the record
    raw_link = link.encode("ascii", "replace")[:100]
    if size >= 8**11:
        pax["size"], size = str(size), 0
    if not 0 <= mtime < 8**11:
        pax["mtime"], mtime = str(mtime), 0
    out = b""
    if pax:
        records = _pax_records(pax)
        out = _ustar(b"././@PaxHeader", 0, len(records), 0, b"x")
        out += records + b"\0" * (-len(records) % BLOCK)
    return out + _ustar(raw_name, mode, size, mtime, kind, raw_link, major, minor)


class _Spool:
    """The archive as it is written: in memory while small, then in an unlinked file."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.file: BinaryIO | None = None

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.file is not None:
            self.file.write(data)
            return
        self.parts.append(data)
        if self.size > _SPOOL_MAX:
            import tempfile

            self.file = tempfile.TemporaryFile()
            for part in self.parts:
                self.file.write(part)
            self.parts = []

    def body(self) -> bytes | BinaryIO:
        if self.file is None:
            return b"".join(self.parts)
        self.file.seek(0)
        return self.file


class _Writer:
    """Members from the file system, as tarfile.add(recursive=False) adds them."""

    def __init__(self, out: _Spool) -> None:
        self.out = out
        self.inodes: dict[tuple[int, int], str] = {}  # hard links: the first name seen

    def add(self, path: str, arcname: str) -> None:
        st = os.lstat(path)
        fmt = stat.S_IFMT(st.st_mode)
        kind = _TYPES.get(fmt)
        if kind is None:  # a socket: tarfile skips it too
            print(f"tarfile: Unsupported type {path!r}", file=sys.stderr)
            return
        mode, mtime = stat.S_IMODE(st.st_mode), int(st.st_mtime)
        if fmt == stat.S_IFDIR:
            self.out.write(header(arcname.rstrip("/") + "/", mode, 0, mtime, kind))
            return
        if fmt == stat.S_IFREG and st.st_nlink > 1:
            first = self.inodes.setdefault((st.st_dev, st.st_ino), arcname)
            if first != arcname:
                self.out.write(header(arcname, mode, 0, mtime, b"1", first))
                return
        if fmt == stat.S_IFLNK:
            self.out.write(header(arcname, mode, 0, mtime, kind, os.readlink(path)))
        elif fmt in (stat.S_IFCHR, stat.S_IFBLK):
            major, minor = os.major(st.st_rdev), os.minor(st.st_rdev)
            self.out.write(header(arcname, mode, 0, mtime, kind, "", major, minor))
        elif fmt == stat.S_IFIFO:
            self.out.write(header(arcname, mode, 0, mtime, kind))
        else:
            self.out.write(header(arcname, mode, st.st_size, mtime, kind))
            self._content(path, st.st_size)

    def _content(self, path: str, size: int) -> None:
        left = size
        with open(path, "rb") as f:
            while left > 0:
                data = f.read(min(left, _CHUNK))
                if not data:
                    raise OSError(f"{path}: file changed size while it was read")
                self.out.write(data)
                left -= len(data)
        if size % BLOCK:
            self.out.write(b"\0" * (BLOCK - size % BLOCK))

    def add_bytes(self, arcname: str, data: bytes, mode: int, mtime: int) -> None:
        self.out.write(header(arcname, mode, len(data), mtime, b"0"))
        self.out.write(data + b"\0" * (-len(data) % BLOCK))


def _ignore_rules(context: str) -> DockerIgnore | None:
    """The context's .dockerignore (its regexes load only when there is one)."""
    if not os.path.lexists(os.path.join(context, ".dockerignore")):
        return None
    from ..common.dockerignore import DockerIgnore

    return DockerIgnore.of_context(context)


def _walk(context: str, ignore: DockerIgnore | None, keep: set[str]) -> list[str]:
    """Relative paths to send, parents before children."""

    def excluded(rel: str) -> bool:
        return ignore is not None and ignore.excluded(rel)

    out: list[str] = []
    for root, dirs, files in os.walk(context):
        base = os.path.relpath(root, context)
        base = "" if base == "." else base
        subdirs = []
        for d in sorted(dirs):
            rel = os.path.join(base, d)
            if os.path.islink(os.path.join(root, d)):
                files.append(d)
            elif not excluded(rel):
                out.append(rel)
                subdirs.append(d)
            elif (ignore is not None and ignore.has_negations) or any(
                k.startswith(rel + "/") for k in keep
            ):
                subdirs.append(d)  # a `!pattern` (or the Dockerfile) may be below
        dirs[:] = subdirs
        for f in sorted(files):
            rel = os.path.join(base, f)
            if not excluded(rel) or rel in keep:
                out.append(rel)
    return out


def _add_named(w: _Writer, path: str, prefix: str) -> None:
    """One local named context under `prefix` (no .dockerignore of its own)."""
    w.add(path, prefix)
    for root, dirs, files in os.walk(path):
        dirs.sort()
        rel_root = os.path.relpath(root, path)
        for name in [*dirs, *sorted(files)]:
            rel = name if rel_root == "." else os.path.join(rel_root, name)
            w.add(os.path.join(root, name), f"{prefix}/{rel}")


def context_tar(
    context: str,
    dockerfile: str | None = None,
    inline: bytes | None = None,
    named: list[str] | None = None,
) -> tuple[bytes | BinaryIO, str, int]:
    """Returns (the tar: bytes, or a rewound file when large; the Dockerfile's name inside
    it; its size).

    Args:
        dockerfile: a path (absolute, or relative to the context); None for "Dockerfile".
        inline: the Dockerfile's content, instead of a file (stdin, compose's inline).
        named: local named contexts' directories, in the order the daemon numbers them.
    """
    name = "Dockerfile"
    extra = inline
    if extra is None and dockerfile:
        path = os.path.abspath(os.path.join(context, dockerfile))
        ctx_abs = os.path.abspath(context)
        if os.path.commonpath([path, ctx_abs]) == ctx_abs:
            name = os.path.relpath(path, ctx_abs)
        else:
            with open(path, "rb") as f:
                extra = f.read()
    if extra is not None:
        name = ".dockerfile." + os.urandom(10).hex()
    spool = _Spool()
    w = _Writer(spool)
    for rel in _walk(context, _ignore_rules(context), {name, ".dockerignore"}):
        w.add(os.path.join(context, rel), rel)
    for index, path in enumerate(named or []):
        _add_named(w, path, f"{NAMED_PREFIX}/{index}")
    if extra is not None:
        w.add_bytes(name, extra, 0o600, int(time.time()))
    spool.write(b"\0" * (2 * BLOCK))
    return spool.body(), name, spool.size
