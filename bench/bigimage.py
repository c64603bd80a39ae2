"""A ~600 MB image of incompressible data for the pull and push benchmarks.

busybox's layer at the bottom, then layers of pseudo-random bytes (one big file and a few
dozen small ones each), written as a `docker save` archive that dockyard, Docker and podman
all load. The bytes come from a fixed seed, so the digests are the same on every run and
the archive is made once and kept (`/tmp/bench-bigimage/big-<MiB>.tar`).

    .venv/bin/python bench/bigimage.py [--mib 600]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUSYBOX = REPO / "images" / "out" / "busybox.tar"
CACHE = Path("/tmp/bench-bigimage")
REF = "bench/big:latest"
# share of the random bytes per layer, bottom first (six layers over busybox's)
SHARES = (0.33, 0.25, 0.17, 0.13, 0.08, 0.04)
SMALL_FILES = 40


def _busybox_layer() -> tuple[bytes, dict]:
    """busybox's layer tar and its config (from images/out, an OCI layout)."""
    with tarfile.open(BUSYBOX) as t:
        manifest = json.load(t.extractfile("manifest.json"))[0]  # type: ignore[arg-type]
        config = json.load(t.extractfile(manifest["Config"]))  # type: ignore[arg-type]
        layer = t.extractfile(manifest["Layers"][0]).read()  # type: ignore[union-attr]
    return layer, config


def _random_layer(rng: random.Random, index: int, nbytes: int) -> bytes:
    """One layer: /data/<index>/big plus SMALL_FILES small files, all random bytes."""
    buf = io.BytesIO()
    small = [rng.randint(4 << 10, 64 << 10) for _ in range(SMALL_FILES)]
    big = max(nbytes - sum(small), 1 << 20)
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name in ("data", f"data/{index}"):
            d = tarfile.TarInfo(name)
            d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, 1
            t.addfile(d)
        files = [("big", big), *((f"small{i:02d}", n) for i, n in enumerate(small))]
        for name, size in files:
            info = tarfile.TarInfo(f"data/{index}/{name}")
            info.size, info.mode, info.mtime = size, 0o644, 1
            t.addfile(info, io.BytesIO(rng.randbytes(size)))
    return buf.getvalue()


def make(mib: int = 600) -> Path:
    """The archive for `mib` MiB of random data (made on first use)."""
    out = CACHE / f"big-{mib}.tar"
    if out.exists():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    rng = random.Random(15)
    base, config = _busybox_layer()
    layers = [base] + [_random_layer(rng, i, int(mib * share) << 20) for i, share in enumerate(SHARES)]
    diff_ids = ["sha256:" + hashlib.sha256(layer).hexdigest() for layer in layers]
    config["rootfs"] = {"type": "layers", "diff_ids": diff_ids}
    config["history"] = [{"created": "2026-01-01T00:00:00Z", "created_by": "busybox"}] + [
        {"created": "2026-01-01T00:00:00Z", "created_by": f"COPY random{i} /data/{i}"}
        for i in range(len(SHARES))
    ]
    config_raw = json.dumps(config, separators=(",", ":")).encode()
    config_name = hashlib.sha256(config_raw).hexdigest() + ".json"
    names = [f"{d.split(':')[1]}/layer.tar" for d in diff_ids]
    manifest = [{"Config": config_name, "RepoTags": [REF], "Layers": names}]
    part = out.with_suffix(".part")
    with tarfile.open(part, "w") as t:
        for name, data in [(config_name, config_raw), *zip(names, layers, strict=True),
                           ("manifest.json", json.dumps(manifest).encode())]:  # fmt: skip
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 1
            t.addfile(info, io.BytesIO(data))
    part.rename(out)
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=600)
    print(make(ap.parse_args().mib))
