"""run/create behaviour around the API: pull on a missing image, start errors, -d output."""

import json

import pytest

from dockyard.cli.common import Context, run_command
from dockyard.cli.run import create, run
from dockyard.client.api import APIError

CID = "c" * 64


class FakeResponse:
    def __init__(self, lines=()):
        self.lines = list(lines)

    def iter_json(self):
        yield from self.lines

    def read(self):
        return b""


class FakeClient:
    def __init__(self, missing_image=False, start_error=None):
        self.calls = []
        self.missing_image = missing_image
        self.start_error = start_error

    def post(self, path, params=None, body=None):
        self.calls.append(("POST", path, params))
        if path == "/containers/create":
            if self.missing_image:
                raise APIError(404, "No such image: busybox:latest")
            return {"Id": CID, "Warnings": ["low memory"]}
        if path.endswith("/start") and self.start_error:
            raise APIError(400, self.start_error)
        return None

    def request(self, method, path, params=None, body=None, headers=None, timeout=None):
        self.calls.append((method, path, params))
        if path == "/images/create":
            self.missing_image = False
            return FakeResponse([{"status": "Pulling from library/busybox", "id": "latest"}])
        return FakeResponse()


def _run(func, argv, client):
    ctx = Context(host=None, debug=False, command=func.__name__)
    ctx._client = client
    return run_command(ctx, func, argv)


def test_create_pulls_a_missing_image(capsys):
    client = FakeClient(missing_image=True)
    assert _run(create, ["busybox"], client) == 0
    out, err = capsys.readouterr()
    assert out == CID + "\n"
    assert err.startswith("Unable to find image 'busybox:latest' locally\n")
    assert "latest: Pulling from library/busybox" in err
    assert "WARNING: low memory" in err
    paths = [c[1] for c in client.calls]
    assert paths == ["/containers/create", "/images/create", "/containers/create"]
    assert client.calls[1][2]["fromImage"] == "docker.io/library/busybox"
    assert client.calls[1][2]["tag"] == "latest"


def test_create_with_pull_never_fails_1_as_docker(capsys):
    # docker 28: `create` prints the daemon's refusal as is and exits 1 (`run`: 125)
    client = FakeClient(missing_image=True)
    assert _run(create, ["--pull", "never", "busybox"], client) == 1
    err = capsys.readouterr().err
    assert err == "Error response from daemon: No such image: busybox:latest\n"


@pytest.mark.parametrize(
    "message,code",
    [
        ('exec: "nosuch": executable file not found in $PATH: unknown', 127),
        ('exec: "/etc": permission denied: unknown', 126),
        ("some other failure", 125),
    ],
)
def test_run_detached_start_error_codes(message, code, capsys):
    client = FakeClient(start_error=message)
    assert _run(run, ["-d", "busybox", "x"], client) == code
    out, err = capsys.readouterr()
    assert out == CID + "\n"  # docker prints the ID even when start fails
    assert f"dockyard: Error response from daemon: {message}" in err


def test_run_detached_prints_full_id(capsys):
    client = FakeClient()
    assert _run(run, ["-d", "--name", "web", "busybox", "sleep", "9"], client) == 0
    assert capsys.readouterr().out == CID + "\n"
    create_call = client.calls[0]
    assert create_call[2] == {"name": "web"}


def test_conflicting_rm_and_restart_exit_125(capsys):
    with pytest.raises(SystemExit) as exc:
        _run(run, ["--rm", "--restart", "always", "busybox"], FakeClient())
    assert exc.value.code == 125
    assert "cannot specify both --restart and --rm" in capsys.readouterr().err


def test_body_is_json_serialisable():
    from dockyard.cli.createbody import build_create, create_parser
    from dockyard.cli.flags import parse_with

    p = create_parser("run")
    o, rest = parse_with(p, ["-p", "80", "-v", "/x", "--mount", "type=tmpfs,dst=/t", "img"])
    body, _ = build_create(p, o, rest[0], rest[1:])
    assert json.loads(json.dumps(body))["HostConfig"]["Mounts"] == [
        {"Type": "tmpfs", "Target": "/t"}
    ]
