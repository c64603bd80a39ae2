"""Image archive formats: round trips, other tools' layouts, hostile archives."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile

import pytest
import zstandard

from dockyard.images.archive_format import (
    ArchiveError,
    ImageToWrite,
    LayerToWrite,
    read_image_archive,
    spool_archive,
    write_docker_archive,
)


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer_tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def config_for(layers: list[bytes], **extra: object) -> bytes:
    cfg = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": [sha(x) for x in layers]},
        **extra,
    }
    return json.dumps(cfg).encode()


def image(layers: list[bytes], tags: list[str], **extra: object) -> ImageToWrite:
    return ImageToWrite(
        config=config_for(layers, **extra),
        repo_tags=tags,
        layers=[LayerToWrite(sha(x), len(x), lambda x=x: io.BytesIO(x)) for x in layers],
    )


def write(images: list[ImageToWrite]) -> bytes:
    out = io.BytesIO()
    write_docker_archive(out, images)
    return out.getvalue()


def make_tar(entries: dict[str, object]) -> bytes:
    """name -> bytes (file), ("sym", target), ("lnk", target)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, value in entries.items():
            info = tarfile.TarInfo(name)
            if isinstance(value, tuple):
                info.type = tarfile.SYMTYPE if value[0] == "sym" else tarfile.LNKTYPE
                info.linkname = value[1]
                t.addfile(info)
            else:
                assert isinstance(value, bytes)
                info.size = len(value)
                t.addfile(info, io.BytesIO(value))
    return buf.getvalue()


def tar_entries(data: bytes) -> dict[str, bytes]:
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        for m in t.getmembers():
            if m.isfile():
                out[m.name] = t.extractfile(m).read()  # type: ignore[union-attr]
    return out


def read(data: bytes):
    return read_image_archive(io.BytesIO(data))


def read_layers(img) -> list[bytes]:
    out = []
    for layer in img.layers:
        with layer.open() as f:
            out.append(f.read())
    return out


L1 = layer_tar({"bin/sh": b"shell"})
L2 = layer_tar({"etc/motd": b"hello"})
L3 = layer_tar({"app": b"x" * 100_000})


# --- round trips ---------------------------------------------------------------------


def test_round_trip_two_images_sharing_a_layer():
    a = image([L1, L2], ["busybox:latest", "busybox:1"])
    b = image([L1, L3], ["example.com/team/app:v2"])
    data = write([a, b])
    archive = read(data)
    assert archive.format == "docker-archive"
    imgs = list(archive)
    assert [i.repo_tags for i in imgs] == [
        ("busybox:latest", "busybox:1"),
        ("example.com/team/app:v2",),
    ]
    assert imgs[0].config == a.config
    assert imgs[0].config_digest == sha(a.config)
    assert read_layers(imgs[0]) == [L1, L2]
    assert read_layers(imgs[1]) == [L1, L3]
    assert [layer.diff_id for layer in imgs[1].layers] == [sha(L1), sha(L3)]
    # the shared layer is stored once
    names = [n for n in tar_entries(data) if n.startswith("blobs/")]
    assert names.count("blobs/sha256/" + sha(L1)[7:]) == 1


