"""Pull one reference (or every tag of a name) into the image store.

Pulls resolve a tag or digest to a manifest (a manifest list or OCI index picks the
requested platform, else the host's), fetch and verify the config, then register the
image through `ImageService.add_image`, which reads the missing layers straight from the
registry (fetch.BlobStream), a few at a time, storing and unpacking each in one pass; each
blob is verified against its digest and each layer against its diff ID, and nothing
becomes visible unless it all arrived intact.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO

from dockyard.common.reference import InvalidReference, Reference

from ..images.layerstore import chain_ids
from ..images.store import LayerBlobMismatch
from ..registry.endpoints import pull_endpoints
from ..registry.errors import (
    BadManifest,
    ConnectError,
    NoBasicCredentials,
    PullNotFound,
    RegistryError,
    VerificationError,
    translate_pull,
)
from ..registry.manifests import (
    LAYER_TYPES,
    Descriptor,
    check_platform,
    diff_ids_of,
    parse,
    select,
    sha256,
)
from ..registry.progress import Emit, short, status
from ..registry.remote import RegistrySettings, endpoint_credentials, net
from .fetch import DOWNLOAD_CONCURRENCY, BlobStream, InOrder, verification_failed

if TYPE_CHECKING:
    from ..images.service import ImageService
    from ..registry.client import Registry, Repository

log = logging.getLogger(__name__)

LayerEntry = tuple[str, Callable[[], BinaryIO] | None, str | None]


class Puller:
    def __init__(self, images: ImageService, settings: RegistrySettings) -> None:
        self.images = images
        self.settings = settings

    def pull(
        self,
        ref: Reference,
        auth: dict[str, Any] | None,
        platform: str | None,
        progress: Emit,
    ) -> str:
        endpoints = pull_endpoints(ref.domain, self.settings.mirrors, self.settings.insecure)
        Registry, _, Session = net()
        session = Session()
        errors: list[RegistryError] = []
        started = [False]

        def emit(msg: dict[str, Any]) -> None:
            started[0] = True
            progress(msg)

        try:
            for ep in endpoints:
                reg = Registry(session, ep, endpoint_credentials(ep, auth, ref.domain))
                try:
                    if ref.is_name_only:  # docker pull -a: every tag
                        return self._pull_all_tags(reg, ref, platform, emit)
                    return self._pull_from(reg, ref, platform, emit)[0]
                except NoBasicCredentials as exc:
                    err = RegistryError(f"{exc.where}: no basic auth credentials")
                    if not ep.mirror:
                        raise err from None
                    errors.append(err)
                except RegistryError as exc:
                    log.info("pull %s from %s: %s", ref.familiar(), ep.base, exc.message)
                    errors.append(exc)
                    if started[0] or not (exc.fallback or ep.mirror):
                        raise translate_pull(exc, ref) from None
            if errors and all(isinstance(e, ConnectError) for e in errors):
                local = self._local_answer(ref, progress)
                if local is not None:
                    return local
            raise translate_pull(errors[-1], ref)
        finally:
            session.close()

    def _local_answer(self, ref: Reference, progress: Emit) -> str | None:
        """No registry could be reached: an image we hold already is up to date."""
        found = self.images.lookup_ref(_ref_key(ref))
        if found is None:
            return None
        log.warning("no registry reachable for %s: using the local image", ref.familiar())
        progress({"status": f"Pulling from {ref.path}", "id": ref.digest or ref.tag})
        if ref.digest is None:
            for d in self.images.repo_digests(found):
                if d.split("@", 1)[0] == ref.familiar_name:
                    progress({"status": f"Digest: {d.split('@', 1)[1]}"})
                    break
        progress({"status": f"Status: Image is up to date for {ref.familiar()}"})
        return found

    def _pull_all_tags(
        self, reg: Registry, ref: Reference, platform: str | None, progress: Emit
    ) -> str:
        tags = net()[1](reg, ref.path, "pull").tags()
        if not tags:
            raise PullNotFound(f"repository {ref.familiar_name} not found: no tags")
        got, changed = "", False
        for tag in tags:
            try:
                one = ref.with_tag(tag)
            except InvalidReference:
                continue
            got, new = self._pull_from(reg, one, platform, progress, final=False)
            changed = changed or new
        word = "Downloaded newer image" if changed else "Image is up to date"
        progress({"status": f"Status: {word} for {ref.familiar_name}"})
        return got

    def _pull_from(
        self,
        reg: Registry,
        ref: Reference,
        platform: str | None,
        progress: Emit,
        final: bool = True,
    ) -> tuple[str, bool]:
        """Pull one tag or digest: (image ID, whether the reference moved)."""
        svc = self.images
        repo = net()[1](reg, ref.path, "pull")
        reference = ref.digest or ref.tag or "latest"
        raw, ctype, _ = repo.get_manifest(reference)
        top_digest = sha256(raw)
        if ref.digest and top_digest != ref.digest:
            raise VerificationError(f"manifest verification failed for digest {ref.digest}")
        man = parse(raw, ctype, ref.familiar())
        kept = [raw]
        was_index = man.is_index
        if man.is_index:
            desc = select(man, platform)
            raw2, ctype2, _ = repo.get_manifest(desc.digest)
            if sha256(raw2) != desc.digest:
                raise VerificationError(f"manifest verification failed for digest {desc.digest}")
            man = parse(raw2, desc.media_type or ctype2, ref.familiar())
            if man.is_index:
                raise BadManifest("manifest list entries must be image manifests")
            kept.append(raw2)
        progress({"status": f"Pulling from {ref.path}", "id": reference})

        cfg_desc = man.config
        config = repo.read_blob(cfg_desc.digest, 32 << 20)
        if sha256(config) != cfg_desc.digest:
            raise VerificationError(
                f"image config verification failed for digest {cfg_desc.digest}"
            )
        diff_ids = diff_ids_of(config)
        if platform and not was_index:
            check_platform(config, platform, ref.familiar())
        layers = man.layers
        if len(diff_ids) != len(layers):
            raise BadManifest("layers from manifest don't match image configuration")
        for d in layers:
            if d.media_type and d.media_type not in LAYER_TYPES:
                raise BadManifest(f"unsupported layer media type {d.media_type}")
        image_id = sha256(config)
        old = svc.lookup_ref(_ref_key(ref))

        chains = chain_ids(diff_ids)
        fetching: dict[str, str] = {}  # blob digest -> ident, for the layers we download
        shown: set[str] = set()
        # An image we hold whole needs no layer lines, as in Docker.
        have = svc.has_image(image_id, chains)
        for i, (d, diff_id) in enumerate(zip(layers, diff_ids, strict=True)):
            if have:
                break
            ident = short(d.digest)
            present = svc.has_layer(chains[i - 1] if i else None, diff_id)
            # The blob is stored (under another parent): unpack it without a download.
            present = present or svc.blobs.has(d.digest)
            if present or d.digest in fetching:
                if present and ident not in shown:
                    status(progress, "Already exists", ident)
                shown.add(ident)
                continue
            fetching[d.digest] = ident
            shown.add(ident)
            status(progress, "Pulling fs layer", ident)
        for ident in list(fetching.values())[DOWNLOAD_CONCURRENCY:]:
            status(progress, "Waiting", ident)
        failed = threading.Event()
        order = InOrder(progress, list(fetching.values()))
        entries: list[LayerEntry] = []
        announced: set[str] = set()
        for d, diff_id in zip(layers, diff_ids, strict=True):
            # progress lines for the first use of a blob we fetch; a blob we hold (or a
            # second use) is fetched quietly only if it vanished since (a concurrent rmi)
            loud = d.digest in fetching and d.digest not in announced
            announced.add(d.digest)
            entries.append(
                (diff_id, self._opener(repo, d, loud, progress, order, failed), d.digest)
            )
        refs = [f"{ref.name}@{top_digest}"]
        if ref.digest is None:
            refs.insert(0, ref.canonical())
        try:
            got = svc.add_image(config, entries, refs, extra_blobs=kept,
                                parallel=DOWNLOAD_CONCURRENCY, failed=failed)  # fmt: skip
        except LayerBlobMismatch as exc:
            raise verification_failed(exc.digest) from None
        if got != image_id:
            log.warning("pulled image id %s differs from config digest %s", got, image_id)
        progress({"status": f"Digest: {top_digest}"})
        if final:
            word = "Image is up to date" if old == got else "Downloaded newer image"
            progress({"status": f"Status: {word} for {ref.familiar()}"})
        return got, old != got

    def _opener(
        self,
        repo: Repository,
        desc: Descriptor,
        loud: bool,
        progress: Emit,
        order: InOrder,
        failed: threading.Event,
    ) -> Callable[[], BinaryIO]:
        def opener() -> BinaryIO:
            if loud:
                ident = short(desc.digest)
                stream = BlobStream(repo, desc.digest, desc.size, failed, progress, ident,
                                    order.done(ident, desc.size))  # fmt: skip
            else:
                stream = BlobStream(repo, desc.digest, desc.size, failed)
            return stream  # type: ignore[return-value]

        return opener


def _ref_key(ref: Reference) -> str:
    return ref.trim().with_digest(ref.digest).canonical() if ref.digest else ref.canonical()
