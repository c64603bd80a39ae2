"""Make the standard images locally (no registry reachable).

Base images are written directly: hello-world, busybox, debian. The application images
(nginx, mysql + mariadb, redis, python) are built by dockyard itself from
images/<name>/Dockerfile on top of that debian, through a daemon (the one given by --host,
else a private one started for the run), and saved from it.

Each image becomes one docker-archive tar under images/out/ (loadable by `dockyard load`,
`docker load` and `podman load`). An image is rebuilt only when its inputs changed: a
stamp file next to the tar records the recipe version and the hashes of the inputs (for
the built images: every file of images/<name>/ and the base image's ID).

Run through the wrapper: scripts/make-images [--only busybox,hello-world] [--out DIR]
[--host unix:///run/dockyard.sock [--load]]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dockyard.images.archive_format import ImageToWrite, LayerToWrite, write_docker_archive

sys.path.insert(0, str(Path(__file__).resolve().parent))  # app_images.py, also when loaded by path
from app_images import APP_IMAGES, BASE, Daemon, make_app_images  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "images" / "out"
# Fixed build time so that the same inputs give byte-identical archives; file mtimes
# inside layers are clamped to it. SOURCE_DATE_EPOCH overrides it, as in Debian.
DEFAULT_EPOCH = 1767225600  # 2026-01-01T00:00:00Z
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
DEBIAN_SUITE = "bookworm"
BUSYBOX = Path("/bin/busybox")
HELLO_SRC = REPO / "images" / "hello-world" / "hello.c"
HELLO_CFLAGS = [
    "-static",
    "-nostdlib",
    "-Os",
    "-fno-asynchronous-unwind-tables",
    "-fno-stack-protector",
    "-Wl,--build-id=none",
    "-Wl,-z,noseparate-code",
    "-s",
]


def log(msg: str) -> None:
    print(f"make-images: {msg}", file=sys.stderr, flush=True)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


# --- layers --------------------------------------------------------------------------


class _HashingWriter:
    """File wrapper that hashes and counts what tarfile writes (diff_id and size)."""

    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.size += len(data)
        return self._f.write(data)


@dataclass(frozen=True)
class BuiltLayer:
    path: Path
    diff_id: str
    size: int

    def to_write(self) -> LayerToWrite:
        return LayerToWrite(self.diff_id, self.size, lambda: open(self.path, "rb"))


class LayerWriter:
    """Writes one deterministic, uncompressed layer tar: root-owned unless told otherwise,
    no user/group names, every mtime clamped to the epoch."""

    def __init__(self, path: Path, epoch: int) -> None:
        self.path = path
        self.epoch = epoch
        self._file = open(path, "wb")
        self._hw = _HashingWriter(self._file)
        self._tar = tarfile.open(fileobj=self._hw, mode="w|", format=tarfile.PAX_FORMAT)  # type: ignore[call-overload]

    def _info(self, name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.mode = mode
        info.mtime = self.epoch
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    def dir(self, name: str, mode: int = 0o755) -> None:
        self._tar.addfile(self._info(name, tarfile.DIRTYPE, mode))

    def file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        info = self._info(name, tarfile.REGTYPE, mode)
        info.size = len(data)
        self._tar.addfile(info, _bytes_reader(data))

    def copy(self, name: str, src: Path, mode: int = 0o755) -> None:
        info = self._info(name, tarfile.REGTYPE, mode)
        info.size = src.stat().st_size
        with open(src, "rb") as f:
            self._tar.addfile(info, f)

    def hardlink(self, name: str, target: str) -> None:
        info = self._info(name, tarfile.LNKTYPE, 0o755)
        info.linkname = target
        self._tar.addfile(info)

    def tree(self, root: Path, skip_contents: Iterable[str] = ()) -> None:
        """Add everything under `root` (not root itself) in sorted order.

        Owners, modes, symlinks and hard links are kept; devices are not (the runtime
        populates /dev); directories in `skip_contents` are added empty.
        """
        skip = {s.strip("/") for s in skip_contents}
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, root)
            if rel_dir in skip:
                dirnames[:] = []
                continue
            for name in sorted(dirnames + filenames):
                path = os.path.join(dirpath, name)
                arcname = os.path.normpath(os.path.join(rel_dir, name))
                info = self._tar.gettarinfo(path, arcname)
                if info is None or info.ischr() or info.isblk() or info.isfifo():
                    continue  # sockets, devices, fifos do not belong in an image
                info.mtime = min(int(info.mtime), self.epoch)
                info.uname = info.gname = ""
                if info.isreg():
                    with open(path, "rb") as f:
                        self._tar.addfile(info, f)
                else:
                    self._tar.addfile(info)

    def close(self) -> BuiltLayer:
        self._tar.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        return BuiltLayer(self.path, "sha256:" + self._hw.hash.hexdigest(), self._hw.size)


def _bytes_reader(data: bytes) -> BinaryIO:
    return io.BytesIO(data)


# --- image configs ---------------------------------------------------------------------


def rfc3339(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def image_config(
    layer: BuiltLayer, cmd: list[str], added_by: str, epoch: int, comment: str
) -> bytes:
    created = rfc3339(epoch)
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "config": {"Env": [PATH_ENV], "Cmd": cmd},
        "rootfs": {"type": "layers", "diff_ids": [layer.diff_id]},
        "history": [
            {"created": created, "created_by": added_by, "comment": comment},
            {
                "created": created,
                "created_by": f"/bin/sh -c #(nop)  CMD {json.dumps(cmd)}",
                "empty_layer": True,
            },
        ],
    }
    return json.dumps(config, separators=(",", ":")).encode()


# --- recipes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipe:
    name: str  # also the output file's stem
    tags: tuple[str, ...]
    version: int  # bump when the recipe's output changes for the same inputs
    inputs: Callable[[], dict[str, str]]  # cheap fingerprint of what goes in
    build: Callable[[Path, int], tuple[BuiltLayer, bytes]]  # (workdir, epoch) -> layer, config


def hello_inputs() -> dict[str, str]:
    gcc = subprocess.run(["gcc", "-dumpfullversion"], capture_output=True, text=True)
    return {
        "hello.c": sha256_file(HELLO_SRC),
        "cflags": " ".join(HELLO_CFLAGS),
        "gcc": gcc.stdout.strip(),
    }


def build_hello(work: Path, epoch: int) -> tuple[BuiltLayer, bytes]:
    binary = work / "hello"
    subprocess.run(["gcc", *HELLO_CFLAGS, "-o", str(binary), str(HELLO_SRC)], check=True)
    lw = LayerWriter(work / "hello-world-layer.tar", epoch)
    lw.copy("hello", binary, 0o755)
    layer = lw.close()
    added = f"COPY hello / # dockyard make-images (sha256:{sha256_file(binary)})"
    return layer, image_config(layer, ["/hello"], added, epoch, "dockyard make-images")


BUSYBOX_ETC = {
    "etc/passwd": b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n",
    "etc/group": b"root:x:0:\nnobody:x:65534:\n",
    "etc/shadow": b"root:*:10933:0:99999:7:::\nnobody:*:10933:0:99999:7:::\n",
    # The binary is a static glibc one; without this its NSS lookups misbehave.
    "etc/nsswitch.conf": b"passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n",
}


def busybox_inputs() -> dict[str, str]:
    return {"busybox": sha256_file(BUSYBOX)}


def busybox_applets() -> list[str]:
    out = subprocess.run([str(BUSYBOX), "--list-full"], capture_output=True, text=True, check=True)
    return sorted({line.strip().strip("/") for line in out.stdout.splitlines() if line.strip()})


def build_busybox(work: Path, epoch: int) -> tuple[BuiltLayer, bytes]:
    # linuxrc is the initrd init applet; the official image has none at /.
    applets = [a for a in busybox_applets() if a not in ("bin/busybox", "linuxrc")]
    dirs = {"bin", "dev", "etc", "home", "root", "tmp", "usr", "var", "var/spool/mail"}
    dirs |= {os.path.dirname(a) for a in applets}
    for d in list(dirs):
        while d := os.path.dirname(d):
            dirs.add(d)
    dirs.discard("")
    lw = LayerWriter(work / "busybox-layer.tar", epoch)
    for d in sorted(dirs):
        lw.dir(d, {"root": 0o700, "tmp": 0o1777}.get(d, 0o755))
        if d == "bin":
            lw.copy("bin/busybox", BUSYBOX, 0o755)
        if d == "etc":
            for name, data in sorted(BUSYBOX_ETC.items()):
                lw.file(name, data, 0o640 if name == "etc/shadow" else 0o644)
    # Applets are hard links to the one binary, as in the official image.
    for applet in applets:
        lw.hardlink(applet, "bin/busybox")
    layer = lw.close()
    added = f"ADD file:{layer.diff_id[7:]} in / "
    return layer, image_config(layer, ["sh"], f"/bin/sh -c #(nop) {added}", epoch, "")


DEBIAN_CLEAN = [
    "var/lib/apt/lists",
    "var/cache/apt/archives",
    "var/cache/apt/pkgcache.bin",
    "var/cache/apt/srcpkgcache.bin",
    "var/cache/ldconfig/aux-cache",
    "var/log/dpkg.log",
    "var/log/alternatives.log",
    "var/log/bootstrap.log",
    "var/log/apt",
    "etc/hostname",
    "etc/resolv.conf",
    "etc/hosts",
    "etc/machine-id",
    "debootstrap",
    "etc/apt/sources.list",  # replaced by sources.list.d/debian.sources
]


# What the official image configures: the full bookworm suites (updates, security) in
# deb822 form, and apt settings that keep layers small after `apt-get install`.
DEBIAN_FILES = {
    "etc/apt/sources.list.d/debian.sources": f"""\
