"""Image store tests' helpers: a daemon stand-in, the image service on a temp dir, and
hand-made layers, configs and image archives."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from dockyard.daemon.config import DaemonConfig
from dockyard.daemon.events import EventBus
from dockyard.images.service import ImageService
from dockyard.state.db import Database
from testing.tarhelpers import make_tar


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class FakeContainers:
    """The container-service hooks the image service asks about."""

    def __init__(self) -> None:
        self.users: dict[str, list[str]] = {}
        self.running: dict[str, list[str]] = {}

    def image_users(self) -> dict[str, list[str]]:
        return self.users

    def running_image_usage(self) -> dict[str, list[str]]:
        return self.running

    def image_usage(self) -> dict[str, int]:
        return {k: len(v) for k, v in self.users.items()}


@dataclass
class FakeDaemon:
    root: Path
    config: DaemonConfig = field(init=False)
    db: Database = field(init=False)
    events: EventBus = field(default_factory=EventBus)
    services: SimpleNamespace = field(default_factory=SimpleNamespace)

    def __post_init__(self) -> None:
        self.config = DaemonConfig(data_root=self.root, exec_root=self.root / "run")
        self.root.mkdir(parents=True, exist_ok=True)
        self.db = Database(self.root / "dockyard.db")


def make_service(root: Path) -> tuple[ImageService, FakeDaemon]:
    d = FakeDaemon(root)
    d.services.containers = FakeContainers()
    svc = ImageService(d.db, d.root, d.events, users=lambda: d.services.containers)
    d.services.images = svc
    svc.recover()
    return svc, d


def layer(*files: tuple[str, bytes]) -> bytes:
    return make_tar(*(("file", name, data) for name, data in files))


def image_config(layers: list[bytes], cmd: list[str] | None = None, **extra: Any) -> bytes:
    cfg = {
        "architecture": "amd64",
        "os": "linux",
        "created": extra.pop("created", "2024-01-02T03:04:05.123456789Z"),
        "config": {"Cmd": cmd or ["sh"], "Env": ["PATH=/bin"], **extra.pop("config", {})},
        "rootfs": {"type": "layers", "diff_ids": [sha(b) for b in layers]},
        "history": [
            {"created": "2024-01-02T03:04:05Z", "created_by": f"ADD l{i}"}
            for i in range(len(layers))
        ],
        **extra,
    }
    return json.dumps(cfg).encode()


def classic_archive(images: list[tuple[bytes, list[bytes], list[str]]]) -> bytes:
    """A pre-Docker-25 docker-archive: <hex>.json configs, <dir>/layer.tar, manifest.json."""
    buf = io.BytesIO()
    manifest = []
    with tarfile.open(fileobj=buf, mode="w") as tf:

        def add(name: str, data: bytes) -> None:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))

        written: set[str] = set()
        for config, layers, tags in images:
            cname = sha(config)[7:] + ".json"
            if cname not in written:
                add(cname, config)
                written.add(cname)
            paths = []
            for data in layers:
                p = sha(data)[7:] + "/layer.tar"
                if p not in written:
                    add(p, data)
                    written.add(p)
                paths.append(p)
            manifest.append({"Config": cname, "RepoTags": tags, "Layers": paths})
        add("manifest.json", json.dumps(manifest).encode())
    return buf.getvalue()


def store_snapshot(root: Path, db: Database) -> tuple[Any, ...]:
    """Everything the image store holds, to compare before/after a failed operation."""
    files = sorted(str(p.relative_to(root)) for p in (root / "blobs").rglob("*"))
    layers = sorted(p.name for p in (root / "layers").iterdir())
    rows = (
        db.query("SELECT id FROM images ORDER BY id"),
        db.query("SELECT * FROM tags ORDER BY ref"),
        db.query("SELECT chain_id FROM layers ORDER BY chain_id"),
    )
    return files, layers, rows
