"""Pull and push through the image service and the registry plug-in, against the in-memory
registry: tags, digests, platforms, compression, verification, auth flows."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from testing.images import classic_archive, image_config, layer, make_service
from testing.registry import FakeRegistry, make_layer, sha

from dockyard.common.reference import parse_normalized
from dockyard.distribution.service import DistributionService
from dockyard.errors import DockyardError, NotFound
from dockyard.registry.remote import RegistrySettings

L1 = make_layer({"bin/sh": b"#!shell"})
L2 = make_layer({"app/run": b"run" * 1000})


@pytest.fixture
def svc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DOCKYARD_REGISTRY_HUB", "none")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "dockercfg"))
    s, d = make_service(tmp_path / "root")
    return s


@pytest.fixture
def dist(svc) -> DistributionService:
    return DistributionService(svc, RegistrySettings())


def pull(dist, name: str, auth=None, platform=None) -> tuple[str, list[dict]]:
    msgs: list[dict] = []
    image_id = dist.pull(parse_normalized(name, default_tag=False), auth, platform, msgs.append)
    return image_id, msgs


def statuses(msgs: list[dict]) -> list[str]:
    return [
        (f"{m['id']}: " if m.get("id") else "") + m["status"]
        for m in msgs
        if "status" in m and not m.get("progressDetail", {}).get("total")
    ]


def test_pull_by_tag_then_up_to_date(svc, dist) -> None:
    with FakeRegistry() as reg:
        digest, image_id, _ = reg.add_image("lib/app", "1", [L1, L2])
        got, msgs = pull(dist, f"{reg.host}/lib/app:1")
        assert got == image_id
        s = statuses(msgs)
        assert s[0] == "1: Pulling from lib/app"
        assert s[-2:] == [
            f"Digest: {digest}",
            f"Status: Downloaded newer image for {reg.host}/lib/app:1",
        ]
        assert sum(1 for x in s if x.endswith("Pull complete")) == 2
        assert any(m["status"] == "Downloading" and m["progressDetail"]["total"] for m in msgs)
        doc = svc.inspect(f"{reg.host}/lib/app:1")
        assert doc["RepoDigests"] == [f"{reg.host}/lib/app@{digest}"]
        assert doc["RepoTags"] == [f"{reg.host}/lib/app:1"]
        _, msgs = pull(dist, f"{reg.host}/lib/app:1")
        assert statuses(msgs) == [
            "1: Pulling from lib/app",
            f"Digest: {digest}",
            f"Status: Image is up to date for {reg.host}/lib/app:1",
        ]


def test_pull_by_digest_and_shared_layers(svc, dist) -> None:
    with FakeRegistry() as reg:
        reg.add_image("a", "1", [L1])
        digest, image_id, _ = reg.add_image("b", None, [L1, L2], compression="zstd", oci=True)
        pull(dist, f"{reg.host}/a:1")
        got, msgs = pull(dist, f"{reg.host}/b@{digest}")
        assert got == image_id
        s = statuses(msgs)
        assert s[0] == f"{digest}: Pulling from b"
        assert any(x.endswith("Already exists") for x in s)
        assert s[-1] == f"Status: Downloaded newer image for {reg.host}/b@{digest}"
        assert svc.inspect(got)["RepoDigests"] == [f"{reg.host}/b@{digest}"]
        assert len(svc.lowerdirs(got)) == 2


def test_pull_plain_tar_layers(svc, dist) -> None:
    with FakeRegistry() as reg:
        _, image_id, _ = reg.add_image("p", "1", [L1], compression="none", oci=True)
        assert pull(dist, f"{reg.host}/p:1")[0] == image_id
        assert (svc.lowerdirs(image_id)[0] / "bin" / "sh").read_bytes() == b"#!shell"


def test_manifest_list_picks_platform(svc, dist) -> None:
    with FakeRegistry() as reg:
        d_amd, id_amd, raw_amd = reg.add_image("m", None, [L1], arch="amd64")
        d_arm, id_arm, raw_arm = reg.add_image("m", None, [L2], arch="arm64")
        index = reg.add_index(
            "m", "1", [(d_arm, raw_arm, "linux/arm64/v8"), (d_amd, raw_amd, "linux/amd64")]
        )
        got, msgs = pull(dist, f"{reg.host}/m:1", platform="linux/arm64")
        assert got == id_arm
        assert f"Digest: {index}" in statuses(msgs)
        assert svc.inspect(got)["RepoDigests"] == [f"{reg.host}/m@{index}"]
        got, _ = pull(dist, f"{reg.host}/m:1", platform="linux/amd64")
        assert got == id_amd
        with pytest.raises(
            DockyardError, match="no matching manifest for linux/s390x in the manifest list entries"
        ):
            pull(dist, f"{reg.host}/m:1", platform="linux/s390x")


def test_not_found_errors(dist) -> None:
    with FakeRegistry() as reg:
        reg.add_image("x", "1", [L1])
        with pytest.raises(NotFound) as e:
            pull(dist, f"{reg.host}/x:2")
        assert (
            str(e.value)
            == f"manifest for {reg.host}/x:2 not found: manifest unknown: manifest unknown"
        )
        with pytest.raises(NotFound) as e:
            pull(dist, f"{reg.host}/nope:1")
        assert (
            str(e.value)
            == f"repository {reg.host}/nope not found: name unknown: repository name not known to registry"
        )


def test_corrupt_layer_leaves_nothing(svc, dist) -> None:
    with FakeRegistry() as reg:
        _, _, raw = reg.add_image("c", "1", [L1, L2])
        bad = json.loads(raw)["layers"][1]["digest"]
        reg.corrupt.add(bad)
        before = sorted(p.name for p in (svc.root / "blobs" / "sha256").iterdir())
        with pytest.raises(
            DockyardError, match=f"filesystem layer verification failed for digest {bad}"
        ):
            pull(dist, f"{reg.host}/c:1")
        assert svc.list() == []
        assert sorted(p.name for p in (svc.root / "blobs" / "sha256").iterdir()) == before
        assert svc.layers.all() == {}


def test_wrong_digest_reference_is_refused(dist) -> None:
    with FakeRegistry() as reg:
        digest, _, raw = reg.add_image("w", "1", [L1])
        other = sha(b"other")
        reg.manifests[("w", other)] = (raw, "application/vnd.docker.distribution.manifest.v2+json")
        with pytest.raises(DockyardError, match=f"manifest verification failed for digest {other}"):
            pull(dist, f"{reg.host}/w@{other}")


def _push(dist, name: str, tag: str, auth=None) -> list[dict]:
    msgs: list[dict] = []
    dist.push(name, tag, auth, msgs.append)
    return msgs


def test_push_then_pull_back_same_digest(svc, dist) -> None:
    with FakeRegistry() as reg:
        digest, image_id, _ = reg.add_image("src", "1", [L1, L2])
        pull(dist, f"{reg.host}/src:1")
        svc.tag(f"{reg.host}/src:1", f"{reg.host}/dst", "2")
        msgs = _push(dist, f"{reg.host}/dst", "2")
        s = statuses(msgs)
        assert s[0] == f"The push refers to repository [{reg.host}/dst]"
        # the blobs are mounted from the repository the image came from
        assert sum(1 for x in s if x.endswith("Mounted from src")) == 2
        # the manifest pulled is pushed again: same digest
        assert s[-1] == f"2: digest: {digest} size: {len(reg.manifests[('src', '1')][0])}"
        assert msgs[-1]["aux"] == {
            "Tag": "2",
            "Digest": digest,
            "Size": len(reg.manifests[("src", "1")][0]),
        }
        msgs = _push(dist, f"{reg.host}/dst", "2")
        assert sum(1 for x in statuses(msgs) if x.endswith("Layer already exists")) == 2


def test_push_new_image_chunked(svc, dist, monkeypatch: pytest.MonkeyPatch) -> None:
    from dockyard.registry import client

    monkeypatch.setattr(client, "UPLOAD_CHUNK", 1000)
    with FakeRegistry() as reg:
        _, image_id, _ = reg.add_image("src", "1", [L1, L2])
        pull(dist, f"{reg.host}/src:1")
        other = FakeRegistry()
        with other:
            svc.tag(image_id, f"{other.host}/new", "t")
            msgs = _push(dist, f"{other.host}/new", "t")
            s = statuses(msgs)
            assert sum(1 for x in s if x.endswith(": Pushed")) == 2
            digest = s[-1].split("digest: ")[1].split()[0]
            assert any(m == "PATCH" for m, _, _ in other.requests)
            # a fresh service pulls it back whole
            svc.delete(f"{other.host}/new:t")
            svc.delete(f"{reg.host}/src:1", force=True)
            got, _ = pull(dist, f"{other.host}/new:t")
            assert got == image_id
            assert svc.inspect(got)["RepoDigests"] == [f"{other.host}/new@{digest}"]


def test_basic_auth(svc, dist, tmp_path: Path) -> None:
    with FakeRegistry(auth="basic", users={"u": "p"}) as reg:
        reg.add_image("sec", "1", [L1])
        with pytest.raises(DockyardError) as e:
            pull(dist, f"{reg.host}/sec:1")
        assert str(
            e.value
        ) == f'Get "https://{reg.host}/v2/sec/manifests/1": no basic auth credentials' or str(
            e.value
        ).endswith("no basic auth credentials")
        got, _ = pull(dist, f"{reg.host}/sec:1", auth={"username": "u", "password": "p"})
        assert got
        assert dist.login({"username": "u", "password": "p", "serveraddress": reg.host}) == {
            "Status": "Login Succeeded",
            "IdentityToken": "",
        }
        with pytest.raises(DockyardError) as e:
            dist.login({"username": "u", "password": "bad", "serveraddress": reg.host})
        assert e.value.status == 401
        assert (
            str(e.value)
            == f"login attempt to http://{reg.host}/v2/ failed with status: 401 Unauthorized"
        )
        # credentials from config.json when the request has none
        cfg = tmp_path / "dockercfg"
        cfg.mkdir()
        (cfg / "config.json").write_text(json.dumps({"auths": {reg.host: {"auth": "dTpw"}}}))
        svc.delete(f"{reg.host}/sec:1")
        assert pull(dist, f"{reg.host}/sec:1", auth={})[0] == got


def test_bearer_token_flow(svc, dist) -> None:
    with FakeRegistry(auth="bearer", users={"u": "p"}) as reg:
        reg.add_image("tok", "1", [L1])
        got, _ = pull(dist, f"{reg.host}/tok:1")  # anonymous token for pull
        token_reqs = [p for m, p, _ in reg.requests if p.startswith("/token")]
        assert any("scope=repository%3Atok%3Apull" in p and "service=fake" in p for p in token_reqs)
        svc.tag(got, f"{reg.host}/tok", "2")
        with pytest.raises(DockyardError, match="unauthorized: authentication required"):
            _push(dist, f"{reg.host}/tok", "2")  # anonymous users cannot push
        msgs = _push(dist, f"{reg.host}/tok", "2", auth={"username": "u", "password": "p"})
        assert statuses(msgs)[-1].startswith("2: digest: sha256:")
        # login hands back a refresh token, which then works as identitytoken
        doc = dist.login({"username": "u", "password": "p", "serveraddress": f"http://{reg.host}/"})
        assert doc["Status"] == "Login Succeeded" and doc["IdentityToken"].startswith("refresh-")
        svc.tag(got, f"{reg.host}/tok", "3")
        msgs = _push(dist, f"{reg.host}/tok", "3", auth={"identitytoken": doc["IdentityToken"]})
        assert statuses(msgs)[-1].startswith("3: digest:")
        with pytest.raises(DockyardError) as e:
            dist.login({"username": "u", "password": "bad", "serveraddress": reg.host})
        assert e.value.status == 401 and "incorrect username or password" in str(e.value)


def test_docker_hub_unreachable_uses_mirror(svc, dist) -> None:
    with FakeRegistry() as reg:
        digest, image_id, _ = reg.add_image("library/busybox", "latest", [L1])
        dist.settings.mirrors = [f"http://{reg.host}"]
        got, msgs = pull(dist, "busybox:latest")
        assert got == image_id
        assert statuses(msgs)[0] == "latest: Pulling from library/busybox"
        assert statuses(msgs)[-1] == "Status: Downloaded newer image for busybox:latest"
        assert svc.inspect("busybox")["RepoDigests"] == [f"busybox@{digest}"]
        # not on the mirror: Docker Hub is tried last and cannot be reached
        with pytest.raises(DockyardError) as e:
            pull(dist, "nginx:latest")
        assert str(e.value) == (
            'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host'
        )
        results = dist.search("busy", None, None)
        assert results == [
            {
                "star_count": 0,
                "is_official": True,
                "name": "busybox",
                "is_automated": False,
                "description": "",
            }
        ]


def test_mirror_search_descriptions_from_labels(svc, dist) -> None:
    """A catalog has no descriptions; search takes each repository's image label (latest,
    else its first tag) and leaves it empty when the image has none."""
    label = {"org.opencontainers.image.description": "MySQL-compatible server"}
    with FakeRegistry() as reg:
        reg.add_image("library/mysql", "latest", [L1], labels=label)
        reg.add_image("library/mysql-tools", "2", [L1], labels={"other": "x"})
        reg.add_image("someone/mysql-fork", "1.0", [L1], labels=label)
        reg.add_image("library/redis", "latest", [L1], labels=label)
        dist.settings.mirrors = [f"http://{reg.host}"]
        results = dist.search("mysql", None, None)
        got = {r["name"]: (r["description"], r["is_official"]) for r in results}
        assert got == {
            "mysql": ("MySQL-compatible server", True),
            "mysql-tools": ("", True),
            "someone/mysql-fork": ("MySQL-compatible server", False),
        }


def test_unreachable_registry_texts(svc, dist) -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(DockyardError) as e:
        pull(dist, f"127.0.0.1:{port}/x:1")
    assert (
        str(e.value)
        == f'Get "http://127.0.0.1:{port}/v2/": dial tcp 127.0.0.1:{port}: connect: connection refused'
    )
    svc.load  # noqa: B018 - the service is still usable
    with pytest.raises(DockyardError, match="connection refused"):
        dist.search(f"127.0.0.1:{port}/x", None, None)


def test_platform_of_single_manifest_checked(dist) -> None:
    with FakeRegistry() as reg:
        reg.add_image("one", "1", [L1], arch="amd64")
        with pytest.raises(DockyardError) as e:
            pull(dist, f"{reg.host}/one:1", platform="linux/arm64")
        assert str(e.value) == (
            f"image with reference {reg.host}/one:1 was found but its platform (linux/amd64) "
            "does not match the specified platform (linux/arm64)"
        )
        assert pull(dist, f"{reg.host}/one:1", platform="linux/amd64")[0]


def test_pull_all_tags(svc, dist) -> None:
    with FakeRegistry() as reg:
        _, id1, _ = reg.add_image("multi", "1", [L1])
        _, id2, _ = reg.add_image("multi", "2", [L1, L2])
        got, msgs = pull(dist, f"{reg.host}/multi")
        s = statuses(msgs)
        assert s[0] == "1: Pulling from multi"
        assert "2: Pulling from multi" in s
        assert s[-1] == f"Status: Downloaded newer image for {reg.host}/multi"
        assert svc.resolve(f"{reg.host}/multi:1").id == id1
        assert svc.resolve(f"{reg.host}/multi:2").id == id2 == got
        _, msgs = pull(dist, f"{reg.host}/multi")
        assert statuses(msgs)[-1] == f"Status: Image is up to date for {reg.host}/multi"


def test_stored_blob_under_other_parent_is_not_downloaded(svc, dist) -> None:
    with FakeRegistry() as reg:
        _, _, raw_a = reg.add_image("a", "1", [L1, L2])
        _, id_b, raw_b = reg.add_image("b", "1", [L2])
        pull(dist, f"{reg.host}/a:1")
        reg.requests.clear()
        got, msgs = pull(dist, f"{reg.host}/b:1")
        assert got == id_b
        l2_blob = json.loads(raw_b)["layers"][0]["digest"]
        assert json.loads(raw_a)["layers"][1]["digest"] == l2_blob
        assert not any(p.endswith(l2_blob) for m, p, _ in reg.requests if m == "GET")
        assert (svc.lowerdirs(got)[0] / "app" / "run").exists()


def test_blob_vanishing_before_ingest_is_fetched_late(
    svc, dist, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeRegistry() as reg:
        _, image_id, raw = reg.add_image("late", "1", [L1])
        blob = json.loads(raw)["layers"][0]["digest"]
        real = svc.blobs.has
        asked: list[str] = []

        def has(d: str) -> bool:
            if d == blob and not asked:
                asked.append(d)
                return True  # "stored" when the puller looks, gone when the ingest does
            return real(d)

        monkeypatch.setattr(svc.blobs, "has", has)
        got, msgs = pull(dist, f"{reg.host}/late:1")
        assert got == image_id and asked == [blob]
        assert any(m == "GET" and p.endswith(blob) for m, p, _ in reg.requests)
        assert (svc.lowerdirs(got)[0] / "bin" / "sh").read_bytes() == b"#!shell"


def test_blob_redirects_drop_credentials(dist) -> None:
    with FakeRegistry(auth="basic", users={"u": "p"}) as reg:
        _, image_id, _ = reg.add_image("r", "1", [L1, L2])
        reg.redirect_blobs = True
        got, _ = pull(dist, f"{reg.host}/r:1", auth={"username": "u", "password": "p"})
        assert got == image_id
        storage = [a for m, p, a in reg.requests if p.startswith("/storage/")]
        assert len(storage) == 3 and all(a == "" for a in storage)  # config + 2 layers


def test_connect_error_texts() -> None:
    import socket
    import ssl

    from dockyard.registry.transport import connect_error

    url = "https://reg.example:5000/v2/"
    assert str(connect_error("GET", url, "reg.example:5000", socket.gaierror(-2, "x"))) == (
        'Get "https://reg.example:5000/v2/": dial tcp: lookup reg.example: no such host'
    )
    err = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    assert str(connect_error("HEAD", url, "reg.example:5000", err)) == (
        'Head "https://reg.example:5000/v2/": http: server gave HTTP response to HTTPS client'
    )
    assert str(connect_error("GET", url, "localhost:5000", ConnectionRefusedError())) == (
        'Get "https://reg.example:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused'
    )
    assert "i/o timeout" in str(connect_error("GET", url, "reg.example:5000", TimeoutError()))


def test_registry_standing_in_for_docker_hub(svc, dist, monkeypatch: pytest.MonkeyPatch) -> None:
    """DOCKYARD_REGISTRY_HUB=<host>: docker.io names pull, push, log in and search there."""
    with FakeRegistry(auth="basic", users={"me": "pw"}) as reg:
        monkeypatch.setenv("DOCKYARD_REGISTRY_HUB", reg.host)
        _, image_id, _ = reg.add_image("library/mysql", "5.7", [L1])
        creds = {"username": "me", "password": "pw", "serveraddress": "https://index.docker.io/v1/"}
        got, msgs = pull(dist, "mysql:5.7", auth=creds)
        assert got == image_id
        assert statuses(msgs)[0] == "5.7: Pulling from library/mysql"
        assert dist.login(creds) == {"Status": "Login Succeeded", "IdentityToken": ""}
        svc.tag("mysql:5.7", "jackfrued/webserver", None)
        msgs = _push(dist, "jackfrued/webserver", "latest", auth=creds)
        assert statuses(msgs)[0] == "The push refers to repository [docker.io/jackfrued/webserver]"
        assert statuses(msgs)[-1].startswith("latest: digest: sha256:")
        assert ("jackfrued/webserver", "latest") in reg.manifests
        names = [r["name"] for r in dist.search("webserver", None, creds)]
        assert names == ["jackfrued/webserver"]
        assert [r["name"] for r in dist.search("mysql", None, creds)] == ["mysql"]


def test_tag_moved_on_the_registry(svc, dist) -> None:
    with FakeRegistry() as reg:
        d1, id1, _ = reg.add_image("moving", "1", [L1], cmd=["one"])
        pull(dist, f"{reg.host}/moving:1")
        d2, id2, _ = reg.add_image("moving", "1", [L1, L2], cmd=["two"])
        got, msgs = pull(dist, f"{reg.host}/moving:1")
        assert got == id2 != id1
        s = statuses(msgs)
        assert s[-1] == f"Status: Downloaded newer image for {reg.host}/moving:1"
        assert sum(1 for x in s if x.endswith("Already exists")) == 1
        old = svc.inspect(id1)
        assert old["RepoTags"] == [] and old["RepoDigests"] == [f"{reg.host}/moving@{d1}"]
        assert svc.inspect(got)["RepoDigests"] == [f"{reg.host}/moving@{d2}"]


def test_distribution_inspect(dist) -> None:
    with FakeRegistry() as reg:
        d_amd, _, raw_amd = reg.add_image("dist", None, [L1], arch="amd64")
        d_arm, _, raw_arm = reg.add_image("dist", "arm", [L2], arch="arm64")
        index = reg.add_index(
            "dist", "1", [(d_amd, raw_amd, "linux/amd64"), (d_arm, raw_arm, "linux/arm64/v8")]
        )
        doc = dist.inspect(parse_normalized(f"{reg.host}/dist:1"), None)
        assert doc["Descriptor"]["digest"] == index
        assert (
            doc["Descriptor"]["mediaType"]
            == "application/vnd.docker.distribution.manifest.list.v2+json"
        )
        assert doc["Platforms"] == [
            {"architecture": "amd64", "os": "linux"},
            {"architecture": "arm64", "os": "linux", "variant": "v8"},
        ]
        doc = dist.inspect(parse_normalized(f"{reg.host}/dist:arm"), None)
        assert doc["Descriptor"] == {
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "digest": d_arm,
            "size": len(raw_arm),
        }
        assert doc["Platforms"][0]["architecture"] == "arm64"
        with pytest.raises(NotFound, match="manifest unknown"):
            dist.inspect(parse_normalized(f"{reg.host}/dist:none"), None)


def test_push_survives_rmi_midway(svc, dist) -> None:
    with FakeRegistry() as reg:
        _, image_id, _ = reg.add_image("src", "1", [L1, L2])
        pull(dist, f"{reg.host}/src:1")
        with FakeRegistry() as other:
            svc.tag(image_id, f"{other.host}/gone", "1")
            removed: list[bool] = []

            def progress(msg: dict) -> None:
                if msg.get("status") == "Preparing" and not removed:
                    removed.append(True)
                    svc.delete(image_id, force=True)  # blobs unlinked while we push

            dist.push(f"{other.host}/gone", "1", None, progress)
            assert removed and svc.list() == []
            assert ("gone", "1") in other.manifests
            assert len([d for r, d in other.links if r == "gone"]) == 3


def _load(svc, tags: list[str]) -> None:
    """A one-layer image loaded from an archive (no registry involved), tagged `tags`."""
    plain = layer(("bin/sh", b"#!shell"))
    cfg = image_config([plain])
    svc.load(io.BytesIO(classic_archive([(cfg, [plain], tags)])))


def test_pull_without_registry(svc, dist) -> None:
    from dockyard.common.reference import parse_normalized
    from dockyard.registry.errors import NoRegistry

    _load(svc, ["busybox:latest"])
    msgs: list[dict] = []
    dist.pull(parse_normalized("busybox"), None, None, msgs.append)
    assert msgs[-1] == {"status": "Status: Image is up to date for busybox:latest"}
    with pytest.raises(NoRegistry) as e:
        dist.pull(parse_normalized("nginx"), None, None, msgs.append)
    assert e.value.status == 500 and "registry-1.docker.io" in str(e.value)


def test_push_without_registry(svc, dist) -> None:
    from dockyard.registry.errors import NoRegistry

    _load(svc, ["localhost:1/app:1"])
    msgs: list[dict] = []
    with pytest.raises(NotFound, match="An image does not exist locally with the tag: nope"):
        dist.push("nope", None, None, msgs.append)
    with pytest.raises(NoRegistry):
        dist.push("localhost:1/app", "1", None, msgs.append)
    assert msgs == [{"status": "The push refers to repository [localhost:1/app]"}]


def test_many_layers_stream_in_parallel_and_complete_bottom_first(svc, dist) -> None:
    layers = [make_layer({f"l{i}/f": bytes([i]) * 5000}) for i in range(5)]
    with FakeRegistry() as reg:
        _, image_id, raw = reg.add_image("many", "1", layers)
        got, msgs = pull(dist, f"{reg.host}/many:1")
        assert got == image_id
        idents = [d["digest"][7:19] for d in json.loads(raw)["layers"]]
        s = statuses(msgs)
        assert [x for x in s if x.endswith("Waiting")] == [f"{i}: Waiting" for i in idents[3:]]
        assert [x for x in s if x.endswith("Pull complete")] == [
            f"{i}: Pull complete" for i in idents
        ]
        for i in idents:  # each layer's lines in Docker's order
            mine = [x.split(": ", 1)[1] for x in s if x.startswith(i)]
            assert mine.index("Verifying Checksum") < mine.index("Download complete")
            assert mine.index("Download complete") < mine.index("Pull complete")
        for i, low in enumerate(reversed(svc.lowerdirs(got))):
            assert (low / f"l{i}" / "f").read_bytes() == bytes([i]) * 5000


def test_corrupt_bytes_inside_a_layer_are_a_verification_failure(svc, dist) -> None:
    big = make_layer({"x": os.urandom(200_000)})
    with FakeRegistry() as reg:
        _, _, raw = reg.add_image("mid", "1", [L1, big])
        bad = json.loads(raw)["layers"][1]["digest"]
        blob = reg.blobs[bad]
        reg.blobs[bad] = blob[:1000] + bytes(b ^ 0xFF for b in blob[1000:1100]) + blob[1100:]
        before = sorted(p.name for p in (svc.root / "blobs" / "sha256").iterdir())
        with pytest.raises(
            DockyardError, match=f"filesystem layer verification failed for digest {bad}"
        ):
            pull(dist, f"{reg.host}/mid:1")
        assert svc.list() == [] and svc.layers.all() == {}
        assert sorted(p.name for p in (svc.root / "blobs" / "sha256").iterdir()) == before