Types: deb
URIs: {DEBIAN_MIRROR}
Suites: {DEBIAN_SUITE} {DEBIAN_SUITE}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: {DEBIAN_MIRROR}-security
Suites: {DEBIAN_SUITE}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
""",
    "etc/apt/apt.conf.d/docker-clean": """\
# Drop downloaded packages and apt's binary caches once they are used (image layers).
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
""",
    "etc/apt/apt.conf.d/docker-no-languages": 'Acquire::Languages "none";\n',
    "etc/apt/apt.conf.d/docker-autoremove-suggests": 'Apt::AutoRemove::SuggestsImportant "false";\n',
}


def debian_inputs() -> dict[str, str]:
    return {"suite": DEBIAN_SUITE, "mirror": DEBIAN_MIRROR, "variant": "minbase"}


def mounts_under(root: Path) -> list[str]:
    """Mount points inside `root`, deepest first (from /proc/self/mounts)."""
    prefix = str(root.resolve()) + "/"
    found = []
    with open("/proc/self/mounts") as f:
        for line in f:
            point = line.split()[1].encode().decode("unicode_escape")
            if point.startswith(prefix):
                found.append(point)
    return sorted(found, key=len, reverse=True)


def unmount_all(root: Path) -> None:
    """debootstrap mounts proc/sys (and sometimes binds /dev) inside the target; an
    interrupted run can leave them. They must go before anything deletes the tree."""
    for point in mounts_under(root):
        subprocess.run(["umount", "-l", point], check=False)
    left = mounts_under(root)
    if left:
        raise SystemExit(f"make-images: cannot unmount {', '.join(left)}; refusing to continue")


def debootstrap(rootfs: Path) -> None:
    """Run debootstrap once; the rootfs is kept as a cache next to the outputs."""
    done = rootfs.parent / "debootstrap.done"
    key = json.dumps(debian_inputs())
    if done.exists() and done.read_text() == key and (rootfs / "bin" / "bash").exists():
        log(f"reusing {rootfs}")
        return
    done.unlink(missing_ok=True)
    if rootfs.exists():
        unmount_all(rootfs)
        shutil.rmtree(rootfs)
    rootfs.mkdir(parents=True)
    log(f"debootstrap {DEBIAN_SUITE} from {DEBIAN_MIRROR} (takes a minute or more)")
    cmd = ["debootstrap", "--variant=minbase", DEBIAN_SUITE, str(rootfs), DEBIAN_MIRROR]
    try:
        result = subprocess.run(cmd, stdout=subprocess.DEVNULL)
    finally:
        unmount_all(rootfs)
    if result.returncode != 0:
        raise SystemExit(
            f"make-images: debootstrap failed ({result.returncode}); "
            f"see {rootfs}/debootstrap/debootstrap.log"
        )
    done.write_text(key)


def clean_debian(rootfs: Path) -> None:
    for rel in DEBIAN_CLEAN:
        path = rootfs / rel
        if path.is_dir() and not path.is_symlink():
            # keep the directory itself (apt expects it), drop its contents
            for child in path.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        elif path.exists() or path.is_symlink():
            path.unlink()
    (rootfs / "var/lib/apt/lists/partial").mkdir(parents=True, exist_ok=True)
    (rootfs / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)
    for rel, text in DEBIAN_FILES.items():
        path = rootfs / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(0o644)


def build_debian(work: Path, epoch: int) -> tuple[BuiltLayer, bytes]:
    cache = work.parent / "debian-rootfs"
    rootfs = cache / "rootfs"
    debootstrap(rootfs)
    clean_debian(rootfs)
    lw = LayerWriter(work / "debian-layer.tar", epoch)
    lw.tree(rootfs, skip_contents=["dev", "proc", "sys", "run", "tmp"])
    layer = lw.close()
    added = f"ADD file:{layer.diff_id[7:]} in / "
    return layer, image_config(layer, ["bash"], f"/bin/sh -c #(nop) {added}", epoch, "")


RECIPES = {
    r.name: r
    for r in (
        Recipe("hello-world", ("hello-world:latest",), 1, hello_inputs, build_hello),
        Recipe("busybox", ("busybox:latest",), 1, busybox_inputs, build_busybox),
        Recipe(
            "debian",
            ("debian:bookworm", "debian:12", "debian:latest"),
            1,
            debian_inputs,
            build_debian,
        ),
    )
}


# --- driver ------------------------------------------------------------------------------


def stamp_for(recipe: Recipe, epoch: int) -> dict[str, object]:
    return {
        "recipe": recipe.name,
        "version": recipe.version,
        "tags": list(recipe.tags),
        "epoch": epoch,
        "script": sha256_file(Path(__file__)),
        "inputs": recipe.inputs(),
    }


def is_fresh(out: Path, stamp_path: Path, stamp: dict[str, object]) -> bool:
    """The archive exists and was made from exactly these inputs."""
    if not (out.exists() and stamp_path.exists()):
        return False
    try:
        return bool(json.loads(stamp_path.read_text()) == stamp)
    except (OSError, ValueError):
        return False


def make_image(recipe: Recipe, out_dir: Path, epoch: int, force: bool = False) -> Path:
    """Build one image archive unless an up-to-date one exists; returns its path."""
    out = out_dir / f"{recipe.name}.tar"
    stamp_path = out_dir / f"{recipe.name}.stamp"
    stamp = stamp_for(recipe, epoch)
    if not force and is_fresh(out, stamp_path, stamp):
        log(f"{recipe.name}: up to date ({out})")
        return out
    started = time.monotonic()
    cache = out_dir / ".cache"
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=f"{recipe.name}-") as tmp:
        layer, config = recipe.build(Path(tmp), epoch)
        partial = out.with_suffix(".tar.partial")
        with open(partial, "wb") as f:
            image = ImageToWrite(config, recipe.tags, [layer.to_write()])
            write_docker_archive(f, [image], mtime=epoch)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, out)
    stamp_path.write_text(json.dumps(stamp, indent=1) + "\n")
    took = time.monotonic() - started
    size = out.stat().st_size
    image_id = hashlib.sha256(config).hexdigest()[:12]
    log(f"{recipe.name}: wrote {out} ({size} bytes, image {image_id}) in {took:.1f}s")
    return out


KNOWN = [*RECIPES, *APP_IMAGES]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="make-images", description=__doc__.split("\n")[0])
    p.add_argument("--only", help=f"comma-separated subset of: {','.join(KNOWN)}")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    p.add_argument("--force", action="store_true", help="rebuild even if up to date")
    p.add_argument(
        "--host",
        help="daemon that builds the application images (default: a private one for the run)",
    )
    p.add_argument(
        "--load",
        action="store_true",
        help="also make sure every made image is in --host's store (loading only what differs)",
    )
    p.add_argument(
        "--list-tags", action="store_true", help="print every image's tags, one a line, and exit"
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] if args.only else KNOWN
    unknown = [n for n in names if n not in KNOWN]
    if unknown:
        log(f"unknown image(s): {', '.join(unknown)}; known: {', '.join(KNOWN)}")
        return 2
    if args.list_tags:
        for name in names:
            recipe = RECIPES.get(name) or APP_IMAGES[name]
            print("\n".join(recipe.tags))
        return 0
    if args.load and not args.host:
        log("--load needs --host")
        return 2
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", DEFAULT_EPOCH))
    args.out.mkdir(parents=True, exist_ok=True)
    apps = [n for n in names if n in APP_IMAGES]
    # The application images are built on debian, so it is made (or checked) first.
    bases = [n for n in RECIPES if n in names or (apps and n == BASE)]
    made = [make_image(RECIPES[name], args.out, epoch, args.force) for name in bases]
    if apps:
        made += make_app_images(apps, args.out, args.host, args.force, is_fresh)
    if args.load:
        daemon = Daemon(args.host)
        for tar in made:
            daemon.ensure_loaded(tar)
    return 0


if __name__ == "__main__":
    sys.exit(main())
