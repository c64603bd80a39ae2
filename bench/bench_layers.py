"""Throughput of apply_layer and diff_from_upper on a gzip tar of part of /usr.

    .venv/bin/python bench/bench_layers.py [--dir /dev/shm/dockyard-bench] [--tar existing.tgz]

Builds the archive with GNU tar + gzip -6 unless --tar is given, then compares apply_layer
with ``tar -xzf`` in the same directory (use a tmpfs to measure CPU rather than the disk).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

from dockyard.images.layers import apply_layer, diff_from_upper

USR_PARTS = [
    "usr/sbin",
    "usr/include",
    "usr/lib/python3",
    "usr/lib/python3.11",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/perl",
    "usr/share/perl5",
    "usr/libexec",
]


def build_tar(dest: Path) -> None:
    parts = [p for p in USR_PARTS if Path("/", p).exists()]
    with open(dest, "wb") as out:
        tar = subprocess.Popen(["tar", "-C", "/", "-cf", "-", *parts], stdout=subprocess.PIPE)
        subprocess.run(["gzip", "-6"], stdin=tar.stdout, stdout=out, check=True)
        tar.wait()


class _Hasher:
    def __init__(self) -> None:
        self.h = hashlib.sha256()
        self.n = 0

    def write(self, b) -> int:
        self.h.update(b)
        self.n += len(b)
        return len(b)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="/dev/shm/dockyard-bench")
    ap.add_argument("--tar")
    args = ap.parse_args()
    work = Path(args.dir)
    work.mkdir(parents=True, exist_ok=True)
    try:
        src = Path(args.tar) if args.tar else work / "usr.tgz"
        if not args.tar:
            build_tar(src)
        gz_mb = src.stat().st_size / 1e6

        out = work / "apply"
        out.mkdir()
        t = time.perf_counter()
        with open(src, "rb") as f:
            size = apply_layer(f, out)
        dt = time.perf_counter() - t
        print(f"apply_layer   {gz_mb:.0f} MB gz / {size / 1e6:.0f} MB data: {dt:.2f}s "
              f"= {gz_mb / dt:.0f} MB/s compressed, {size / 1e6 / dt:.0f} MB/s unpacked")  # fmt: skip

        h = _Hasher()
        t = time.perf_counter()
        diff_from_upper(out, h)
        dt = time.perf_counter() - t
        print(
            f"diff_from_upper {h.n / 1e6:.0f} MB tar (+sha256): {dt:.2f}s = {h.n / 1e6 / dt:.0f} MB/s"
        )
        shutil.rmtree(out)

        if shutil.which("tar"):
            ref = work / "gnutar"
            ref.mkdir()
            t = time.perf_counter()
            subprocess.run(["tar", "-C", ref, "-xzf", src], check=True)
            print(f"GNU tar -xzf  {time.perf_counter() - t:.2f}s")
            shutil.rmtree(ref)
    finally:
        if not args.tar:
            src.unlink(missing_ok=True)
        for name in ("apply", "gnutar"):
            shutil.rmtree(work / name, ignore_errors=True)
        if not any(work.iterdir()):
            work.rmdir()


if __name__ == "__main__":
    os.umask(0o022)
    main()