def test_written_layout_matches_docker_25():
    a = image([L1, L2], ["busybox:latest"])
    entries = tar_entries(write([a]))
    assert json.loads(entries["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    manifest = json.loads(entries["manifest.json"])
    assert manifest == [
        {
            "Config": "blobs/sha256/" + sha(a.config)[7:],
            "RepoTags": ["busybox:latest"],
            "Layers": ["blobs/sha256/" + sha(L1)[7:], "blobs/sha256/" + sha(L2)[7:]],
        }
    ]
    assert json.loads(entries["repositories"]) == {"busybox": {"latest": sha(L2)[7:]}}
    index = json.loads(entries["index.json"])
    (desc,) = index["manifests"]
    assert desc["annotations"] == {
        "io.containerd.image.name": "docker.io/library/busybox:latest",
        "org.opencontainers.image.ref.name": "latest",
    }
    assert desc["platform"] == {"architecture": "amd64", "os": "linux"}
    oci_manifest = entries["blobs/sha256/" + desc["digest"][7:]]
    assert sha(oci_manifest) == desc["digest"]
    m = json.loads(oci_manifest)
    assert m["config"]["digest"] == sha(a.config)
    assert [x["mediaType"] for x in m["layers"]] == ["application/vnd.oci.image.layer.v1.tar"] * 2


def test_writer_is_deterministic_with_fixed_mtime():
    a = image([L1], ["x:1"])
    out1, out2 = io.BytesIO(), io.BytesIO()
    write_docker_archive(out1, [a], mtime=1234)
    write_docker_archive(out2, [a], mtime=1234)
    assert out1.getvalue() == out2.getvalue()
    with tarfile.open(fileobj=io.BytesIO(out1.getvalue())) as t:
        assert {m.mtime for m in t.getmembers()} == {1234}


def test_same_image_twice_is_one_entry():
    a = image([L1], ["a:1"])
    b = ImageToWrite(a.config, ["a:2", "a:1"], a.layers)
    (img,) = read(write([a, b])).images
    assert img.repo_tags == ("a:1", "a:2")


def test_untagged_image_round_trips():
    data = write([image([L1], [])])
    (img,) = read(data).images
    assert img.repo_tags == ()
    assert "repositories" not in tar_entries(data)


def test_reads_oci_layout_when_manifest_json_absent():
    entries = tar_entries(write([image([L1, L2], ["busybox:latest", "ex.io/a/b:c"])]))
    del entries["manifest.json"]
    archive = read(make_tar(entries))
    assert archive.format == "oci-layout"
    (img,) = archive.images
    assert img.repo_tags == ("busybox:latest", "ex.io/a/b:c")
    assert img.manifest_digest is not None
    assert read_layers(img) == [L1, L2]
    assert img.layers[0].media_type == "application/vnd.oci.image.layer.v1.tar"


def test_streaming_output_needs_no_seek():
    class Sink(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b) -> int:  # type: ignore[override]
            self.data += b
            return len(b)

    sink = Sink()
    write_docker_archive(sink, [image([L3], ["a:b"])])  # type: ignore[arg-type]
    (img,) = read(bytes(sink.data)).images
    assert read_layers(img) == [L3]


# --- other producers' layouts ----------------------------------------------------------


def classic_archive(link_second: bool = False) -> tuple[bytes, bytes]:
    """The pre-25 `docker save` layout: <id>/layer.tar, <config>.json, repositories."""
    cfg = config_for([L1, L2])
    cfg_name = sha(cfg)[7:] + ".json"
    entries: dict[str, object] = {
        "aaa/VERSION": b"1.0",
        "aaa/json": b"{}",
        "aaa/layer.tar": L1,
        "bbb/VERSION": b"1.0",
        "bbb/layer.tar": ("sym", "../aaa/layer.tar") if link_second else L2,
        cfg_name: cfg,
        "manifest.json": json.dumps(
            [
                {
                    "Config": cfg_name,
                    "RepoTags": ["docker.io/library/busybox:latest"],
                    "Layers": ["aaa/layer.tar", "bbb/layer.tar"],
                }
            ]
        ).encode(),
        "repositories": b'{"busybox":{"latest":"bbb"}}',
    }
    return make_tar(entries), cfg


def test_classic_docker_save_layout():
    data, cfg = classic_archive()
    (img,) = read(data).images
    assert img.config == cfg
    assert img.repo_tags == ("busybox:latest",)
    assert read_layers(img) == [L1, L2]
    assert img.layers[0].digest is None


def test_classic_layout_symlinked_layer():
    data, _ = classic_archive(link_second=True)
    (img,) = read(data).images
    assert read_layers(img) == [L1, L1]  # the caller's diff_id check then fails it


def oci_archive(
    layers: list[tuple[bytes, bytes, str]],
    name: str | None = "docker.io/library/app:1",
    nested: bool = False,
    extra_platform: bool = False,
) -> bytes:
    """An OCI layout with given (uncompressed, stored, media type) layers."""
    blobs: dict[str, bytes] = {}

    def put(data: bytes) -> dict[str, object]:
        blobs["blobs/sha256/" + sha(data)[7:]] = data
        return {"digest": sha(data), "size": len(data)}

    cfg = config_for([u for u, _, _ in layers])
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **put(cfg)},
        "layers": [{"mediaType": mt, **put(stored)} for _, stored, mt in layers],
    }
    desc = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        **put(json.dumps(manifest).encode()),
    }
    if nested:
        children = [{**desc, "platform": {"architecture": "amd64", "os": "linux"}}]
        if extra_platform:
            children.append(
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": "sha256:" + "e" * 64,
                    "size": 100,
                    "platform": {"architecture": "arm64", "os": "linux"},
                }
            )
        inner = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": children,
        }
        desc = {
            "mediaType": "application/vnd.oci.image.index.v1+json",
            **put(json.dumps(inner).encode()),
        }
    if name:
        desc["annotations"] = {
            "io.containerd.image.name": name,
            "org.opencontainers.image.ref.name": "1",
        }
    index = {"schemaVersion": 2, "manifests": [desc]}
    return make_tar(
        {
            "oci-layout": b'{"imageLayoutVersion":"1.0.0"}',
            "index.json": json.dumps(index).encode(),
            **blobs,
        }
    )


