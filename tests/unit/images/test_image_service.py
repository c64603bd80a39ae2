"""Tags, rmi semantics and conflicts, list filters, inspect/history shapes, commit, prune."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from testing.images import classic_archive, image_config, layer, make_service, sha

from dockyard.errors import Conflict, InvalidParameter, NotFound

L1 = layer(("bin/sh", b"#!shell"))
L2 = layer(("app/run", b"run"))
L3 = layer(("data/x", b"x" * 1000))


@pytest.fixture
def env(tmp_path: Path):
    svc, d = make_service(tmp_path / "root")
    return svc, d


def load(svc, cfg: bytes, layers: list[bytes], tags: list[str]) -> str:
    svc.load(io.BytesIO(classic_archive([(cfg, layers, tags)])))
    return sha(cfg)


def events(d) -> list[tuple[str, str, str]]:
    past, _ = d.events.subscribe()
    return [(e["Action"], e["Actor"]["ID"], e["Actor"]["Attributes"].get("name", "")) for e in past]


def test_resolve_errors(env) -> None:
    svc, _ = env
    with pytest.raises(NotFound, match=r"^No such image: nope:latest$"):
        svc.resolve("nope")
    with pytest.raises(NotFound, match="^No such image: sha256:abc123$"):
        svc.resolve("sha256:abc123")
    a = load(svc, image_config([L1], cmd=["a"]), [L1], [])
    b = load(svc, image_config([L2], cmd=["b"]), [L2], [])
    common = os.path.commonprefix([a[7:], b[7:]])
    if len(common) >= 1:
        with pytest.raises(InvalidParameter, match="multiple IDs"):
            svc.resolve(common)


def test_tag_untag_and_events(env) -> None:
    svc, d = env
    iid = load(svc, image_config([L1]), [L1], ["busybox:latest"])
    svc.tag("busybox", "localhost:5000/bb", "v1")
    svc.tag(iid[7:19], "mine", None)
    assert sorted(svc.repo_tags(iid)) == ["busybox:latest", "localhost:5000/bb:v1", "mine:latest"]
    assert ("tag", iid, "localhost:5000/bb:v1") in events(d)
    with pytest.raises(InvalidParameter):
        svc.tag("busybox", "Bad", None)
    with pytest.raises(InvalidParameter, match="digest"):
        svc.tag("busybox", "x@sha256:" + "a" * 64, None)
    records = svc.delete("mine")
    assert records == [{"Untagged": "mine:latest"}]
    assert ("untag", iid, iid) in events(d)
    assert svc.resolve("busybox").id == iid


def test_rmi_last_tag_deletes_image_and_layers(env) -> None:
    svc, d = env
    iid = load(svc, image_config([L1, L2]), [L1, L2], ["app:1"])
    base = load(svc, image_config([L1], cmd=["base"]), [L1], ["base:1"])
    lowers = svc.lowerdirs(iid)
    records = svc.delete("app:1")
    assert records[0] == {"Untagged": "app:1"}
    assert records[1] == {"Deleted": iid}
    # only the top layer goes: the bottom one is shared with base:1
    assert records[2:] == [{"Deleted": sha(f"{sha(L1)} {sha(L2)}".encode())}]
    assert not lowers[0].exists() and lowers[1].exists()
    assert not svc.blobs.has(iid)
    assert ("delete", iid, iid) in events(d)
    svc.delete(base)  # by ID
    assert svc.layers.all() == {}
    assert svc.blobs.digests() == []


def test_rmi_conflicts(env) -> None:
    svc, d = env
    ctrs = d.services.containers
    iid = load(svc, image_config([L1]), [L1], ["busybox:latest"])
    cid = "c" * 64
    ctrs.users[iid] = [cid]
    with pytest.raises(Conflict) as e:
        svc.delete("busybox")
    assert str(e.value) == (
        'conflict: unable to remove repository reference "busybox" (must force) - container '
        f"cccccccccccc is using its referenced image {iid[7:19]}"
    )
    with pytest.raises(
        Conflict, match=r"\(must be forced\) - image is being used by stopped container cccc"
    ):
        svc.delete(iid[7:19])
    # a second tag may go without force; the image stays
    svc.tag("busybox", "other", None)
    assert svc.delete("other") == [{"Untagged": "other:latest"}]
    ctrs.running[iid] = [cid]
    with pytest.raises(
        Conflict,
        match=rf"unable to delete {iid[7:19]} \(cannot be forced\) - image is being used by running container cccccccccccc",
    ):
        svc.delete(iid, force=True)
    # forced untag of the last reference keeps the image (it is used) but removes the tag
    assert svc.delete("busybox", force=True) == [{"Untagged": "busybox:latest"}]
    assert svc.resolve(iid).id == iid
    ctrs.running.clear()
    ctrs.users.clear()
    assert svc.delete(iid) == [{"Deleted": iid}, {"Deleted": sha(L1)}]


def test_rmi_by_id_with_several_repos(env) -> None:
    svc, _ = env
    iid = load(svc, image_config([L1]), [L1], ["a:1", "b:1"])
    with pytest.raises(Conflict, match="image is referenced in multiple repositories"):
        svc.delete(iid[7:19])
    records = svc.delete(iid[7:19], force=True)
    assert {"Untagged": "a:1"} in records and {"Untagged": "b:1"} in records
    assert {"Deleted": iid} in records


def test_list_filters(env) -> None:
    svc, _ = env
    old = load(
        svc,
        image_config([L1], created="2020-01-01T00:00:00Z", config={"Labels": {"tier": "db"}}),
        [L1],
        ["db:1"],
    )
    new = load(
        svc,
        image_config([L2], created="2023-01-01T00:00:00Z", config={"Labels": {"tier": "web"}}),
        [L2],
        ["web:1", "example.com/team/web:2"],
    )
    dangling = load(svc, image_config([L3], created="2022-01-01T00:00:00Z"), [L3], [])

    def ids(**kw):
        return [s["Id"] for s in svc.list(**kw)]

    assert ids() == [new, dangling, old]  # newest first
    assert ids(filters={"dangling": ["true"]}) == [dangling]
    assert ids(filters={"dangling": ["false"]}) == [new, old]
    assert ids(filters={"label": ["tier=db"]}) == [old]
    assert ids(filters={"label": ["tier"]}) == [new, old]
    assert ids(filters={"before": ["web:1"]}) == [dangling, old]
    assert ids(filters={"since": ["db:1"]}) == [new, dangling]
    assert ids(filters={"until": ["2021-01-01T00:00:00Z"]}) == [old]
    refs = svc.list(filters={"reference": ["web"]})
    assert [s["RepoTags"] for s in refs] == [["web:1"]]
    assert ids(filters={"reference": ["*/team/*"]}) == [new]
    assert ids(filters={"reference": ["d*:1"]}) == [old]
    with pytest.raises(InvalidParameter, match="invalid filter 'bogus'"):
        svc.list(filters={"bogus": ["1"]})
    s = next(x for x in svc.list() if x["Id"] == old)
    assert set(s) == {
        "Containers",
        "Created",
        "Id",
        "Labels",
        "ParentId",
        "RepoDigests",
        "RepoTags",
        "SharedSize",
        "Size",
    }
    assert s["Created"] == 1577836800 and s["Labels"] == {"tier": "db"} and s["Containers"] == -1
    assert "VirtualSize" in svc.list(api="1.43")[0]
    by_id = {x["Id"]: x for x in svc.list(api="1.42")}
    assert by_id[dangling]["RepoTags"] == ["<none>:<none>"]
    assert by_id[old]["RepoTags"] == ["db:1"]
    assert {x["Id"]: x for x in svc.list()}[dangling]["RepoTags"] == []


def test_inspect_and_history_shapes(env) -> None:
    svc, _ = env
    iid = load(
        svc, image_config([L1, L2], config={"ExposedPorts": {"80/tcp": {}}}), [L1, L2], ["app:1"]
    )
    doc = svc.inspect("app:1")
    assert list(doc) == [
        "Id", "RepoTags", "RepoDigests", "Parent", "Comment", "Created", "DockerVersion",
        "Author", "Config", "Architecture", "Os", "Size", "GraphDriver", "RootFS", "Metadata",
    ]  # fmt: skip
    assert doc["Id"] == iid and doc["RepoTags"] == ["app:1"] and doc["RepoDigests"] == []
    assert doc["Config"]["Cmd"] == ["sh"] and doc["Config"]["ExposedPorts"] == {"80/tcp": {}}
    assert doc["Config"]["Hostname"] == "" and doc["Config"]["Volumes"] is None
    assert doc["RootFS"] == {"Type": "layers", "Layers": [sha(L1), sha(L2)]}
    gd = doc["GraphDriver"]
    assert gd["Name"] == "overlay2"
    assert gd["Data"]["UpperDir"] == str(svc.lowerdirs(iid)[0])
    assert gd["Data"]["LowerDir"] == str(svc.lowerdirs(iid)[1])
    assert doc["Metadata"]["LastTagTime"] != "0001-01-01T00:00:00Z"
    old = svc.inspect("app:1", api="1.43")
    assert "ContainerConfig" in old and "VirtualSize" in old
    hist = svc.history("app:1")
    assert [h["CreatedBy"] for h in hist] == ["ADD l1", "ADD l0"]
    assert hist[0]["Id"] == iid and hist[0]["Tags"] == ["app:1"]
    assert hist[1]["Id"] == "<missing>" and hist[1]["Size"] > 0


def test_commit_with_changes_and_parent(env, tmp_path: Path) -> None:
    svc, d = env
    base = load(svc, image_config([L1]), [L1], ["base:1"])
    upper = tmp_path / "upper"
    (upper / "etc").mkdir(parents=True)
    (upper / "etc" / "motd").write_text("hi")
    ccfg = {
        "Cmd": ["sh", "-c", "echo hi > /etc/motd"],
        "Env": ["PATH=/bin"],
        "Image": "base:1",
        "_private": 1,
    }
    new = svc.commit(
        upper, base, ccfg, author="me", comment="msg", changes=["EXPOSE 80", "CMD [\"top\"]"],
        container_id="f" * 64, repo_tag="committed:v2",
    )  # fmt: skip
    rec = svc.resolve("committed:v2")
    assert rec.id == new and rec.parent == base
    ic = rec.image_config
    assert ic["config"]["Cmd"] == ["top"] and ic["config"]["ExposedPorts"] == {"80/tcp": {}}
    assert "_private" not in ic["config"]
    assert ic["author"] == "me" and ic["comment"] == "msg" and ic["container"] == "f" * 64
    assert ic["history"][-1]["created_by"] == "sh -c echo hi > /etc/motd"
    assert len(ic["rootfs"]["diff_ids"]) == 2
    assert (svc.lowerdirs(new)[0] / "etc" / "motd").read_text() == "hi"
    assert svc.history("committed:v2")[0]["Id"] == new
    assert svc.history("committed:v2")[1]["Id"] == base  # the local parent is known
    # the parent cannot go while its child exists
    svc.delete("base:1")
    with pytest.raises(Conflict, match="image has dependent child images"):
        svc.delete(base)
    # an unchanged container adds no layer
    empty = tmp_path / "empty"
    empty.mkdir()
    same = svc.commit(empty, new, {"Cmd": ["x"]})
    assert svc.resolve(same).chain == rec.chain
    assert svc.resolve(same).image_config["history"][-1]["empty_layer"] is True


def test_prune(env) -> None:
    svc, d = env
    keep = load(svc, image_config([L1]), [L1], ["keep:1"])
    gone = load(svc, image_config([L2]), [L2], [])
    used = load(svc, image_config([L3]), [L3], [])
    d.services.containers.users[used] = ["c" * 64]
    report = svc.prune({})
    assert {"Deleted": gone} in report["ImagesDeleted"]
    assert report["SpaceReclaimed"] > 0
    assert {s["Id"] for s in svc.list()} == {keep, used}
    report = svc.prune({"dangling": ["false"]})
    assert {"Untagged": "keep:1"} in report["ImagesDeleted"]
    assert {s["Id"] for s in svc.list()} == {used}
    assert svc.prune({}) == {"ImagesDeleted": None, "SpaceReclaimed": 0}


def test_df_counts_containers_and_shared_size(env) -> None:
    svc, d = env
    a = load(svc, image_config([L1], cmd=["a"]), [L1], ["a:1"])
    b = load(svc, image_config([L1, L2], cmd=["b"]), [L1, L2], ["b:1"])
    d.services.containers.users[a] = ["c1", "c2"]
    rows = {s["Id"]: s for s in svc.df()}
    assert rows[a]["Containers"] == 2 and rows[b]["Containers"] == 0
    assert rows[a]["SharedSize"] == rows[a]["Size"]
    assert 0 < rows[b]["SharedSize"] < rows[b]["Size"]
    assert svc.layers_size() == rows[b]["Size"]


def test_forced_rmi_keeps_layers_for_stopped_containers(env) -> None:
    svc, d = env
    ctrs = d.services.containers
    iid = load(svc, image_config([L1]), [L1], ["busybox:latest"])
    ctrs.users[iid] = ["c" * 64]
    assert svc.delete("busybox", force=True) == [
        {"Untagged": "busybox:latest"},
        {"Deleted": iid},
    ]
    assert svc.list() == [] and svc.count() == 0
    with pytest.raises(NotFound):
        svc.resolve(iid)
    assert svc.lowerdirs(iid)[0].is_dir()  # the container can still start
    assert svc.config(iid)["Cmd"] == ["sh"]
    ctrs.users.clear()
    assert svc.sweep() == [sha(L1)]
    assert svc.layers.all() == {} and svc.blobs.digests() == []
    # loading it again makes it visible again
    load(svc, image_config([L1]), [L1], ["busybox:latest"])
    assert svc.resolve("busybox").id == iid


def test_add_image_for_pullers(env) -> None:
    import gzip

    svc, _ = env
    cfg = image_config([L1, L2])
    gz1 = gzip.compress(L1)
    manifest = b'{"schemaVersion":2}'
    calls: list[str] = []

    def opener(data: bytes, name: str):
        def open_raw():
            calls.append(name)
            return io.BytesIO(data)

        return open_raw

    iid = svc.add_image(
        cfg,
        [(sha(L1), opener(gz1, "l1"), sha(gz1)), (sha(L2), opener(L2, "l2"), None)],
        ["busybox:1.36", f"busybox@{sha(manifest)}"],
        extra_blobs=[manifest],
    )
    assert iid == sha(cfg) and calls == ["l1", "l2"]
    assert svc.repo_digests(iid) == [f"busybox@{sha(manifest)}"]
    assert svc.resolve(f"busybox@{sha(manifest)}").id == iid
    svc.recover()  # the manifest blob is referenced, not an orphan
    assert svc.blobs.has(sha(manifest))
    blobs = svc.layer_blobs(iid)
    assert blobs[0]["blob"] == sha(gz1) and blobs[0]["compression"] == "gzip"
    assert blobs[1]["diff_id"] == sha(L2) and blobs[1]["compression"] == "gzip"
    assert svc.has_layer(None, sha(L1))
    # a wrong blob digest is refused and leaves nothing behind
    with pytest.raises(InvalidParameter):
        svc.add_image(image_config([L3]), [(sha(L3), opener(L3, "l3"), sha(b"x"))], ["bad:1"])
    assert not svc.has_layer(None, sha(L3))


def test_commit_created_by_for_the_builder(env, tmp_path: Path) -> None:
    svc, _ = env
    base = load(svc, image_config([L1]), [L1], [])
    empty = tmp_path / "u"
    empty.mkdir()
    iid = svc.commit(empty, base, {"Env": ["A=b"]}, created_by="/bin/sh -c #(nop)  ENV A=b")
    assert svc.history(iid)[0]["CreatedBy"] == "/bin/sh -c #(nop)  ENV A=b"
    cfg_only = svc.commit(None, iid, {"Env": ["A=c"]}, created_by="ENV A=c")
    assert svc.resolve(cfg_only).chain == svc.resolve(iid).chain
    assert svc.config(cfg_only)["Env"] == ["A=c"]


def test_untagging_last_tag_drops_digest_refs_of_that_repo(env) -> None:
    svc, _ = env
    iid = load(svc, image_config([L1]), [L1], ["busybox:latest", "keep:1"])
    digest = "sha256:" + "d" * 64
    svc.add_reference(iid, f"busybox@{digest}")
    assert svc.repo_digests(iid) == [f"busybox@{digest}"]
    records = svc.delete("busybox")
    assert records == [{"Untagged": "busybox:latest"}, {"Untagged": f"busybox@{digest}"}]
    assert svc.repo_tags(iid) == ["keep:1"] and svc.repo_digests(iid) == []
    # a digest reference can be removed by itself
    svc.add_reference(iid, f"keep@{digest}")
    assert svc.delete(f"keep@{digest}") == [{"Untagged": f"keep@{digest}"}]
    assert svc.resolve("keep:1").id == iid
