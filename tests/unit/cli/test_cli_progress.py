"""Progress streams rendered as the docker CLI renders them."""

import io

import pytest

PULL_MESSAGES = [
    {"status": "Pulling from library/busybox", "id": "latest"},
    {"status": "Pulling fs layer", "progressDetail": {}, "id": "a1b2c3"},
    {
        "status": "Downloading",
        "progressDetail": {"current": 1000, "total": 2000},
        "progress": "[====>     ]    1kB/2kB",
        "id": "a1b2c3",
    },
    {"status": "Download complete", "progressDetail": {}, "id": "a1b2c3"},
    {"status": "Pull complete", "progressDetail": {}, "id": "a1b2c3"},
    {"status": "Digest: sha256:" + "9" * 64},
    {"status": "Status: Downloaded newer image for busybox:latest"},
]


def test_pull_stream_without_terminal_matches_docker():
    from dockyard.cli.progress import display_stream

    out = io.StringIO()
    display_stream(iter(PULL_MESSAGES), out, tty=False)
    assert out.getvalue() == (
        "latest: Pulling from library/busybox\n"
        "a1b2c3: Pulling fs layer\n"
        "a1b2c3: Download complete\n"
        "a1b2c3: Pull complete\n"
        f"Digest: sha256:{'9' * 64}\n"
        "Status: Downloaded newer image for busybox:latest\n"
    )


def test_stream_error_and_aux():
    from dockyard.cli.progress import StreamError, display_stream

    aux = display_stream(
        iter([{"stream": "Step 1/1\n"}, {"aux": {"ID": "sha256:x"}}]), io.StringIO(), False
    )
    assert aux == {"ID": "sha256:x"}
    with pytest.raises(StreamError, match="boom"):
        display_stream(
            iter([{"errorDetail": {"message": "boom"}, "error": "boom"}]), io.StringIO(), False
        )
