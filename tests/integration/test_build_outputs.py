"""dockyard build's BuildKit-era client flags against a real dockyardd: --output
type=local|tar, --iidfile, --metadata-file, --check and --progress=plain."""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path
from typing import Any

import pytest
from testing.builds import build_dir as build

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]

DOCKERFILE = (
    "FROM busybox AS build\nRUN mkdir /out && echo artefact > /out/result.txt\n"
    "FROM scratch\nCOPY --from=build /out/ /\n"
)


def test_output_local_and_tar(daemon: Any, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    res = build(
        daemon, tmp_path / "c", DOCKERFILE, "-t", "bo/notag", "--output", f"type=local,dest={dest}"
    )
    assert res.returncode == 0, res.stderr + res.stdout
    assert sorted(p.name for p in dest.iterdir()) == ["result.txt"]
    assert (dest / "result.txt").read_text() == "artefact\n"
    assert daemon.cli("image", "inspect", "bo/notag").returncode != 0  # files, no tagged image
    tar_path = tmp_path / "fs.tar"
    res = build(daemon, tmp_path / "c", DOCKERFILE, "-o", f"type=tar,dest={tar_path}")
    assert res.returncode == 0, res.stderr
    with tarfile.open(tar_path) as tf:
        names = [m.name.lstrip("./") for m in tf.getmembers() if m.isfile()]
        assert names == ["result.txt"]
        assert tf.extractfile([m for m in tf.getmembers() if m.isfile()][0]).read() == b"artefact\n"  # type: ignore[union-attr]


def test_output_destination_not_writable(daemon: Any, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = build(
        daemon, tmp_path / "c", DOCKERFILE, "-t", "bo/nw", "-o", f"type=local,dest={blocker}/sub"
    )
    assert res.returncode == 1
    assert (
        f"ERROR: failed to solve: error from receiver: mkdir {blocker}/sub: not a directory"
        in res.stderr
    )
    assert "Step 1/" not in res.stdout  # refused before building
    bad = build(daemon, tmp_path / "c", DOCKERFILE, "-o", "type=registry,dest=x")
    assert bad.returncode == 1 and 'output type "registry"' in bad.stderr


def test_iidfile_and_metadata_file(daemon: Any, tmp_path: Path) -> None:
    iid, meta = tmp_path / "iid", tmp_path / "meta.json"
    res = build(
        daemon, tmp_path / "c", "FROM busybox\nRUN true\n", "-t", "bo/meta:1",
        "--iidfile", str(iid), "--metadata-file", str(meta),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    image_id = iid.read_text()
    assert image_id.startswith("sha256:")
    doc = json.loads(meta.read_text())
    assert doc == {"containerimage.config.digest": image_id, "image.name": "bo/meta:1"}
    daemon.cli("rmi", "bo/meta:1")


def test_check_reports_buildkits_rules_with_lines(daemon: Any, tmp_path: Path) -> None:
    df = (
        "FROM busybox as Builder\n"
        "ARG API_TOKEN\n"
        "ENV MODE production\n"
        "FROM ${BASE_IMAGE:-busybox}\n"
        "MAINTAINER someone\n"
        "CMD echo hi\n"
    )
    res = build(daemon, tmp_path / "k", df, "--check", "-t", "bo/check")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "Check complete, 7 warnings have been found!" in out
    for rule, text, line in [
        ("FromAsCasing", "'as' and 'FROM' keywords' casing do not match", 1),
        ("StageNameCasing", "Stage name 'Builder' should be lowercase", 1),
        (
            "SecretsUsedInArgOrEnv",
            'Do not use ARG or ENV instructions for sensitive data (ARG "API_TOKEN")',
            2,
        ),
        (
            "LegacyKeyValueFormat",
            '"ENV key=value" should be used instead of legacy "ENV key value" format',
            3,
        ),
        ("UndefinedArgInFrom", "FROM argument 'BASE_IMAGE' is not declared", 4),
        ("MaintainerDeprecated", "Maintainer instruction is deprecated in favor of using label", 5),
        (
            "JSONArgsRecommended",
            "JSON arguments recommended for CMD to prevent unintended behavior related to OS signals",
            6,
        ),
    ]:
        assert f"WARNING: {rule} - https://docs.docker.com/go/dockerfile/rule/" in out
        assert f"{text}\nDockerfile:{line}\n" in out
    assert "   6 | >>> CMD echo hi" in out
    assert daemon.cli("image", "inspect", "bo/check").returncode != 0  # nothing built
    strict = build(
        daemon,
        tmp_path / "s",
        "# check=error=true;skip=MaintainerDeprecated\nFROM busybox\nMAINTAINER x\nCMD echo hi\n",
        "--check",
    )
    assert strict.returncode == 1
    assert "lint violation found for rules: JSONArgsRecommended" in strict.stderr
    assert "MaintainerDeprecated" not in strict.stdout
    clean = build(daemon, tmp_path / "ok", 'FROM busybox\nCMD ["true"]\n', "--check")
    assert clean.returncode == 0 and "Check complete, no warnings found." in clean.stdout


def test_progress_plain(daemon: Any, tmp_path: Path) -> None:
    df = "FROM busybox\nRUN echo plain-output\n"
    build(daemon, tmp_path / "p", df, "-t", "bo/plain")
    res = build(
        daemon, tmp_path / "p", df + "RUN echo second\n", "-t", "bo/plain", "--progress=plain"
    )
    assert res.returncode == 0, res.stderr
    err = res.stderr
    assert "#1 [1/3] FROM busybox\n#1 DONE" in err
    assert "#2 [2/3] RUN echo plain-output\n#2 CACHED\n" in err
    assert "#3 [3/3] RUN echo second\n#3 " in err and " second\n#3 DONE " in err
    assert "#4 exporting to image\n#4 writing image sha256:" in err
    assert "#4 naming to docker.io/bo/plain:latest done" in err
    bad = build(daemon, tmp_path / "p", df, "--progress=fancy")
    assert bad.returncode == 1 and 'invalid progress mode "fancy"' in bad.stderr
    daemon.cli("rmi", "bo/plain")
