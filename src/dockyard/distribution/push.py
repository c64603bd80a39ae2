"""Push one local image to one tag of a registry: layer blobs (skipped, mounted or
uploaded), the config, then the manifest the image was pulled with (or ours); the
manifest's digest is recorded as a RepoDigest."""

from __future__ import annotations

import io
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, BinaryIO

from dockyard.common.reference import InvalidReference, Reference, parse_normalized

from ..errors import DockyardError
from ..registry import credentials as credmod
from ..registry.errors import BadManifest, NoBasicCredentials, RegistryError
from ..registry.manifests import Manifest, build_manifest, parse, sha256
from ..registry.progress import Emit, short, status
from ..registry.remote import RegistrySettings, connect, net
from ..registry.upload import push_layer

if TYPE_CHECKING:
    from ..images.service import ImageService

log = logging.getLogger(__name__)

UPLOAD_CONCURRENCY = 5


class Pusher:
    def __init__(self, images: ImageService, settings: RegistrySettings) -> None:
        self.images = images
        self.settings = settings

    def push(
        self,
        ref: Reference,
        image_id: str,
        auth: dict[str, Any] | None,
        progress: Emit,
    ) -> None:
        svc = self.images
        tag = ref.tag or "latest"
        creds = credmod.resolve(auth, ref.domain)
        _, Repository, Session = net()
        session = Session()
        files: dict[str, BinaryIO] = {}
        try:
            # Open every blob under the lock: an rmi during the upload cannot take them away
            # (open files outlive their unlinking), and it need not wait for the network.
            with svc.lock.shared():
                layers = svc.layer_blobs(image_id)
                config = svc.blobs.read(image_id)
                for item in layers:
                    if not item.get("blob_size"):
                        item["blob_size"] = svc.blobs.size(item["blob"])
                    if item["blob"] not in files:
                        files[item["blob"]] = svc.blobs.open(item["blob"])
            reg = connect(ref.domain, creds, session, self.settings.insecure)
            repo = Repository(reg, ref.path, "pull,push")
            sources = self._mount_sources(ref, image_id)
            order = list(reversed(layers))  # Docker lists the top layer first
            seen: set[str] = set()
            unique = []
            for item in order:
                if item["blob"] in seen:
                    continue
                seen.add(item["blob"])
                unique.append(item)
                status(progress, "Preparing", short(item["diff_id"]))
            for item in unique[UPLOAD_CONCURRENCY:]:
                status(progress, "Waiting", short(item["diff_id"]))
            with ThreadPoolExecutor(UPLOAD_CONCURRENCY, thread_name_prefix="push") as pool:
                futures = [
                    pool.submit(
                        push_layer,
                        repo,
                        short(item["diff_id"]),
                        item["blob"],
                        int(item["blob_size"]),
                        files[item["blob"]],
                        sources,
                        progress,
                    )
                    for item in unique
                ]
                errors = [f.exception() for f in futures]
            for exc in errors:
                if exc is not None:
                    raise exc
            if repo.blob_size(image_id) is None:
                location = repo.start_upload()
                assert location is not None
                repo.upload(location, io.BytesIO(config), len(config), image_id)
            manifest, media = self._manifest_for(image_id, config, layers)
            repo.put_manifest(tag, manifest, media)
        except NoBasicCredentials:
            raise RegistryError("no basic auth credentials") from None
        finally:
            for f in files.values():
                f.close()
            session.close()
        digest = sha256(manifest)
        try:
            svc.add_reference(image_id, f"{ref.name}@{digest}")
        except DockyardError:
            log.warning("could not record %s@%s", ref.name, digest)
        progress({"status": f"{tag}: digest: {digest} size: {len(manifest)}"})
        progress(
            {"progressDetail": {}, "aux": {"Tag": tag, "Digest": digest, "Size": len(manifest)}}
        )

    def _mount_sources(self, ref: Reference, image_id: str) -> list[str]:
        """Other repositories of the same registry that hold this image (cheap mounts)."""
        out: list[str] = []
        for r in self.images.refs(image_id).get(image_id, []):
            try:
                other = parse_normalized(r, default_tag=False)
            except InvalidReference:
                continue
            if other.domain == ref.domain and other.path != ref.path and other.path not in out:
                out.append(other.path)
        return out

    def _manifest_for(
        self, image_id: str, config: bytes, layers: list[dict[str, Any]]
    ) -> tuple[bytes, str]:
        """The manifest the image was pulled with, when it still describes it; else ours."""
        blobs = [item["blob"] for item in layers]
        for digest in self.images.kept_blobs(image_id):
            try:
                raw = self.images.blobs.read(digest)
                man: Manifest = parse(raw, None, image_id)
            except (DockyardError, OSError):
                continue
            if man.is_index:
                continue
            try:
                if man.config.digest == image_id and [d.digest for d in man.layers] == blobs:
                    return raw, man.media_type
            except BadManifest:
                continue
        return build_manifest(
            config,
            [
                (item.get("compression") or "gzip", item["blob"], int(item["blob_size"]))
                for item in layers
            ],
        )
