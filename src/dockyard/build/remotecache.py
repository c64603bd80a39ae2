"""`--cache-from` / `--cache-to` of type registry and local: before the build, each cache's
images are brought into the store (their blobs fetched as a pull would) and join the
classic `cachefrom` sources; after it, the final image (mode=min) or every built stage
(mode=max) is written in BuildKit's cache layout (cacheformat)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dockyard.common.reference import parse_normalized

from ..errors import DockyardError, InvalidParameter
from ..registry.progress import short
from .cacheformat import (
    MAX_CONFIG,
    CachedImage,
    CacheFormatError,
    Layer,
    read_images,
    read_manifest,
    sha256_of,
    write_cache,
)
from .cachespec import CacheSpec, is_spec, parse_cache_spec
from .cachestores import LocalStore, RegistryStore

if TYPE_CHECKING:
    from ..images.service import ImageService
    from .plan import BuildOptions, Stage

Store = RegistryStore | LocalStore


class RemoteCaches:
    images: ImageService
    opts: BuildOptions
    stages: list[Stage]
    distribution: Any

    if TYPE_CHECKING:  # the Builder's (stubs here would shadow them)

        def message(self, msg: dict[str, Any]) -> None: ...
        def out(self, text: str) -> None: ...
        def _auth_for(self, ref: Any) -> dict[str, Any] | None: ...

    def cache_specs(self) -> tuple[list[CacheSpec], list[CacheSpec]]:
        """(imports, exports), checked before anything runs."""
        imports = [parse_cache_spec(v, "from") for v in self.opts.cache_from if is_spec(v)]
        exports = [parse_cache_spec(v, "to") for v in self.opts.cache_to]
        self.opts.cache_from = [v for v in self.opts.cache_from if not is_spec(v)]
        return imports, exports

    def _store(self, spec: CacheSpec, push: bool) -> Store:
        if spec.type == "local":
            return LocalStore(spec, push)
        auth = self._auth_for(parse_normalized(spec.ref))
        return RegistryStore(spec, auth, self.distribution.settings, push, self.message)

    # ------------------------------------------------------------------ import
    def import_caches(self, specs: list[CacheSpec]) -> None:
        """A cache that cannot be read is a warning: the build runs without it."""
        for spec in specs:
            self.out(f"importing cache manifest from {spec.where()}\n")
            try:
                found = self._import(spec)
            except (DockyardError, CacheFormatError, OSError) as exc:
                text = getattr(exc, "message", None) or str(exc)
                self.out(f"WARNING: failed to import cache {spec.where()}: {text}\n")
                continue
            if not found:
                self.out(
                    f"WARNING: cache {spec.where()} holds no steps dockyard can reuse "
                    "(written by another builder)\n"
                )
            self.opts.cache_from.extend(found)

    def _import(self, spec: CacheSpec) -> list[str]:
        store = self._store(spec, push=False)
        try:
            cfg_desc, descs = read_manifest(store.manifest())
            config = store.blob(str(cfg_desc.get("digest")), MAX_CONFIG)
            if sha256_of(config) != cfg_desc.get("digest"):
                raise CacheFormatError(
                    f"cache config verification failed for {cfg_desc.get('digest')}"
                )
            ids = []
            for img in read_images(config, descs):
                entries = [
                    (x.diff_id, store.opener(x.blob, x.size, self.images.tempfile), x.blob)
                    for x in img.layers
                ]
                ids.append(self.images.add_image(img.config, entries, []))
            return ids
        finally:
            store.close()

    # ------------------------------------------------------------------ export
    def export_caches(self, specs: list[CacheSpec], final: str) -> None:
        for spec in specs:
            ids = [final]
            if spec.mode == "max":
                ids = [s.image_id for s in self.stages if not s.skipped and s.image_id] + [final]
            ids = list(dict.fromkeys(ids))
            self.out(f"exporting cache to {spec.where()}\n")
            try:
                self._export(spec, ids)
            except (DockyardError, CacheFormatError, OSError) as exc:
                text = getattr(exc, "message", None) or str(exc)
                if spec.ignore_error:
                    self.out(f"WARNING: failed to export cache to {spec.where()}: {text}\n")
                    continue
                raise InvalidParameter(
                    f"failed to export cache to {spec.where()}: {text}"
                ) from None

    def _export(self, spec: CacheSpec, ids: list[str]) -> None:
        svc = self.images
        files = {}
        with svc.lock.shared():  # an rmi meanwhile cannot take the blobs away
            images = []
            for image_id in ids:
                layers = []
                for item in svc.layer_blobs(image_id):
                    size = int(item.get("blob_size") or svc.blobs.size(item["blob"]))
                    layers.append(Layer(item["blob"], size, item["diff_id"], item["compression"]))
                    if item["blob"] not in files:
                        files[item["blob"]] = (svc.blobs.open(item["blob"]), size, item["diff_id"])
                images.append(CachedImage(svc.blobs.read(image_id), layers))
        try:
            config, manifest, media = write_cache(images, spec.oci, spec.image_manifest)
            store = self._store(spec, push=True)
            try:
                for digest, (f, size, diff_id) in files.items():
                    store.put_blob(digest, size, f, short(diff_id))
                store.put_small(sha256_of(config), config)
                store.put_manifest(manifest, media)
            finally:
                store.close()
        finally:
            for f, _, _ in files.values():
                f.close()
        self.out(f"writing cache manifest {sha256_of(manifest)}\n")
