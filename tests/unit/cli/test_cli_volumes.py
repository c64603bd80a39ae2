"""volume create sends the body the docker CLI sends."""

from dockyard.cli.volumes import create_body as volume_body


def test_volume_create_body_matches_docker():
    assert volume_body("local", [], [], "") == {"Driver": "local"}
    assert volume_body("local", ["type=tmpfs", "device=tmpfs"], ["k=v"], "myvol") == {
        "Driver": "local",
        "DriverOpts": {"type": "tmpfs", "device": "tmpfs"},
        "Labels": {"k": "v"},
        "Name": "myvol",
    }