def test_oci_compressed_layers():
    gz = gzip.compress(L1)
    zs = zstandard.ZstdCompressor().compress(L2)
    data = oci_archive(
        [
            (L1, gz, "application/vnd.oci.image.layer.v1.tar+gzip"),
            (L2, zs, "application/vnd.oci.image.layer.v1.tar+zstd"),
            (L3, L3, "application/vnd.oci.image.layer.v1.tar"),
        ]
    )
    (img,) = read(data).images
    assert img.repo_tags == ("app:1",)
    assert read_layers(img) == [L1, L2, L3]
    assert img.layers[0].digest == sha(gz)
    with img.layers[0].open_raw() as f:
        assert f.read() == gz


def test_oci_nested_index_skips_absent_platforms():
    data = oci_archive(
        [(L1, L1, "application/vnd.oci.image.layer.v1.tar")], nested=True, extra_platform=True
    )
    (img,) = read(data).images
    assert img.repo_tags == ("app:1",)
    assert read_layers(img) == [L1]


def test_oci_bare_ref_name_is_not_a_tag():
    entries = tar_entries(
        oci_archive([(L1, L1, "application/vnd.oci.image.layer.v1.tar")], name=None)
    )
    index = json.loads(entries["index.json"])
    index["manifests"][0]["annotations"] = {"org.opencontainers.image.ref.name": "latest"}
    entries["index.json"] = json.dumps(index).encode()
    (img,) = read(make_tar(entries)).images
    assert img.repo_tags == ()


def test_attestation_manifests_are_skipped():
    entries = tar_entries(oci_archive([(L1, L1, "application/vnd.oci.image.layer.v1.tar")]))
    index = json.loads(entries["index.json"])
    index["manifests"].append(
        {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "sha256:" + "f" * 64,
            "size": 10,
            "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
        }
    )
    entries["index.json"] = json.dumps(index).encode()
    assert len(read(make_tar(entries)).images) == 1


def test_spool_decompresses_gzipped_archive():
    data = write([image([L1], ["a:b"])])
    gz = gzip.compress(data)
    with pytest.raises(ArchiveError, match="gzip-compressed"):
        read(gz)
    spooled = spool_archive(io.BytesIO(gz))
    (img,) = read_image_archive(spooled).images
    assert read_layers(img) == [L1]
    spooled2 = spool_archive(io.BytesIO(data))
    assert spooled2.read() == data


# --- hostile and corrupt archives ----------------------------------------------------------


def docker_entries() -> dict[str, object]:
    return dict(tar_entries(write([image([L1, L2], ["a:b"])])))


def mutate_manifest(entries: dict[str, object], fn) -> bytes:
    m = json.loads(entries["manifest.json"])  # type: ignore[arg-type]
    fn(m[0])
    entries["manifest.json"] = json.dumps(m).encode()
    return make_tar(entries)


def test_not_a_tar():
    with pytest.raises(ArchiveError, match="not a readable tar"):
        read(b"hello world" * 100)


def test_empty_tar():
    with pytest.raises(ArchiveError, match="neither manifest.json nor index.json"):
        read(make_tar({}))


def test_manifest_json_invalid():
    e = docker_entries()
    e["manifest.json"] = b"[{"
    with pytest.raises(ArchiveError, match="invalid JSON"):
        read(make_tar(e))
    e["manifest.json"] = b'{"Config": 1}'
    with pytest.raises(ArchiveError, match="expected a JSON array"):
        read(make_tar(e))


def test_missing_config():
    e = docker_entries()
    m = json.loads(e["manifest.json"])  # type: ignore[arg-type]
    del e[m[0]["Config"]]
    with pytest.raises(ArchiveError, match="no member"):
        read(make_tar(e))


def test_config_digest_mismatch():
    e = docker_entries()
    m = json.loads(e["manifest.json"])  # type: ignore[arg-type]
    e[m[0]["Config"]] = e[m[0]["Config"]] + b" "  # type: ignore[operator]
    with pytest.raises(ArchiveError, match="digest mismatch"):
        read(make_tar(e))


