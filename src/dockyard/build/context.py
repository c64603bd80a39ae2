"""The build context: the client's tar unpacked in a private directory, .dockerignore
applied, and content hashes of COPY/ADD sources for the build cache."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import posixpath
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from dockyard.common.dockerignore import DockerIgnore
from dockyard.fs.rootpath import extract_into_root

from ..errors import InvalidParameter


class BuildContext:
    """An unpacked context directory; remove it with close()."""

    def __init__(self, tmp_root: Path) -> None:
        tmp_root.mkdir(parents=True, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix="build-", dir=tmp_root))
        self.root = self.dir / "ctx"
        self.root.mkdir(mode=0o755)
        self.ignore = DockerIgnore()

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def extract(self, tar: BinaryIO) -> None:
        """Unpack the context; a body that is no archive is the Dockerfile itself
        (``docker build - < Dockerfile``)."""
        head = tar.read(1)
        if not head:
            return
        tar.seek(0)
        if not _is_tar_stream(tar):
            tar.seek(0)
            with open(self.root / "Dockerfile", "wb") as out:
                shutil.copyfileobj(tar, out)
            return
        tar.seek(0)
        with self._plain_tar(tar) as plain:
            extract_into_root(self.root, "/", plain, allow_devices=False)

    def _plain_tar(self, f: BinaryIO) -> BinaryIO:
        """The context uncompressed in a temp file, its end completed: the docker CLI's
        ``-f`` rewrite ends the archive right after the last file's data (Go's reader
        accepts that; ours wants the padding and the end-of-archive blocks)."""
        import tarfile

        from dockyard.fs.compression import open_maybe_compressed

        out = tempfile.TemporaryFile(dir=self.dir)
        try:
            reader = open_maybe_compressed(f, threaded=False)
            try:
                shutil.copyfileobj(reader, out, 1 << 20)
            finally:
                reader.close()
            size = out.tell()
            pad = -size % tarfile.BLOCKSIZE
            out.write(b"\0" * (pad + 2 * tarfile.BLOCKSIZE))
            out.seek(0)
        except BaseException:
            out.close()
            raise
        return out  # type: ignore[return-value]

    def fetch_remote(self, url: str, dockerfile: str) -> None:
        """The ``remote`` parameter: a Git repository (``#ref:subdir``) or an http(s) URL
        of a context archive or of a plain Dockerfile."""
        if is_git_url(url):
            self._git(url)
            return
        if not url.startswith(("http://", "https://")):
            raise InvalidParameter(f"unable to prepare context: {url!r} is not a valid URL")
        import urllib.request

        try:
            with urllib.request.urlopen(url, timeout=60) as resp:  # noqa: S310 - user's URL
                ctype = resp.headers.get("Content-Type", "")
                with tempfile.TemporaryFile(dir=self.dir) as f:
                    shutil.copyfileobj(resp, f, 1 << 20)
                    f.seek(0)
                    if _is_tar_stream(f):
                        f.seek(0)
                        self.extract(f)
                        return
                    f.seek(0)
                    textual = b"\0" not in f.read(512)
                    generic = ctype.startswith(("application/octet-stream", "binary/")) or not ctype
                    if not (ctype.startswith("text/plain") or (generic and textual)):
                        raise InvalidParameter(
                            f"unable to prepare context: unsupported Content-Type {ctype!r}"
                        )
                    f.seek(0)
                    rel = posixpath.normpath("/" + dockerfile).lstrip("/")
                    target = self.root / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with open(target, "wb") as out:
                        shutil.copyfileobj(f, out)
        except OSError as exc:
            raise InvalidParameter(
                f"unable to prepare context: unable to download remote context {url}: {exc}"
            ) from None

    def _git(self, url: str) -> None:
        import subprocess

        repo, _, fragment = url.partition("#")
        ref, _, subdir = fragment.partition(":")
        if repo.startswith("github.com/"):
            repo = "https://" + repo
        checkout = self.dir / "git"
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}

        def git(*args: str, cwd: Path = checkout) -> None:
            try:
                proc = subprocess.run(
                    ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise InvalidParameter(f"unable to prepare context: git: {exc}") from None
            if proc.returncode != 0:
                raise InvalidParameter(
                    f"unable to prepare context: error fetching: {proc.stderr.strip()}"
                )

        checkout.mkdir()
        git("init", "-q")
        git("remote", "add", "origin", repo)
        try:
            git("fetch", "-q", "--depth", "1", "origin", ref or "HEAD")
        except InvalidParameter:  # dumb HTTP servers cannot do shallow fetches
            git("fetch", "-q", "origin", ref or "HEAD")
        git("checkout", "-q", "FETCH_HEAD")
        git("submodule", "update", "-q", "--init", "--recursive", "--depth", "1")
        shutil.rmtree(checkout / ".git", ignore_errors=True)
        src = checkout
        if subdir:
            from dockyard.fs.rootpath import resolve_in_root

            src = resolve_in_root(checkout, subdir)
            if not src.is_dir():
                raise InvalidParameter(
                    f"unable to prepare context: subdirectory {subdir!r} of {repo} not found"
                )
        shutil.rmtree(self.root)
        os.rename(src, self.root)

    def read_dockerfile(self, name: str) -> bytes:
        from dockyard.fs.rootpath import resolve_in_root

        rel = posixpath.normpath("/" + name).lstrip("/")
        try:
            path = resolve_in_root(self.root, rel)  # a symlink resolves inside the context
            if rel == "Dockerfile" and not path.exists():
                path = resolve_in_root(self.root, "dockerfile")  # Docker's fallback name
            if path.is_symlink() or not path.is_file():
                raise FileNotFoundError
            return path.read_bytes()
        except OSError:
            raise InvalidParameter(f"Cannot locate specified Dockerfile: {name}") from None

    def apply_dockerignore(self, dockerfile: str) -> None:
        """Remove what .dockerignore excludes (the client usually did already)."""
        try:
            text = (self.root / ".dockerignore").read_text(errors="replace")
        except OSError:
            return
        self.ignore = DockerIgnore(text)
        if not self.ignore.rules:
            return
        # The Dockerfile was read already: like Docker, drop it (and .dockerignore) too
        # when they are excluded (the CLI lists a -f file from outside the context there).
        keep: set[str] = set()
        for dirpath, dirnames, filenames in os.walk(self.root, topdown=True):
            rel_dir = os.path.relpath(dirpath, self.root)
            rel_dir = "" if rel_dir == "." else rel_dir
            for name in filenames + [
                d for d in dirnames if os.path.islink(os.path.join(dirpath, d))
            ]:
                rel = posixpath.join(rel_dir, name)
                if rel not in keep and self.ignore.excluded(rel):
                    os.unlink(os.path.join(dirpath, name))
            for name in list(dirnames):
                rel = posixpath.join(rel_dir, name)
                full = os.path.join(dirpath, name)
                if os.path.islink(full):
                    dirnames.remove(name)
                    continue
                if self.ignore.excluded(rel) and not any(neg for neg, _ in self.ignore.rules):
                    shutil.rmtree(full, ignore_errors=True)
                    dirnames.remove(name)

    def remove_file(self, name: str) -> None:
        rel = posixpath.normpath("/" + name).lstrip("/")
        try:
            os.unlink(self.root / rel)
        except OSError:
            pass


def is_git_url(url: str) -> bool:
    """Docker's rule for remote contexts that are Git repositories."""
    if url.startswith(("git://", "git@", "github.com/")):
        return True
    base = url.partition("#")[0]
    return url.startswith(("http://", "https://")) and base.endswith(".git")


def _is_tar_stream(f: BinaryIO) -> bool:
    import bz2
    import gzip
    import lzma
    import tarfile

    head = f.read(4096)
    f.seek(0)
    opener: Any = None
    if head[:2] == b"\x1f\x8b":
        opener = lambda fo: gzip.GzipFile(fileobj=fo)  # noqa: E731
    elif head[:3] == b"BZh":
        opener = bz2.BZ2File
    elif head[:6] == b"\xfd7zXZ\x00":
        opener = lzma.LZMAFile
    elif head[:4] == b"\x28\xb5\x2f\xfd":
        return True  # zstd: only archives come compressed that way
    if opener is not None:
        try:
            with opener(f) as z:
                block = z.read(tarfile.BLOCKSIZE)
        except (OSError, EOFError, lzma.LZMAError):
            return False
        finally:
            f.seek(0)
    else:
        block = head[: tarfile.BLOCKSIZE]
    if len(block) < tarfile.BLOCKSIZE:
        return False
    if block == b"\0" * tarfile.BLOCKSIZE:
        return True
    try:
        tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        return False
    return True


def expand_sources(root: Path, pattern: str) -> list[str]:
    """Context-relative paths matching ``pattern`` (a path or a glob); [] when none."""
    clean = posixpath.normpath("/" + pattern).lstrip("/")
    if clean in ("", "."):
        return ["."]
    if not any(c in clean for c in "*?["):
        return [clean] if os.path.lexists(root / clean) else []
    parts = clean.split("/")
    found = [""]
    for part in parts:
        nxt = []
        for base in found:
            d = root / base if base else root
            if not any(c in part for c in "*?["):
                cand = posixpath.join(base, part) if base else part
                if os.path.lexists(root / cand):
                    nxt.append(cand)
                continue
            try:
                names = sorted(os.listdir(d))
            except OSError:
                continue
            for name in names:
                if fnmatch.fnmatchcase(name, part):
                    nxt.append(posixpath.join(base, name) if base else name)
        found = nxt
    return found


def hash_path(path: Path) -> str:
    """A content hash of a file or a directory tree (names, modes, contents, links)."""
    h = hashlib.sha256()

    def add(p: Path, rel: str) -> None:
        st = os.lstat(p)
        h.update(f"{rel}\0{stat.S_IMODE(st.st_mode):o}\0{stat.S_IFMT(st.st_mode)}\0".encode())
        if stat.S_ISLNK(st.st_mode):
            h.update(os.readlink(p).encode() + b"\0")
        elif stat.S_ISREG(st.st_mode):
            with open(p, "rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
            h.update(b"\0")
        elif stat.S_ISDIR(st.st_mode):
            for name in sorted(os.listdir(p)):
                add(p / name, f"{rel}/{name}")

    add(path, ".")
    return h.hexdigest()
