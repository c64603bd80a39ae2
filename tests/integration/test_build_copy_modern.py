"""BuildKit-era COPY/ADD flags and parser directives in dockyard's classic builder:
COPY --exclude/--parents/--link, ADD --checksum, ADD of a Git repository, # syntax=."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from testing.builds import build_dir as build

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """A static HTTP server on 127.0.0.1 for `directory`; yields its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_copy_exclude_parents_and_link(daemon: Any, tmp_path: Path) -> None:
    ctx = tmp_path / "c"
    for rel, text in {
        "app/main.go": "main",
        "app/README.md": "doc",
        "app/pkg/util.go": "util",
        "app/pkg/notes.md": "notes",
        "x/a.txt": "a",
        "y/z/b.txt": "b",
    }.items():
        (ctx / rel).parent.mkdir(parents=True, exist_ok=True)
        (ctx / rel).write_text(text)
    df = (
        "FROM busybox\n"
        "COPY --exclude=*.md --exclude=**/notes.md app /dst/app/\n"
        "COPY --parents x/a.txt y/z/b.txt /par/\n"
        "COPY --parents ./y/./z/b.txt /piv/\n"
        "COPY --link app/main.go /linked/\n"
        'CMD ["find", "/dst", "/par", "/piv", "/linked", "-type", "f"]\n'
    )
    res = build(daemon, ctx, df, "-t", "cm/copy")
    assert res.returncode == 0, res.stderr + res.stdout
    found = daemon.cli("run", "--rm", "cm/copy")
    assert sorted(found.stdout.split()) == [
        "/dst/app/main.go",
        "/dst/app/pkg/util.go",
        "/linked/main.go",
        "/par/x/a.txt",
        "/par/y/z/b.txt",
        "/piv/z/b.txt",
    ]
    # a change to an excluded file keeps the cache; a change to a copied one does not
    (ctx / "app/README.md").write_text("doc 2")
    again = build(daemon, ctx, df, "-t", "cm/copy")
    assert again.stdout.count(" ---> Using cache") == 5, again.stdout
    (ctx / "app/main.go").write_text("main 2")
    third = build(daemon, ctx, df, "-t", "cm/copy")
    assert third.stdout.count(" ---> Using cache") == 0, third.stdout
    daemon.cli("rmi", "cm/copy")


def test_add_checksum_is_verified(daemon: Any, tmp_path: Path) -> None:
    files = tmp_path / "www"
    files.mkdir()
    (files / "tool.txt").write_text("tool body\n")
    good = hashlib.sha256(b"tool body\n").hexdigest()
    with serve(files) as base:
        ok = build(
            daemon,
            tmp_path / "ok",
            f"FROM busybox\nADD --checksum=sha256:{good} {base}/tool.txt /t/\nRUN cat /t/tool.txt\n",
            "-t",
            "cm/sum",
        )
        assert ok.returncode == 0 and "tool body" in ok.stdout, ok.stderr
        bad = build(
            daemon,
            tmp_path / "bad",
            f"FROM busybox\nADD --checksum=sha256:{'0' * 64} {base}/tool.txt /t/\n",
            "-t",
            "cm/badsum",
        )
    assert bad.returncode != 0
    assert f"digest mismatch sha256:{good}: sha256:{'0' * 64}" in bad.stderr
    assert daemon.cli("image", "inspect", "cm/badsum").returncode != 0
    local = build(
        daemon, tmp_path / "loc", f"FROM busybox\nADD --checksum=sha256:{good} Dockerfile /x\n"
    )
    assert "checksum can't be specified for non-HTTP(S) sources" in local.stderr
    daemon.cli("rmi", "cm/sum")


def git(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}  # fmt: skip
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout


def test_add_git_repository_with_and_without_git_dir(daemon: Any, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    git("init", "-q", "-b", "main", cwd=work)
    (work / "docs").mkdir()
    (work / "docs" / "guide.txt").write_text("guide\n")
    (work / "top.txt").write_text("top\n")
    git("add", ".", cwd=work)
    git("commit", "-qm", "one", cwd=work)
    commit = git("rev-parse", "HEAD", cwd=work).strip()
    www = tmp_path / "www"
    www.mkdir()
    git("clone", "-q", "--bare", str(work), str(www / "repo.git"), cwd=tmp_path)
    git("update-server-info", cwd=www / "repo.git")  # served by a plain HTTP server
    with serve(www) as base:
        df = (
            "FROM busybox\n"
            f"ADD {base}/repo.git /src\n"
            f"ADD --keep-git-dir=true {base}/repo.git#main /full\n"
            f"ADD {base}/repo.git#main:docs /docs\n"
            f"ADD --checksum={commit} {base}/repo.git /pinned\n"
            "RUN ls -A /src /docs && test -d /full/.git && test ! -e /src/.git\n"
        )
        res = build(daemon, tmp_path / "g", df, "-t", "cm/git")
        assert res.returncode == 0, res.stderr + res.stdout
        assert "guide.txt" in res.stdout and "top.txt" in res.stdout
        bad = build(
            daemon, tmp_path / "gb", f"FROM busybox\nADD --checksum={'1' * 40} {base}/repo.git /x\n"
        )
    assert f"expected checksum to match {'1' * 40}, got {commit}" in bad.stderr
    daemon.cli("rmi", "cm/git")


def test_syntax_directive(daemon: Any, tmp_path: Path) -> None:
    ok = build(
        daemon,
        tmp_path / "s",
        "# syntax=docker/dockerfile:1.7\n# check=skip=JSONArgsRecommended\nFROM busybox\nRUN true\n",
    )
    assert ok.returncode == 0, ok.stderr
    other = build(daemon, tmp_path / "o", "# syntax=example.com/frontend:2\nFROM busybox\n")
    assert other.returncode != 0
    assert "unsupported Dockerfile frontend 'example.com/frontend:2'" in other.stderr
