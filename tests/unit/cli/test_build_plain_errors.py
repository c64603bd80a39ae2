"""`build --progress=plain`: a failed step is reported as BuildKit does, with the
Dockerfile lines around it."""

from __future__ import annotations

import io

from dockyard.cli.buildprogress import PlainProgress

DOCKERFILE = (
    "FROM busybox\n# tools\nRUN echo one \\\n    two\nRUN --mount=type=secret,id=tok,required cat\n"
)


def test_a_failed_step_shows_its_dockerfile_lines() -> None:
    err = io.StringIO()
    p = PlainProgress(err, DOCKERFILE, "Dockerfile")
    p.write("Step 1/3 : FROM busybox\n ---> 1234567890ab\n")
    p.write("Step 2/3 : RUN echo one     two\n ---> Using cache\n")
    p.write("Step 3/3 : RUN --mount=type=secret,id=tok,required cat\n")
    p.fail("secret tok: not found")
    text = err.getvalue()
    assert "#3 ERROR: secret tok: not found\n" in text
    assert "------\n > [3/3] RUN --mount=type=secret,id=tok,required cat:\n------\n" in text
    assert (
        "Dockerfile:5\n--------------------\n"
        "   3 |     RUN echo one \\\n"
        "   4 |         two\n"
        "   5 | >>> RUN --mount=type=secret,id=tok,required cat\n"
        "--------------------\n"
    ) in text


def test_an_unknown_line_gives_no_excerpt() -> None:
    err = io.StringIO()
    p = PlainProgress(err)  # a Dockerfile from stdin or a URL: not at hand
    p.write("Step 1/1 : FROM nosuch\n")
    p.fail("pull access denied")
    text = err.getvalue()
    assert "#1 ERROR: pull access denied\n" in text and "Dockerfile:" not in text
