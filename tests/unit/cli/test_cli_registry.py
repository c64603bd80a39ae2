"""Which registry an image name's credentials belong to."""

from dockyard.cli.registry import registry_of


def test_registry_of():
    assert registry_of("busybox") == "https://index.docker.io/v1/"
    assert registry_of("user/app") == "https://index.docker.io/v1/"
    assert registry_of("localhost:5000/app") == "localhost:5000"
    assert registry_of("docker.io/library/nginx") == "https://index.docker.io/v1/"
