"""The registry plug-in of the image service: `Puller(image_service)`.

  pull(ref, auth, platform, progress) -> image_id
  push(ref, image_id, auth, progress) -> None
  search(term, limit, auth) -> [{"name", "description", "star_count", "is_official",
                                 "is_automated"}]
  login(auth) -> {"Status": "Login Succeeded", "IdentityToken": ...}    (POST /auth)

Pulls resolve a tag or digest to a manifest (a manifest list or OCI index picks the
requested platform, else the host's), fetch and verify the config, download the missing
layers in parallel to temp files (each verified against its digest), then register
everything at once through `ImageService.add_image`, which verifies the blobs again as it
stores them: nothing becomes visible unless it all arrived intact.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from dockyard.common.reference import InvalidReference, Reference, parse_normalized

from ..errors import DockyardError
from ..images.layerstore import chain_ids
from . import credentials as credmod
from .endpoints import pull_endpoints, registry_endpoints
from .errors import (
    BadManifest,
    ConnectError,
    NoBasicCredentials,
    PullDenied,
    PullNotFound,
    RegistryError,
    ResponseError,
    VerificationError,
)
from .manifests import (
    LAYER_TYPES,
    Manifest,
    build_manifest,
    format_platform,
    parse,
    parse_platform,
    select,
    sha256,
)
from .progress import Emit, Meter, short, status

if TYPE_CHECKING:
    from ..images.service import ImageService
    from .client import Registry, Repository
    from .transport import Session


def _net() -> tuple[Any, Any, Any]:
    """http.client and ssl load on the first registry call, not at daemon start."""
    from .client import Registry, Repository
    from .transport import Session

    return Registry, Repository, Session


log = logging.getLogger(__name__)

DOWNLOAD_CONCURRENCY = 3
UPLOAD_CONCURRENCY = 5
_CHUNK = 1 << 20


@dataclass
class _Download:
    digest: str
    size: int
    ident: str
    file: BinaryIO | None = None
    done: threading.Event = field(default_factory=threading.Event)


class Puller:
    def __init__(self, images: ImageService) -> None:
        self.images = images

    # ------------------------------------------------------------------ settings
    def _settings(self) -> tuple[list[str], list[str]]:
        cfg = getattr(getattr(self.images, "daemon", None), "config", None)
        mirrors = list(getattr(cfg, "registry_mirrors", None) or [])
        insecure = list(getattr(cfg, "insecure_registries", None) or [])
        return mirrors, insecure

    # ------------------------------------------------------------------ pull
    def pull(
        self,
        ref: Reference,
        auth: dict[str, Any] | None,
        platform: str | None,
        progress: Emit,
    ) -> str:
        mirrors, insecure = self._settings()
        endpoints = pull_endpoints(ref.domain, mirrors, insecure)
        Registry, _, Session = _net()
        session = Session()
        errors: list[RegistryError] = []
        started = [False]

        def emit(msg: dict[str, Any]) -> None:
            started[0] = True
            progress(msg)

        try:
            for ep in endpoints:
                creds = (
                    credmod.for_mirror(ep.host, ep.userinfo, auth)
                    if ep.mirror
                    else credmod.resolve(auth, ref.domain)
                )
                reg = Registry(session, ep, creds)
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
                        raise _translate_pull(exc, ref) from None
            if errors and all(isinstance(e, ConnectError) for e in errors):
                local = self._local_answer(ref, progress)
                if local is not None:
                    return local
            raise _translate_pull(errors[-1], ref)
        finally:
            session.close()

    def _local_answer(self, ref: Reference, progress: Emit) -> str | None:
        """No registry could be reached: an image we hold already is up to date."""
        key = ref.trim().with_digest(ref.digest).canonical() if ref.digest else ref.canonical()
        found = self.images._lookup_ref(key)
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
        tags = _net()[1](reg, ref.path, "pull").tags()
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
        repo = _net()[1](reg, ref.path, "pull")
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
        diff_ids = _diff_ids(config)
        if platform and not was_index:
            _check_platform(config, platform, ref)
        layers = man.layers
        if len(diff_ids) != len(layers):
            raise BadManifest("layers from manifest don't match image configuration")
        for d in layers:
            if d.media_type and d.media_type not in LAYER_TYPES:
                raise BadManifest(f"unsupported layer media type {d.media_type}")
        image_id = sha256(config)
        old = svc._lookup_ref(_ref_key(ref))

        chains = chain_ids(diff_ids)
        downloads: dict[str, _Download] = {}
        shown: set[str] = set()
        # An image we hold whole needs no layer lines, as in Docker.
        have = self._have_image(image_id, chains)
        for i, (d, diff_id) in enumerate(zip(layers, diff_ids, strict=True)):
            if have:
                break
            ident = short(d.digest)
            present = svc.has_layer(chains[i - 1] if i else None, diff_id)
            # The blob is stored (under another parent): unpack it without a download.
            present = present or svc.blobs.has(d.digest)
            if present or d.digest in downloads:
                if present and ident not in shown:
                    status(progress, "Already exists", ident)
                shown.add(ident)
                continue
            downloads[d.digest] = _Download(d.digest, d.size, ident)
            shown.add(ident)
            status(progress, "Pulling fs layer", ident)
        try:
            self._download_all(repo, list(downloads.values()), progress)
            pending: list[str] = []

            def flush() -> None:
                while pending:
                    status(progress, "Pull complete", pending.pop(0))

            entries: list[tuple[str, Callable[[], BinaryIO] | None, str | None]] = []
            for d, diff_id in zip(layers, diff_ids, strict=True):
                job = downloads.get(d.digest)
                entries.append(
                    (
                        diff_id,
                        self._opener(job, progress, pending, flush)
                        if job
                        else self._late_opener(repo, d.digest, d.size, progress),
                        d.digest,
                    )
                )
            refs = [f"{ref.name}@{top_digest}"]
            if ref.digest is None:
                refs.insert(0, ref.canonical())
            got = svc.add_image(config, entries, refs, extra_blobs=kept)
            flush()
        finally:
            for job in downloads.values():
                if job.file is not None:
                    job.file.close()
        if got != image_id:
            log.warning("pulled image id %s differs from config digest %s", got, image_id)
        progress({"status": f"Digest: {top_digest}"})
        if final:
            word = "Image is up to date" if old == got else "Downloaded newer image"
            progress({"status": f"Status: {word} for {ref.familiar()}"})
        return got, old != got

    def _have_image(self, image_id: str, chains: list[str]) -> bool:
        svc = self.images
        doc = svc._doc(image_id)
        if doc is None or doc.get("removed") or not svc.blobs.has(image_id):
            return False
        return all(svc.layers.has(c) for c in chains)

    def _opener(
        self,
        job: _Download,
        progress: Emit,
        pending: list[str],
        flush: Callable[[], None],
    ) -> Callable[[], BinaryIO]:
        def opener() -> BinaryIO:
            flush()
            assert job.file is not None
            job.file.seek(0)
            pending.append(job.ident)
            return _Extracting(job.file, Meter(progress, "Extracting", job.ident, job.size))  # type: ignore[return-value]

        return opener

    def _late_opener(
        self, repo: Repository, digest: str, size: int, progress: Emit
    ) -> Callable[[], BinaryIO]:
        """For layers we hold: called only if the blob vanished since (a concurrent rmi)."""

        def opener() -> BinaryIO:
            job = _Download(digest, size, short(digest))
            self._download(repo, job, progress, threading.Event())
            assert job.file is not None
            return _Extracting(job.file, Meter(progress, "Extracting", job.ident, size), owns=True)  # type: ignore[return-value]

        return opener

    def _download_all(self, repo: Repository, jobs: list[_Download], progress: Emit) -> None:
        if not jobs:
            return
        for job in jobs[DOWNLOAD_CONCURRENCY:]:
            status(progress, "Waiting", job.ident)
        cancel = threading.Event()

        def run(job: _Download) -> None:
            if cancel.is_set():
                return
            try:
                self._download(repo, job, progress, cancel)
            except BaseException:
                cancel.set()
                raise

        with ThreadPoolExecutor(DOWNLOAD_CONCURRENCY, thread_name_prefix="pull") as pool:
            futures = [pool.submit(run, job) for job in jobs]
            first: BaseException | None = None
            for fut in futures:
                exc = fut.exception()
                if exc is not None and first is None:
                    first = exc
        if first is not None:
            raise first

    def _download(
        self, repo: Repository, job: _Download, progress: Emit, cancel: threading.Event
    ) -> None:
        job.file = self.images.tempfile()
        h = hashlib.sha256()
        got = 0
        for attempt in range(3):
            job.file.seek(0)
            job.file.truncate()
            h = hashlib.sha256()
            got = 0
            try:
                resp = repo.open_blob(job.digest)
                total = job.size or int(resp.header("Content-Length") or 0)
                meter = Meter(progress, "Downloading", job.ident, total)
                while chunk := resp.read_chunk(_CHUNK):
                    if cancel.is_set():
                        resp.close(reuse=False)
                        return
                    job.file.write(chunk)
                    h.update(chunk)
                    got += len(chunk)
                    meter.update(got)
                resp.close()
                break
            except ConnectError:
                if attempt == 2:
                    raise
                log.info("download of %s failed, retrying", job.digest)
        status(progress, "Verifying Checksum", job.ident)
        if "sha256:" + h.hexdigest() != job.digest or (job.size and got != job.size):
            raise VerificationError(f"filesystem layer verification failed for digest {job.digest}")
        status(progress, "Download complete", job.ident)
        job.file.seek(0)

    # ------------------------------------------------------------------ push
    def _connect(self, domain: str, creds: credmod.Credentials, session: Session) -> Registry:
        _, insecure = self._settings()
        last: RegistryError | None = None
        for ep in registry_endpoints(domain, insecure):
            reg = _net()[0](session, ep, creds)
            try:
                reg.ping()
                return reg
            except RegistryError as exc:
                if not exc.fallback:
                    raise
                last = exc
        assert last is not None
        raise last

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
        _, Repository, Session = _net()
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
            reg = self._connect(ref.domain, creds, session)
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
                        self._push_layer, repo, item, files[item["blob"]], sources, progress
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
                import io

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

    def _push_layer(
        self,
        repo: Repository,
        item: dict[str, Any],
        blob: BinaryIO,
        sources: list[str],
        progress: Emit,
    ) -> None:
        ident = short(item["diff_id"])
        digest, size = item["blob"], int(item["blob_size"])
        if repo.blob_size(digest) is not None:
            status(progress, "Layer already exists", ident)
            return
        location: str | None = None
        for source in sources[:1]:
            try:
                location = repo.start_upload(mount=digest, source=source)
            except ResponseError:
                location = None
                continue
            if location is None:
                status(progress, f"Mounted from {source}", ident)
                return
        if location is None:
            location = repo.start_upload()
            assert location is not None
        meter = Meter(progress, "Pushing", ident, size)
        repo.upload(location, blob, size, digest, progress=meter.update)
        meter.update(size, force=True)
        status(progress, "Pushed", ident)

    def _manifest_for(
        self, image_id: str, config: bytes, layers: list[dict[str, Any]]
    ) -> tuple[bytes, str]:
        """The manifest the image was pulled with, when it still describes it; else ours."""
        blobs = [item["blob"] for item in layers]
        doc = self.images._doc(image_id) or {}
        for digest in doc.get("blobs") or []:
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

    # ------------------------------------------------------------------ inspect
    def distribution(self, ref: Reference, auth: dict[str, Any] | None) -> dict[str, Any]:
        """GET /distribution/{name}/json: the descriptor the reference resolves to and the
        platforms it offers, straight from the registry."""
        if ref.is_name_only:
            ref = ref.with_tag("latest")
        mirrors, insecure = self._settings()
        Registry, Repository, Session = _net()
        session = Session()
        last: RegistryError | None = None
        try:
            for ep in pull_endpoints(ref.domain, mirrors, insecure):
                creds = (
                    credmod.for_mirror(ep.host, ep.userinfo, auth)
                    if ep.mirror
                    else credmod.resolve(auth, ref.domain)
                )
                repo = Repository(Registry(session, ep, creds), ref.path, "pull")
                try:
                    raw, ctype, _ = repo.get_manifest(ref.digest or ref.tag or "latest")
                    man = parse(raw, ctype, ref.familiar())
                    if man.is_index:
                        platforms = [_platform_doc(d.platform or {}) for d in man.manifests]
                    else:
                        config = repo.read_blob(man.config.digest, 32 << 20)
                        try:
                            platforms = [_platform_doc(json.loads(config))]
                        except ValueError:
                            platforms = []
                    descriptor = {
                        "mediaType": man.media_type,
                        "digest": sha256(raw),
                        "size": len(raw),
                    }
                    return {"Descriptor": descriptor, "Platforms": platforms}
                except NoBasicCredentials as exc:
                    last = RegistryError(f"{exc.where}: no basic auth credentials")
                    if not ep.mirror:
                        raise last from None
                except RegistryError as exc:
                    last = exc
                    if not (exc.fallback or ep.mirror):
                        raise _translate_pull(exc, ref) from None
            assert last is not None
            raise _translate_pull(last, ref)
        finally:
            session.close()

    # ------------------------------------------------------------------ search
    def search(
        self, term: str, limit: int | None, auth: dict[str, Any] | None
    ) -> list[dict[str, Any]]:
        from .search import search

        mirrors, insecure = self._settings()
        return search(term, limit or 25, auth, mirrors, insecure)

    # ------------------------------------------------------------------ login
    def login(self, auth: dict[str, Any] | None) -> dict[str, str]:
        from .login import login

        _, insecure = self._settings()
        return login(auth or {}, insecure)


class _Extracting:
    """A downloaded layer being read by the store, reported as "Extracting"."""

    def __init__(self, f: BinaryIO, meter: Meter, owns: bool = False) -> None:
        self._f = f
        self._meter = meter
        self._done = 0
        self._owns = owns  # close the file with this reader

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(n)
        self._done += len(data)
        if data:
            self._meter.update(self._done)
        return data

    def close(self) -> None:
        if self._owns:
            self._f.close()  # else the puller closes it

    def __enter__(self) -> _Extracting:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _diff_ids(config: bytes) -> list[str]:
    try:
        doc = json.loads(config)
        ids = doc["rootfs"]["diff_ids"]
    except (ValueError, KeyError, TypeError):
        raise BadManifest("invalid image config: no rootfs.diff_ids") from None
    if not isinstance(ids, list) or not all(isinstance(x, str) for x in ids):
        raise BadManifest("invalid image config: bad rootfs.diff_ids")
    return list(ids)


def _platform_doc(p: dict[str, Any]) -> dict[str, Any]:
    """An OCI platform as Docker serialises it: empty optional fields left out."""
    doc: dict[str, Any] = {
        "architecture": str(p.get("architecture") or ""),
        "os": str(p.get("os") or ""),
    }
    for key in ("os.version", "os.features", "variant", "features"):
        if p.get(key):
            doc[key] = p[key]
    return doc


def _check_platform(config: bytes, platform: str, ref: Reference) -> None:
    """A single-platform image pulled with --platform must be that platform."""
    want = parse_platform(platform)
    try:
        doc = json.loads(config)
    except ValueError:
        return
    have = {
        "os": str(doc.get("os") or ""),
        "architecture": str(doc.get("architecture") or ""),
        "variant": str(doc.get("variant") or ""),
    }
    if have["os"] != want["os"] or have["architecture"] != want["architecture"]:
        raise BadManifest(
            f"image with reference {ref.familiar()} was found but its platform "
            f"({format_platform(have)}) does not match the specified platform "
            f"({format_platform(want)})"
        )


def _ref_key(ref: Reference) -> str:
    return ref.trim().with_digest(ref.digest).canonical() if ref.digest else ref.canonical()


def _translate_pull(exc: RegistryError, ref: Reference) -> DockyardError:
    """Docker's TranslatePullError: missing things become 404 with its wording."""
    if isinstance(exc, ResponseError):
        if exc.code == "MANIFEST_UNKNOWN":
            return PullNotFound(f"manifest for {ref.familiar()} not found: {exc.message}")
        if exc.code == "NAME_UNKNOWN":
            return PullNotFound(f"repository {ref.familiar_name} not found: {exc.message}")
        if exc.code == "DENIED":
            return PullDenied(
                f"pull access denied for {ref.familiar_name}, repository does not exist or "
                f"may require 'docker login': {exc.message}"
            )
        if exc.http_status == 404:
            return PullNotFound(f"manifest for {ref.familiar()} not found: {exc.message}")
    return exc