def test_missing_layer():
    e = docker_entries()
    m = json.loads(e["manifest.json"])  # type: ignore[arg-type]
    del e[m[0]["Layers"][1]]
    with pytest.raises(ArchiveError, match="no layer"):
        read(make_tar(e))


def test_layer_count_mismatch():
    e = docker_entries()
    with pytest.raises(ArchiveError, match="1 layers but the config lists 2"):
        read(mutate_manifest(e, lambda m: m["Layers"].pop()))


def test_path_escape_refused():
    e = docker_entries()
    with pytest.raises(ArchiveError, match="escapes"):
        read(mutate_manifest(e, lambda m: m["Layers"].__setitem__(0, "../../etc/passwd")))


def test_symlink_loop_refused():
    e = docker_entries()
    e["loop/a"] = ("sym", "b")
    e["loop/b"] = ("sym", "a")
    with pytest.raises(ArchiveError, match="no layer"):
        read(mutate_manifest(e, lambda m: m["Layers"].__setitem__(0, "loop/a")))


def test_links_stay_inside_the_archive():
    e = docker_entries()
    real = e.pop("manifest.json")
    e["meta/manifest.json"] = real
    e["manifest.json"] = ("lnk", "meta/manifest.json")
    assert len(read(make_tar(e)).images) == 1
    e["manifest.json"] = ("sym", "/etc/passwd")
    with pytest.raises(ArchiveError, match="no member 'etc/passwd'"):
        read(make_tar(e))
    e["manifest.json"] = ("sym", "../../../etc/passwd")
    with pytest.raises(ArchiveError, match="escapes"):
        read(make_tar(e))


def test_duplicate_members_refused():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for data in (b"[]", b"[{}]"):
            info = tarfile.TarInfo("./manifest.json")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    with pytest.raises(ArchiveError, match="duplicate"):
        read(buf.getvalue())


def test_truncated_archive():
    data = write([image([L3], ["a:b"])])
    cut = data[: data.index(L3[:512]) + 4096]
    with pytest.raises(ArchiveError):
        archive = read(cut)
        read_layers(archive.images[0])


def test_layer_blob_digest_mismatch_detected_at_eof():
    gz = gzip.compress(L1)
    data = oci_archive([(L1, gz, "application/vnd.oci.image.layer.v1.tar+gzip")])
    bad_gz = gzip.compress(L1, mtime=12345)  # same content, different bytes
    assert len(bad_gz) == len(gz) and bad_gz != gz
    data = data.replace(gz, bad_gz)
    (img,) = read(data).images
    with pytest.raises(ArchiveError, match="digest mismatch"):
        read_layers(img)


def test_verify_diff_id_option():
    data = write([image([L1], ["a:b"])])
    (img,) = read(data.replace(b"shell", b"shelL")).images
    with img.layers[0].open() as f:
        f.read()  # unchecked: the caller's job
    with pytest.raises(ArchiveError, match="diff_id"), img.layers[0].open(verify_diff_id=True) as f:
        f.read()


def test_corrupt_compressed_layer():
    gz = bytearray(gzip.compress(L3))
    gz[len(gz) // 2] ^= 0xFF
    data = oci_archive([(L3, bytes(gz), "application/vnd.oci.image.layer.v1.tar+gzip")])
    (img,) = read(data).images
    with pytest.raises(ArchiveError):
        read_layers(img)


def test_unknown_layer_media_type():
    data = oci_archive([(L1, L1, "application/x-weird")])
    with pytest.raises(ArchiveError, match="unknown layer media type"):
        read(data)


def test_unknown_manifest_media_type():
    entries = tar_entries(oci_archive([(L1, L1, "application/vnd.oci.image.layer.v1.tar")]))
    index = json.loads(entries["index.json"])
    index["manifests"][0]["mediaType"] = "application/x-weird"
    entries["index.json"] = json.dumps(index).encode()
    with pytest.raises(ArchiveError, match="unknown media type"):
        read(make_tar(entries))


def test_oci_manifest_digest_mismatch_and_missing():
    entries = tar_entries(oci_archive([(L1, L1, "application/vnd.oci.image.layer.v1.tar")]))
    index = json.loads(entries["index.json"])
    blob = "blobs/sha256/" + index["manifests"][0]["digest"][7:]
    entries[blob] = entries[blob].replace(b"schemaVersion", b"schemaVersioN")
    with pytest.raises(ArchiveError, match="digest mismatch"):
        read(make_tar(entries))
    del entries[blob]
    with pytest.raises(ArchiveError, match="missing"):
        read(make_tar(entries))


def test_oci_index_nesting_too_deep():
    # Content addressing rules out real cycles; a deep chain is the hostile case.
    inner = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [],
    }
    blobs = {}
    digest, size = None, 0
    for _ in range(12):
        if digest:
            inner = {
                **inner,
                "manifests": [
                    {
                        "mediaType": "application/vnd.oci.image.index.v1+json",
                        "digest": digest,
                        "size": size,
                    }
                ],
            }
        data = json.dumps(inner).encode()
        digest, size = sha(data), len(data)
        blobs["blobs/sha256/" + digest[7:]] = data
    index = {
        "schemaVersion": 2,
        "manifests": [
            {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest, "size": size}
        ],
    }
    with pytest.raises(ArchiveError, match="too deep"):
        read(make_tar({"index.json": json.dumps(index).encode(), **blobs}))


