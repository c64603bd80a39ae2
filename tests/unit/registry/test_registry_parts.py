"""The registry client's pieces: challenges, credentials, endpoints, manifests, errors."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from dockyard.registry import credentials, endpoints, manifests
from dockyard.registry.auth import parse_challenges
from dockyard.registry.errors import BadManifest, describe


def test_parse_challenges() -> None:
    [ch] = parse_challenges(
        [
            'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
            'scope="repository:library/busybox:pull,push"'
        ]
    )
    assert ch.scheme == "bearer"
    assert ch.params == {
        "realm": "https://auth.docker.io/token",
        "service": "registry.docker.io",
        "scope": "repository:library/busybox:pull,push",
    }
    [basic] = parse_challenges(['Basic realm="x \\"y\\""'])
    assert basic.scheme == "basic" and basic.params == {"realm": 'x "y"'}
    two = parse_challenges(['Basic realm="a", Bearer realm="b",error="insufficient_scope"'])
    assert [c.scheme for c in two] == ["basic", "bearer"]
    assert two[1].params == {"realm": "b", "error": "insufficient_scope"}
    assert parse_challenges(["Bearer realm=unquoted"])[0].params == {"realm": "unquoted"}


def test_credentials_from_header_and_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    c = credentials.from_auth_config({"username": "u", "password": "p", "serveraddress": "x"})
    assert (c.username, c.password) == ("u", "p")
    c = credentials.from_auth_config({"auth": base64.b64encode(b"a:b:c").decode()})
    assert (c.username, c.password) == ("a", "b:c")
    assert credentials.from_auth_config({"identitytoken": "t"}).identity_token == "t"
    assert credentials.resolve({}, "docker.io").empty
    (tmp_path / "config.json").write_text(
        json.dumps(
            {
                "auths": {
                    "https://index.docker.io/v1/": {"auth": base64.b64encode(b"hub:pw").decode()},
                    "http://127.0.0.1:5000/": {"auth": base64.b64encode(b"me:pw").decode()},
                    "reg.example:443": {"identitytoken": "idt"},
                }
            }
        )
    )
    assert credentials.resolve(None, "docker.io").username == "hub"
    assert credentials.resolve({}, "127.0.0.1:5000").username == "me"
    assert credentials.resolve({}, "reg.example:443").identity_token == "idt"
    assert credentials.resolve({"username": "x", "password": "y"}, "docker.io").username == "x"
    assert credentials.resolve(None, "other:1").empty
    assert credentials.server_key("https://index.docker.io/v1/") == credentials.INDEX_SERVER
    assert credentials.server_key("http://h:5000/v2/") == "h:5000"


def test_insecure_rules() -> None:
    assert endpoints.is_insecure("127.0.0.1:5000", [])
    assert endpoints.is_insecure("127.5.6.7", [])
    assert endpoints.is_insecure("localhost:5000", [])
    assert endpoints.is_insecure("[::1]:5000", [])
    assert not endpoints.is_insecure("reg.example:5000", [])
    assert endpoints.is_insecure("reg.example:5000", ["reg.example:5000"])
    assert endpoints.is_insecure("reg.example:5000", ["http://reg.example:5000/"])
    assert endpoints.is_insecure("reg.example", ["reg.example"])
    assert endpoints.is_insecure("10.1.2.3:5000", ["10.0.0.0/8"])
    assert not endpoints.is_insecure("11.1.2.3:5000", ["10.0.0.0/8"])


def test_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKYARD_REGISTRY_HUB", "registry-1.docker.io")
    eps = endpoints.pull_endpoints("docker.io", ["http://127.0.0.1:5000", "https://m.example/"], [])
    assert [(e.base, e.mirror, e.tls_verify) for e in eps] == [
        ("http://127.0.0.1:5000", True, False),
        ("https://m.example", True, True),
        ("https://registry-1.docker.io", False, True),
    ]
    assert not eps[-1].disabled
    eps = endpoints.pull_endpoints("127.0.0.1:5000", ["http://mirror:1"], [])
    assert [(e.base, e.tls_verify) for e in eps] == [
        ("https://127.0.0.1:5000", False),
        ("http://127.0.0.1:5000", True),
    ]
    assert [e.base for e in endpoints.registry_endpoints("reg.example", [])] == [
        "https://reg.example"
    ]
    monkeypatch.setenv("DOCKYARD_REGISTRY_HUB", "none")
    assert endpoints.registry_endpoints("docker.io", [])[0].disabled
    monkeypatch.delenv("DOCKYARD_REGISTRY_HUB")
    # Docker Hub is off unless asked for: nothing leaves the host by default
    assert endpoints.hub_host() is None
    assert endpoints.registry_endpoints("docker.io", [])[0].base == "https://registry-1.docker.io"


def test_platforms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manifests._platform, "machine", lambda: "x86_64")
    assert manifests.parse_platform(None) == {"os": "linux", "architecture": "amd64", "variant": ""}
    assert manifests.parse_platform("linux/arm64") == {
        "os": "linux",
        "architecture": "arm64",
        "variant": "v8",
    }
    assert manifests.parse_platform("linux/arm/v6")["variant"] == "v6"
    assert manifests.parse_platform("linux/arm")["variant"] == "v7"
    with pytest.raises(BadManifest):
        manifests.parse_platform("linux//x")
    index = manifests.parse(
        json.dumps(
            {
                "schemaVersion": 2,
                "manifests": [
                    {
                        "digest": "sha256:" + "a" * 64,
                        "size": 1,
                        "platform": {"os": "linux", "architecture": "arm", "variant": "v7"},
                    },
                    {
                        "digest": "sha256:" + "b" * 64,
                        "size": 1,
                        "platform": {"os": "linux", "architecture": "arm64"},
                    },
                    {
                        "digest": "sha256:" + "c" * 64,
                        "size": 1,
                        "platform": {"os": "linux", "architecture": "amd64"},
                    },
                    {
                        "digest": "sha256:" + "d" * 64,
                        "size": 1,
                        "platform": {"os": "unknown", "architecture": "unknown"},
                    },
                ],
            }
        ).encode(),
        "application/vnd.oci.image.index.v1+json",
        "x",
    )
    assert index.is_index
    assert manifests.select(index, None).digest.endswith("c" * 64)
    assert manifests.select(index, "linux/arm64/v8").digest.endswith("b" * 64)
    assert manifests.select(index, "linux/arm/v7").digest.endswith("a" * 64)
    with pytest.raises(
        BadManifest, match="no matching manifest for linux/arm/v6 in the manifest list entries"
    ):
        manifests.select(index, "linux/arm/v6")


def test_schema1_is_refused() -> None:
    with pytest.raises(BadManifest, match="schema 1 support has been removed"):
        manifests.parse(b'{"schemaVersion": 1, "name": "x"}', None, "x:1")


def test_build_manifest_is_docker_shaped() -> None:
    config = b'{"rootfs":{}}'
    raw, media = manifests.build_manifest(config, [("gzip", "sha256:" + "1" * 64, 10)])
    assert media == manifests.DOCKER_MANIFEST
    assert raw.decode().startswith(
        '{\n   "schemaVersion": 2,\n   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",\n   "config": {\n      "mediaType": "application/vnd.docker.container.image.v1+json",\n      "size": 13,'
    )
    raw, media = manifests.build_manifest(config, [("zstd", "sha256:" + "1" * 64, 10)])
    assert media == manifests.OCI_MANIFEST
    assert json.loads(raw)["layers"][0]["mediaType"] == manifests.OCI_LAYER_ZSTD


def test_describe_errors() -> None:
    body = b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}'
    assert describe(404, "Not Found", body) == (
        "manifest unknown: manifest unknown",
        "MANIFEST_UNKNOWN",
    )
    assert describe(401, "Unauthorized", b"")[0] == "unauthorized: authentication required"
    assert (
        describe(403, "Forbidden", b"<html>")[0]
        == "denied: requested access to the resource is denied"
    )
    assert (
        describe(502, "Bad Gateway", b"")[0] == "received unexpected HTTP status: 502 Bad Gateway"
    )
    assert describe(401, "Unauthorized", b'{"details":"incorrect username or password"}')[0] == (
        "unauthorized: incorrect username or password"
    )


def test_mirror_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    [ep, _] = endpoints.pull_endpoints("docker.io", ["http://bob:p%40ss@127.0.0.1:5000/"], [])
    assert ep.base == "http://127.0.0.1:5000" and ep.userinfo == ("bob", "p@ss")
    c = credentials.for_mirror(ep.host, ep.userinfo, {"username": "hub", "password": "x"})
    assert (c.username, c.password) == ("bob", "p@ss")
    # stored for the mirror's host beats the request's (Docker Hub) credentials
    (tmp_path / "config.json").write_text(
        json.dumps({"auths": {"127.0.0.1:5001": {"auth": base64.b64encode(b"me:pw").decode()}}})
    )
    assert credentials.for_mirror("127.0.0.1:5001", None, {"username": "hub"}).username == "me"
    assert credentials.for_mirror("127.0.0.1:5002", None, {"username": "hub"}).username == "hub"
