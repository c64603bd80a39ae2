"""Images in and out of the store without a registry: docker load / save / import, commit
(a container's upper dir, or a build step), and add_image (a pulled image, registered in
one step)."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from dockyard.common.reference import InvalidReference, is_full_id, parse_normalized

from .. import __version__
from ..errors import InvalidParameter, NotFound
from . import config as cfgmod
from .archive_format import (
    ArchiveError,
    ImageToWrite,
    LayerToWrite,
    read_image_archive,
    write_docker_archive,
)
from .ingest import Ingest
from .layers import diff_from_upper, open_maybe_compressed
from .layerstore import chain_ids
from .records import dump, familiar, parse_tag_ref

if TYPE_CHECKING:
    from .catalog import ImageCatalog

# An empty layer tar (only end-of-archive blocks) adds nothing: commit records no layer.
_EMPTY_TAR_MAX = 20 * 512


def load(
    cat: ImageCatalog,
    archive_file: BinaryIO,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> list[str]:
    """Load a docker-archive / OCI layout (seekable, uncompressed); returns the
    lines Docker prints. `progress` gets Docker's "Loading layer" messages (the CLI
    asks for them on a terminal). On error nothing is registered or left behind."""
    try:
        archive = read_image_archive(archive_file)
    except ArchiveError as exc:
        raise InvalidParameter(_unreadable(cat, str(exc))) from None
    lines: list[str] = []
    loaded: list[tuple[str, list[str]]] = []
    with archive, cat.lock.shared():
        ingest = Ingest(cat)
        try:
            for image in archive:
                parent: str | None = None
                chain: list[str] = []
                for layer in image.layers:
                    opener = layer.open_raw
                    if progress is not None:
                        opener = _progress_opener(opener, layer.size, layer.diff_id, progress)
                    parent = ingest.layer(parent, layer.diff_id, opener, layer.digest)
                    chain.append(parent)
                refs = []
                for tag in image.repo_tags:
                    refs.append(parse_tag_ref(tag).canonical())
                if image.config_digest.split(":", 1)[0] != "sha256":
                    raise InvalidParameter("only sha256 image configs are supported")
                image_id = ingest.image(image.config, chain, refs)
                loaded.append((image_id, [familiar(r) for r in refs]))
            moves = ingest.commit()
        except ArchiveError as exc:
            ingest.abort()
            raise InvalidParameter(f"invalid image archive: {exc}") from None
        except BaseException:
            ingest.abort()
            raise
    for move in moves:
        lines.append(
            f"The image {familiar(move.ref)} already exists, renaming the old one with "
            f"ID {move.old} to empty string\n"
        )
    for image_id, tags in loaded:
        cat.log_event("load", image_id)
        if tags:
            lines.extend(f"Loaded image: {t}\n" for t in tags)
        else:
            lines.append(f"Loaded image ID: {image_id}\n")
    return lines


def _unreadable(cat: ImageCatalog, reason: str) -> str:
    """dockerd's words for an archive it cannot read: its untar's error, or (a tar with
    neither manifest.json nor index.json, which includes an empty one) the legacy
    loader's missing `repositories` file in its import directory."""
    if reason.startswith("not a readable tar archive: "):
        detail = reason.rsplit(": ", 1)[-1]
        if detail != "empty file":
            go = (
                "unexpected EOF"
                if "truncated" in detail or "end of data" in detail
                else ("archive/tar: invalid tar header")
            )
            return f"Error processing tar file(exit status 1): {go}"
    elif "neither manifest.json nor index.json" not in reason:
        return f"invalid image archive: {reason}"
    where = cat.root / "tmp" / f"docker-import-{secrets.randbelow(10**9)}"
    return f"open {where}/repositories: no such file or directory"


def save_plan(cat: ImageCatalog, names: Iterable[str]) -> list[ImageToWrite]:
    """What `docker save names...` writes: a name without tag saves all its tags."""
    plan: list[ImageToWrite] = []
    for name in names:
        for image_id, tag in _save_targets(cat, name):
            rec = cat.get(image_id)
            plan.append(
                ImageToWrite(
                    cat.blobs.read(image_id),
                    [tag] if tag else [],
                    [_layer_to_write(cat, c) for c in rec.chain],
                )
            )
    return plan


def _save_targets(cat: ImageCatalog, name: str) -> list[tuple[str, str | None]]:
    ref = None
    if not is_full_id(name):
        try:
            ref = parse_normalized(name, default_tag=False)
        except InvalidReference:
            ref = None
    if ref is not None and ref.is_name_only:
        found = [(iid, familiar(r)) for r, iid in cat.tags_of_repo(ref.canonical())]
        if found:
            return found
    try:
        image = cat.resolve(name)
    except NotFound:
        raise NotFound(f"No such image: {name}") from None  # dockerd's save names it as given
    if (
        ref is not None
        and not ref.digest
        and not image.id.removeprefix("sha256:").startswith(name.removeprefix("sha256:"))
    ):
        return [(image.id, (ref if ref.tag else ref.with_tag("latest")).familiar())]
    return [(image.id, None)]


