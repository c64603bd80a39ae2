"""ADD of a Git repository (`ADD [--keep-git-dir] <git URL>[#ref[:subdir]] <dest>`): which
sources are Git URLs (BuildKit's rules) and the checkout of one into a scratch directory."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidParameter

_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


@dataclass
class GitCheckout:
    dir: Path  # the tree to copy (the subdir when one was named)
    commit: str


def is_git_url(src: str) -> bool:
    """git@host:path, git://, ssh://, and http(s) URLs whose path ends in .git."""
    if src.startswith(("git@", "git://", "ssh://", "github.com/")):
        return True
    if src.startswith(("http://", "https://")):
        path = src.split("#", 1)[0].split("?", 1)[0]
        return path.rstrip("/").endswith(".git")
    return False


def checkout(src: str, scratch: Path, keep_git_dir: bool) -> GitCheckout:
    url, _, fragment = src.partition("#")
    ref, _, subdir = fragment.partition(":")
    if url.startswith("github.com/"):
        url = "https://" + url
    work = Path(tempfile.mkdtemp(prefix="git-", dir=scratch))
    repo = work / "repo"
    clone = ["git", "clone", "--quiet", "--no-tags"]
    if ref and _SHA.match(ref):  # a commit: the whole history, then check it out
        _git([*clone, "--", url, str(repo)], src)
        _git(["git", "-C", str(repo), "checkout", "--quiet", ref], src)
    else:
        named = ["--branch", ref] if ref else []
        try:
            _git([*clone, "--depth", "1", *named, "--", url, str(repo)], src)
        except InvalidParameter:  # e.g. the dumb HTTP transport cannot clone shallow
            shutil.rmtree(repo, ignore_errors=True)
            _git([*clone, *named, "--", url, str(repo)], src)
    commit = _git(["git", "-C", str(repo), "rev-parse", "HEAD"], src).strip()
    if not keep_git_dir:
        shutil.rmtree(repo / ".git", ignore_errors=True)
    tree = repo
    if subdir:
        from dockyard.fs.rootpath import resolve_in_root

        tree = resolve_in_root(repo, "/" + subdir.strip("/"))
        if not tree.is_dir():
            raise InvalidParameter(f"failed to read {src}: subdir {subdir} not found")
    return GitCheckout(tree, commit)


def _git(args: list[str], src: str) -> str:
    try:
        done = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=600,
            env={"GIT_TERMINAL_PROMPT": "0", "PATH": "/usr/bin:/bin:/usr/local/bin"},
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InvalidParameter(f"failed to fetch remote {src}: {exc}") from None
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        raise InvalidParameter(f"failed to fetch remote {src}: {detail[0]}")
    return done.stdout
