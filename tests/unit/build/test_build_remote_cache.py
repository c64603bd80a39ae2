"""BuildKit's remote cache layout (cacheformat) and the --cache-to/--cache-from grammar
(cachespec), without a daemon."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockyard.build.cacheformat import (
    CACHE_CONFIG,
    CachedImage,
    CacheFormatError,
    Layer,
    read_images,
    read_manifest,
    write_cache,
)
from dockyard.build.cachespec import parse_cache_spec
from dockyard.build.cachestores import LocalStore
from dockyard.errors import InvalidParameter

D = "sha256:" + "d" * 64


def blob(n: int) -> str:
    return "sha256:" + f"{n:x}" * 64


def image(created_by: list[str], layers: list[int]) -> CachedImage:
    hist = []
    for text in created_by:
        empty = text.startswith("ENV")
        hist.append({"created_by": text, **({"empty_layer": True} if empty else {})})
    doc = {"history": hist, "rootfs": {"type": "layers", "diff_ids": [blob(n + 5) for n in layers]}}
    return CachedImage(
        json.dumps(doc).encode(), [Layer(blob(n), 100 + n, blob(n + 5)) for n in layers]
    )


def test_image_manifest_layout_round_trips() -> None:
    img = image(["ADD rootfs", "ENV A=1", "RUN make"], [1, 2])
    config, manifest, media = write_cache([img], oci=True, image_manifest=True)
    man = json.loads(manifest)
    assert media == man["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert man["config"]["mediaType"] == CACHE_CONFIG
    assert [d["digest"] for d in man["layers"]] == [blob(1), blob(2)]
    assert man["layers"][0]["annotations"]["containerd.io/uncompressed"] == blob(6)
    cfg = json.loads(config)
    assert [x["parent"] for x in cfg["layers"]] == [-1, 0]  # BuildKit: -1 is no parent
    recs = cfg["records"]
    assert len(recs) == 3 and "inputs" not in recs[0]
    assert recs[2]["inputs"] == [[{"link": 1}]] and recs[2]["layers"] == [{"layer": 1}]
    assert "layers" not in recs[1]  # ENV made no layer
    cfg_desc, descs = read_manifest(manifest)
    got = read_images(config, descs)
    assert got[0].config == img.config
    assert [(x.blob, x.diff_id, x.size) for x in got[0].layers] == [
        (blob(1), blob(6), 101),
        (blob(2), blob(7), 102),
    ]


def test_index_layout_and_shared_steps_in_mode_max() -> None:
    a = image(["ADD rootfs", "RUN a"], [1, 2])
    b = image(["ADD rootfs", "RUN b"], [1, 3])
    config, manifest, media = write_cache([a, b], oci=False, image_manifest=False)
    man = json.loads(manifest)
    assert media == "application/vnd.docker.distribution.manifest.list.v2+json"
    assert man["manifests"][-1]["mediaType"] == CACHE_CONFIG
    assert [m["digest"] for m in man["manifests"][:-1]] == [blob(1), blob(2), blob(3)]
    cfg = json.loads(config)
    assert len(cfg["records"]) == 3  # the shared first step is one record
    assert len(read_images(config, read_manifest(manifest)[1])) == 2


def test_a_cache_buildkit_wrote_has_no_images_for_us() -> None:
    cfg = json.dumps({"layers": [{"blob": D, "parent": -1}], "records": [{"digest": D}]})
    manifest = json.dumps(
        {"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": D, "size": 1},
            {"mediaType": CACHE_CONFIG, "digest": D, "size": len(cfg)},
        ]}
    ).encode()  # fmt: skip
    assert read_images(cfg.encode(), read_manifest(manifest)[1]) == []
    with pytest.raises(CacheFormatError, match="not a cache manifest"):
        read_manifest(b'{"schemaVersion":2,"manifests":[]}')


@pytest.mark.parametrize(
    ("value", "direction", "message"),
    [
        ("type=gha", "to", 'unknown cache exporter: "gha"'),
        ("type=s3", "from", 'unknown cache importer: "s3"'),
        ("type=registry", "to", "missing ref"),
        ("type=local", "to", "local cache exporter requires dest"),
        ("type=local", "from", "local cache importer requires src"),
        ("type=registry,ref=a,mode=all", "to", 'invalid mode "all"'),
        ("type=registry,ref=a,oci-mediatypes=maybe", "to", "failed to parse oci-mediatypes"),
        ("type=registry,ref=a,colour=red", "to", 'unknown cache exporter option: "colour"'),
        ("type=registry,ref=UPPER", "to", "invalid reference"),
        ("type=registry,ref=a,oci-mediatypes=false,image-manifest=true", "to", "required"),
    ],
)
def test_bad_cache_options(value: str, direction: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        parse_cache_spec(value, direction)


def test_cache_options() -> None:
    spec = parse_cache_spec("type=registry,ref=reg:5000/c:x,mode=max", "to")
    assert (spec.ref, spec.mode, spec.oci, spec.image_manifest) == (
        "reg:5000/c:x",
        "max",
        True,
        True,
    )
    assert not parse_cache_spec("type=registry,ref=a,oci-mediatypes=false", "to").image_manifest
    spec = parse_cache_spec("type=local,src=/tmp/c,tag=v1", "from")
    assert (spec.path, spec.tag) == ("/tmp/c", "v1")


def test_local_store_keeps_other_tags(tmp_path: Path) -> None:
    for tag in ("a", "b", "a"):
        store = LocalStore(parse_cache_spec(f"type=local,dest={tmp_path},tag={tag}", "to"), True)
        store.put_manifest(tag.encode() * 3, "application/vnd.oci.image.manifest.v1+json")
    index = json.loads((tmp_path / "index.json").read_text())
    names = [m["annotations"]["org.opencontainers.image.ref.name"] for m in index["manifests"]]
    assert sorted(names) == ["a", "b"]
    assert (tmp_path / "oci-layout").is_file()
    got = LocalStore(parse_cache_spec(f"type=local,src={tmp_path},tag=b", "from"), False)
    assert got.manifest() == b"bbb"
    with pytest.raises(CacheFormatError, match="tag c not found"):
        LocalStore(parse_cache_spec(f"type=local,src={tmp_path},tag=c", "from"), False).manifest()


def buildkit_would_parse(config: bytes, manifest: bytes) -> None:
    """BuildKit's importer rules (cache/remotecache/v1/parse.go, restated): every record's
    input links and result layers resolve, without loops; every layer chain ends at
    parent -1 and names a blob of the manifest; the config is at most 1 MiB."""
    assert len(config) <= 1 << 20
    man = json.loads(manifest)
    descs = man["layers"] if "config" in man else man["manifests"][:-1]
    blobs = {d["digest"] for d in descs}
    cfg = json.loads(config)
    layers, records = cfg["layers"], cfg["records"]

    def chain(i: int, seen: set[int]) -> None:
        assert i not in seen and 0 <= i < len(layers)
        assert layers[i]["blob"] in blobs
        if layers[i].get("parent", 0) != -1:
            chain(layers[i].get("parent", 0), seen | {i})

    def record(i: int, seen: set[int]) -> None:
        assert i not in seen and 0 <= i < len(records)
        for inputs in records[i].get("inputs") or []:
            for inp in inputs:
                record(inp["link"], seen | {i})
        for res in records[i].get("layers") or []:
            chain(res["layer"], set())

    for i in range(len(records)):
        record(i, set())


def test_buildkit_would_parse_both_layouts() -> None:
    imgs = [
        image(["ADD rootfs", "ENV A=1", "RUN a"], [1, 2]),
        image(["ADD rootfs", "RUN b"], [1, 3]),
    ]
    for oci, manifest_form in ((True, True), (True, False), (False, False)):
        config, manifest, _ = write_cache(imgs, oci=oci, image_manifest=manifest_form)
        buildkit_would_parse(config, manifest)