def _layer_to_write(cat: ImageCatalog, chain: str) -> LayerToWrite:
    doc = cat.layers.get(chain)
    if doc is None:
        raise NotFound(f"layer {chain} not found")

    def opener() -> BinaryIO:
        return open_maybe_compressed(cat.blobs.open(doc["blob"]))  # type: ignore[return-value]

    return LayerToWrite(doc["diff_id"], int(doc["tar_size"]), opener)


def save(cat: ImageCatalog, names: list[str], out: BinaryIO) -> None:
    plan = save_plan(cat, names)
    write_docker_archive(out, plan)
    for name in names:
        try:
            cat.log_event("save", cat.resolve(name).id)
        except NotFound:
            pass


def import_image(
    cat: ImageCatalog,
    tar: BinaryIO,
    repo: str | None = None,
    tag: str | None = None,
    message: str = "",
    changes: list[str] | None = None,
    source: str = "-",
) -> str:
    """`docker import`: a rootfs tar (maybe compressed) becomes a one-layer image."""
    ref = parse_tag_ref(repo, tag) if repo else None
    with cat.lock.shared():
        ingest = Ingest(cat)
        try:
            chain = ingest.layer(None, None, lambda: tar)
            diff_id = ingest.diff_id_of(chain)
            msg = message or f"Imported from {source}"
            config = cfgmod.new_import_config(diff_id, msg, changes or [], __version__)
            image_id = ingest.image(dump(config), [chain], [ref.canonical()] if ref else [])
            ingest.commit()
        except BaseException:
            ingest.abort()
            raise
    cat.log_event("import", image_id)
    if ref is not None:
        cat.log_event("tag", image_id, ref.familiar())
    return image_id


def commit(
    cat: ImageCatalog,
    container_upper: Path | None,
    parent_image_id: str | None,
    config: dict[str, Any],
    *,
    author: str = "",
    comment: str = "",
    changes: list[str] | None = None,
    container_id: str = "",
    repo_tag: str | None = None,
    container_config: dict[str, Any] | None = None,
    created_by: str | None = None,
    exclude: list[str] | tuple[str, ...] = (),
) -> str:
    """`docker commit`: the container's upper dir becomes a layer on the parent's.

    `exclude` lists container paths the runtime created (mount points such as
    /etc/hosts) that must not end up in the image.

    `config` is the container's config (already merged with the request's); `changes`
    are Dockerfile lines applied on top; `repo_tag` ("repo:tag" or "repo") tags it.
    The builder passes `created_by` for its history line (default: the container's
    Cmd); an upper dir without changes, or None, adds a history entry but no layer.
    """
    ref = parse_tag_ref(repo_tag) if repo_tag else None
    parent = cat.get(parent_image_id) if parent_image_id else None
    new_config = cfgmod.clean_container_config(config)
    if changes:
        new_config = cfgmod.apply_changes(new_config, changes)
    with cat.lock.shared():
        ingest = Ingest(cat)
        try:
            chain = parent.chain if parent else []
            diff_id = None
            with cat.tempfile() as tar:
                if container_upper is not None:  # None: a config-only step
                    diff_from_upper(container_upper, tar, exclude=exclude)
                size = tar.tell()
                tar.seek(0)
                empty = size <= _EMPTY_TAR_MAX and not tar.read().strip(b"\0")
                tar.seek(0)
                if not empty:
                    # the layer's blob is fsynced; its files are flushed a moment later
                    top = ingest.layer(
                        chain[-1] if chain else None, None, lambda: tar, durable=False
                    )
                    chain = [*chain, top]
                    diff_id = ingest.diff_id_of(top)
            image_config = cfgmod.new_commit_config(
                parent.image_config if parent else None,
                cfgmod.clean_container_config(container_config or config),
                new_config,
                diff_id,
                author=author,
                comment=comment,
                container_id=container_id,
                parent_id=parent.id if parent else None,
                docker_version=__version__,
                created_by=created_by,
            )
            image_id = ingest.image(
                dump(image_config),
                chain,
                [ref.canonical()] if ref else [],
                parent=parent.id if parent else "",
            )
            ingest.commit()
        except BaseException:
            ingest.abort()
            raise
    if ref is not None:
        cat.log_event("tag", image_id, ref.familiar())
    return image_id