def test_bad_diff_ids():
    e = docker_entries()
    cfg = json.loads(config_for([L1, L2]))
    cfg["rootfs"]["diff_ids"][0] = "md5:abc"
    cfg_bytes = json.dumps(cfg).encode()
    name = "blobs/sha256/" + sha(cfg_bytes)[7:]
    e[name] = cfg_bytes
    with pytest.raises(ArchiveError, match="invalid or unsupported digest"):
        read(mutate_manifest(e, lambda m: m.__setitem__("Config", name)))


def test_bad_oci_layout_version():
    entries = tar_entries(oci_archive([(L1, L1, "application/vnd.oci.image.layer.v1.tar")]))
    entries["oci-layout"] = b'{"imageLayoutVersion":"2.0.0"}'
    with pytest.raises(ArchiveError, match="imageLayoutVersion"):
        read(make_tar(entries))


# --- writer validation -------------------------------------------------------------------


def test_writer_rejects_wrong_diff_id():
    img = image([L1], ["a:b"])
    bad = ImageToWrite(
        img.config, img.repo_tags, [LayerToWrite(sha(L1), len(L1), lambda: io.BytesIO(L2))]
    )
    with pytest.raises(ArchiveError):
        write([bad])


def test_writer_rejects_short_and_long_layers():
    img = image([L1], ["a:b"])
    short = ImageToWrite(
        img.config, img.repo_tags, [LayerToWrite(sha(L1), len(L1), lambda: io.BytesIO(L1[:-10]))]
    )
    with pytest.raises(ArchiveError, match="declared"):
        write([short])
    long = ImageToWrite(
        img.config, img.repo_tags, [LayerToWrite(sha(L1), len(L1), lambda: io.BytesIO(L1 + b"x"))]
    )
    with pytest.raises(ArchiveError, match="longer"):
        write([long])


def test_writer_rejects_config_layer_mismatch():
    img = image([L1], ["a:b"])
    with pytest.raises(ArchiveError, match="1 layers but the config lists 2"):
        write([ImageToWrite(config_for([L1, L2]), ["a:b"], img.layers)])
    with pytest.raises(ArchiveError, match="does not match config"):
        write([ImageToWrite(config_for([L2]), ["a:b"], img.layers)])


def test_writer_rejects_bad_tags():
    with pytest.raises(ArchiveError):
        write([image([L1], ["Bad Name:1"])])
    with pytest.raises(ArchiveError):
        write([image([L1], ["a@sha256:" + "0" * 64])])


def _consume(data: bytes) -> None:
    archive = read(data)
    for img in archive:
        assert isinstance(img.config_json, dict)
        read_layers(img)


@pytest.mark.parametrize("kind", ["docker", "oci-gzip"])
def test_fuzzed_archives_fail_only_with_archive_error(kind):
    import random

    if kind == "docker":
        base = write([image([L1, L2], ["a:b"]), image([L3], ["c:d"])])
    else:
        gz = gzip.compress(L3)
        base = oci_archive([(L3, gz, "application/vnd.oci.image.layer.v1.tar+gzip")], nested=True)
    rng = random.Random(1234)
    for _ in range(1000):
        data = bytearray(base)
        for _ in range(rng.randint(1, 8)):
            # Half the hits land in the first records, where the JSON documents are.
            span = len(data) if rng.random() < 0.5 else min(len(data), 8192)
            pos = rng.randrange(span)
            data[pos] = rng.randrange(256)
        if rng.random() < 0.2:
            data = data[: rng.randrange(len(data))]
        try:
            _consume(bytes(data))
        except ArchiveError:
            pass
