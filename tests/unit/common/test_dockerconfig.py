"""~/.docker/config.json: registry keys, stored credentials, atomic private writes."""

import base64
import json
import os
import stat

import pytest

from dockyard.common import dockerconfig as dc


@pytest.fixture
def cfgdir(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize(
    "server,key",
    [
        ("", dc.INDEX_SERVER),
        ("docker.io", dc.INDEX_SERVER),
        ("https://index.docker.io/v1/", dc.INDEX_SERVER),
        ("registry-1.docker.io", dc.INDEX_SERVER),
        ("localhost:5000", "localhost:5000"),
        ("https://localhost:5000/", "localhost:5000"),
        ("http://reg.example.com/v2", "reg.example.com"),
    ],
)
def test_server_key(server, key):
    assert dc.server_key(server) == key


def test_registry_of_image_names():
    assert dc.registry_of("busybox") == dc.INDEX_SERVER
    assert dc.registry_of("user/app") == dc.INDEX_SERVER
    assert dc.registry_of("localhost:5000/app") == "localhost:5000"
    assert dc.registry_of("docker.io/library/nginx") == dc.INDEX_SERVER


def test_missing_and_broken_files(cfgdir):
    assert dc.load() == {}
    (cfgdir / "config.json").write_text("{not json")
    with pytest.raises(dc.ConfigError, match="loading config file: .*config.json"):
        dc.load()
    assert dc.load(strict=False) == {}
    assert dc.default_format("psFormat") is None


def test_save_is_private_and_round_trips(cfgdir):
    dc.save({"auths": {"localhost:5000": {"auth": dc.encode_basic("u", "p:w")}}})
    path = cfgdir / "config.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    doc = dc.load()
    entry = dc.find_auth(doc, "https://localhost:5000")
    assert entry is not None and dc.decode_basic(entry["auth"]) == ("u", "p:w")
    assert dc.auth_config(entry, "localhost:5000") == {
        "username": "u",
        "password": "p:w",
        "serveraddress": "localhost:5000",
    }


def test_find_auth_skips_entries_without_credentials():
    doc = {"auths": {"https://reg.io": {}, "reg.io": {"identitytoken": "tok"}}}
    entry = dc.find_auth(doc, "reg.io")
    assert dc.auth_config(entry, "reg.io") == {"identitytoken": "tok", "serveraddress": "reg.io"}
    assert dc.find_auth(doc, "other.io") is None
    assert dc.auth_config(None, "other.io") == {}
    assert dc.decode_basic("!!notbase64") == ("", "")


def test_encode_header_is_base64url_compact_json():
    value = dc.encode_header({"username": "u?>", "serveraddress": "s"})
    assert json.loads(base64.urlsafe_b64decode(value)) == {"username": "u?>", "serveraddress": "s"}
    assert "+" not in value and "/" not in value


def test_default_format(cfgdir):
    (cfgdir / "config.json").write_text(json.dumps({"psFormat": "{{.ID}}", "imagesFormat": ""}))
    assert dc.default_format("psFormat") == "{{.ID}}"
    assert dc.default_format("imagesFormat") is None