def add_image(
    cat: ImageCatalog,
    config: bytes,
    layers: list[tuple[str, Callable[[], BinaryIO] | None, str | None]],
    refs: list[str],
    extra_blobs: list[bytes] | None = None,
    parallel: int = 1,
    failed: threading.Event | None = None,
) -> str:
    """Register a pulled image in one step: `layers` are (diff_id, open_raw, blob
    digest) bottom first — open_raw is only called for layers not stored yet, and the
    blob digest, when given, is verified; `refs` are tags and digest references
    (`repo@sha256:<manifest digest>`); `extra_blobs` (manifests) are kept with it.

    Up to `parallel` layers are unpacked at once (each into a directory of its own; the
    chain IDs follow from the diff IDs, which every layer is verified against). The
    first failure sets `failed`, so the caller's streams can stop the other layers."""
    with cat.lock.shared():
        ingest = Ingest(cat)
        try:
            parents = [None, *chain_ids(d for d, _, _ in layers)][: len(layers)]
            work = [(p, *entry) for p, entry in zip(parents, layers, strict=True)]
            chain = _layers_in_parallel(ingest, work, parallel, failed or threading.Event())
            kept = [ingest.blob_bytes(b) for b in extra_blobs or []]
            canon = [
                parse_normalized(r).canonical() if "@" in r else parse_tag_ref(r).canonical()
                for r in refs
            ]
            image_id = ingest.image(config, chain, canon)
            ingest.images[-1].extra["blobs"] = kept
            ingest.commit()
        except BaseException:
            ingest.abort()
            raise
    return image_id


def add_config(cat: ImageCatalog, config: bytes, chain: list[str], parent: str = "") -> str:
    """Register an image config over layers the store holds already (the builder's cache
    rebuilding a step's image from a --cache-from image's history)."""
    with cat.lock.shared():
        ingest = Ingest(cat)
        try:
            image_id = ingest.image(config, chain, [], parent=parent)
            ingest.commit()
        except BaseException:
            ingest.abort()
            raise
    return image_id


def _human(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.4g}{unit}"
        n /= 1000
    return f"{n}B"


def _progress_opener(
    open_raw: Callable[[], BinaryIO],
    total: int,
    diff_id: str,
    progress: Callable[[dict[str, Any]], None],
) -> Callable[[], BinaryIO]:
    """Wrap a layer opener so reading it reports Docker's "Loading layer" progress."""

    def opener() -> BinaryIO:
        return _ProgressReader(open_raw(), total, diff_id.removeprefix("sha256:")[:12], progress)  # type: ignore[return-value]

    return opener


class _ProgressReader:
    _STEP = 1 << 20

    def __init__(
        self, inner: BinaryIO, total: int, id_: str, progress: Callable[[dict[str, Any]], None]
    ) -> None:
        self._inner = inner
        self._total = total
        self._id = id_
        self._progress = progress
        self._done = 0
        self._reported = -1

    def read(self, n: int = -1) -> bytes:
        data = self._inner.read(n)
        self._done += len(data)
        if not data or self._done - self._reported >= self._STEP:
            self._report()
        return data

    def _report(self) -> None:
        if self._reported == self._done:
            return
        self._reported = self._done
        width = 50
        filled = int(width * self._done / self._total) if self._total else width
        bar = "=" * max(filled - 1, 0) + (">" if filled < width else "=")
        self._progress(
            {
                "status": "Loading layer",
                "progressDetail": {"current": self._done, "total": self._total},
                "progress": f"[{bar.ljust(width)}]  {_human(self._done)}/{_human(self._total)}",
                "id": self._id,
            }
        )

    def close(self) -> None:
        self._inner.close()

    def __enter__(self) -> _ProgressReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _layers_in_parallel(
    ingest: Ingest,
    work: list[tuple[str | None, str, Callable[[], BinaryIO] | None, str | None]],
    parallel: int,
    failed: threading.Event,
) -> list[str]:
    """ingest.layer() for each (parent, diff_id, open_raw, blob), `parallel` at a time;
    the first error (in time) is raised once every started layer has stopped."""
    if parallel <= 1 or len(work) <= 1:
        return [ingest.layer(*item) for item in work]

    def one(item: tuple[str | None, str, Callable[[], BinaryIO] | None, str | None]) -> str:
        if failed.is_set():
            raise _Skipped()
        try:
            return ingest.layer(*item)
        except BaseException:
            failed.set()
            raise

    first: BaseException | None = None
    with ThreadPoolExecutor(parallel, thread_name_prefix="layer") as pool:
        futures = [pool.submit(one, item) for item in work]
        for fut in as_completed(futures):
            exc = fut.exception()
            if exc is not None and not isinstance(exc, _Skipped) and first is None:
                first = exc
    if first is not None:
        raise first
    if failed.is_set():  # failed by the caller
        raise InvalidParameter("pull cancelled")
    return [fut.result() for fut in futures]


class _Skipped(Exception):
    """A layer not started because another one had failed."""
